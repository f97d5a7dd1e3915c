package workbook

import (
	"archive/zip"
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestSortedZip(t *testing.T) {
	tests := []struct {
		name  string
		parts []string // written in this order
		want  []string // archive order
	}{
		{"sorts", []string{"xl/worksheets/sheet3.xml", "xl/worksheets/sheet2.xml", "[Content_Types].xml", "_rels/.rels"},
			[]string{"[Content_Types].xml", "_rels/.rels", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"}},
		{"one", []string{"a"}, []string{"a"}},
		{"empty archive", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			z := newSortedZip(&buf)
			for _, name := range tt.parts {
				w, err := z.Create(name)
				if err != nil {
					t.Fatal(err)
				}
				// Content large and repetitive enough to be really compressed.
				io.WriteString(w, strings.Repeat(name+"\n", 1000))
			}
			if err := z.Close(); err != nil {
				t.Fatal(err)
			}
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range zr.File {
				got = append(got, f.Name)
				if !f.Modified.IsZero() && f.Modified.Year() > 1980 {
					t.Errorf("%s: modified %v, want no wall-clock time", f.Name, f.Modified)
				}
				rc, err := f.Open() // checks the CRC and sizes on read
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatalf("%s: %v", f.Name, err)
				}
				if want := strings.Repeat(f.Name+"\n", 1000); string(b) != want {
					t.Errorf("%s: content differs", f.Name)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("order = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSortedZipRejectsDuplicates(t *testing.T) {
	z := newSortedZip(io.Discard)
	for range 2 {
		if _, err := z.Create("a"); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err == nil {
		t.Error("no error for a duplicate member")
	}
}

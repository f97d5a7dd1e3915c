package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// runRow has a column of every kind the codec knows.
type runRow struct {
	S    string    `parquet:"s"`
	L    []string  `parquet:"l"`
	B    NullBool  `parquet:"b"`
	T    time.Time `parquet:"t"`
	I    int64     `parquet:"i"`
	Tail string    `parquet:"tail"`
}

func runRows(n int) []runRow {
	zone := time.FixedZone("x", 5*3600+30*60)
	var rows []runRow
	for i := range n {
		r := runRow{S: fmt.Sprintf("s%d", i), I: int64(i*7919) - 50000, Tail: "ü\x00"}
		switch i % 4 {
		case 0:
			r.L, r.B, r.T, r.S = nil, NullBool{}, time.Time{}, ""
		case 1:
			r.L, r.B, r.T = []string{}, Known(false), time.Date(1960, 1, 2, 3, 4, 5, 123456789, zone)
		case 2:
			r.L, r.B, r.T = []string{"", "a"}, Known(true), time.Unix(0, 0)
		default:
			r.L, r.T = []string{fmt.Sprint(i), "b", "c"}, time.Date(2026, 12, 2, 11, 0, 0, 999, time.UTC)
		}
		rows = append(rows, r)
	}
	return rows
}

// TestRunReadsAsParquet: a run gives back what a Parquet table of the
// same rows gives back, so a sort's result does not depend on whether it
// spilled.
func TestRunReadsAsParquet(t *testing.T) {
	dir := t.TempDir()
	rows := runRows(40000) // several blocks
	if _, err := WriteTable(dir, "want", rows); err != nil {
		t.Fatal(err)
	}
	want, err := ReadRows[runRow](filepath.Join(dir, FileName("want")))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x.run")
	w, err := createRun[runRow](path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	r, err := openRun[runRow](path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := range want {
		var got runRow
		if err := r.Next(&got); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, want[i]) {
			t.Fatalf("row %d: %#v, want %#v", i, got, want[i])
		}
	}
	var extra runRow
	if err := r.Next(&extra); err != io.EOF {
		t.Fatalf("after the last row: %v", err)
	}
}

// TestDamagedRun: a truncated or overwritten run is an error, not a panic.
func TestDamagedRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.run")
	w, err := createRun[runRow](path)
	if err != nil {
		t.Fatal(err)
	}
	rows := runRows(3000)
	for i := range rows {
		w.Write(&rows[i])
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	for _, bad := range [][]byte{data[:len(data)-1], data[:len(data)/2], append(append([]byte{}, data[:30]...), make([]byte, 200)...)} {
		os.WriteFile(path, bad, 0o600)
		r, err := openRun[runRow](path)
		if err != nil {
			t.Fatal(err)
		}
		var row runRow
		for err == nil {
			err = r.Next(&row)
		}
		r.Close()
		if !errors.Is(err, errBadRun) {
			t.Errorf("%d bytes: %v, want errBadRun", len(bad), err)
		}
	}
}

func FuzzRunBlock(f *testing.F) {
	f.Add([]byte{5, 1, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.run")
		os.WriteFile(path, data, 0o600)
		r, err := openRun[runRow](path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var row runRow
		for range 1000 {
			if err := r.Next(&row); err != nil {
				return
			}
		}
	})
}

package extractad

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// onePass is what reading data gives: the rows, in order, and the error.
func onePass(t testing.TB, data []byte, partSize int) string {
	t.Helper()
	dns := newDNCheck("", 0)
	defer dns.close()
	var b strings.Builder
	n, err := readLDIFParts(context.Background(), bytes.NewReader(data), "in/users.ldif", partSize, dns, func(u *pipeline.ADUser) error {
		fmt.Fprintf(&b, "%+v\n", *u)
		return nil
	})
	fmt.Fprintf(&b, "%d users, error: %v", n, err)
	var pe *pipeline.ParseError
	if err != nil && !errors.As(err, &pe) {
		t.Fatalf("error %v is not a ParseError", err)
	}
	return b.String()
}

// partsCases are exports whose boundaries and errors fall everywhere a
// part can be cut: CRLF line ends, folded lines, paged ldapsearch output,
// a repeated DN and a bad entry in a later part, a file without a last
// line end.
var partsCases = []string{
	"version: 1\n\ndn: CN=A,DC=x\nobjectClass: user\nuserPrincipalName: a@x\nmobile: +1 555 0100\n\n" +
		"dn: CN=PC,DC=x\nobjectClass: user\nobjectClass: computer\n\n" +
		"dn: CN=B,DC=x\nobjectClass: user\nuserPrincipalName: b@x\notherMobile: 1\notherMobile: 2\n",
	"dn: CN=A,DC=x\r\nobjectClass: user\r\nmobile: 1\r\n 2\r\n\r\ndn: CN=B,DC=x\r\nobjectClass: user\r\n\r\n\r\ndn:: Q049QyxEQz14\r\nobjectClass: user\r\n",
	"dn: CN=Ärger,DC=x\nobjectClass: user\n\ndn: CN=B,DC=x\nobjectClass: user\n\ndn: cn=ärger,dc=X\nobjectClass: user\n",
	"dn: CN=A,DC=x\nobjectClass: user\n\ndn: CN=B,DC=x\nobjectClass: user\nobjectGUID:: AQI=\n\ndn: CN=C,DC=x\nobjectClass: user\n",
	"dn: CN=A,DC=x\nobjectClass: user\n\ndn: CN=B,DC=x\nphoto:< file:///etc/passwd\n\ndn: CN=C,DC=x\nobjectClass: user\n",
	"dn: CN=A,DC=x\nobjectClass: user\n\ndn: CN=B,DC=x\ndn: CN=C,DC=x\n",
	"dn: CN=A,DC=x\nobjectClass: user\n\n dn: CN=B,DC=x\n",
	"# only a comment\n\n",
	"dn: CN=G,DC=x\nobjectClass: group\n\ndn: CN=PC,DC=x\nobjectClass: computer\n",
	"\xef\xbb\xbfdn: CN=A,DC=x\nobjectClass: user\n\ndn: CN=B,DC=x\nobjectClass: user\nobjectGUID:: AQ",
	"dn: CN=A,DC=x\nobjectClass: user\n\nversion: 1\n\ndn: CN=B,DC=x\nobjectClass: user\n",
}

// TestPartsReadAsOnePass: whatever the part size, the parts give the rows
// and the error one sequential pass gives.
func TestPartsReadAsOnePass(t *testing.T) {
	inputs := map[string][]byte{}
	for i, c := range partsCases {
		inputs[fmt.Sprint("case ", i)] = []byte(c)
	}
	files, _ := filepath.Glob("../../ldif/testdata/*.ldif")
	files = append(files, "../../fixtures/demo/ad.ldif")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = data
	}
	if len(inputs) < len(partsCases)+3 {
		t.Fatalf("only %d inputs: the test data moved?", len(inputs))
	}
	for name, data := range inputs {
		want := onePass(t, data, 0)
		for _, size := range []int{1, 2, 7, 64, 300, 4096, len(data) / 3, len(data)} {
			if size <= 0 {
				continue
			}
			if got := onePass(t, data, size); got != want {
				t.Errorf("%s in parts of %d bytes:\n%s\nwant (one pass):\n%s", name, size, tail(got), tail(want))
			}
		}
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// TestPartsReadError: a read that fails after some parts is reported where
// the sequential pass reports it, and stops the parts.
func TestPartsReadError(t *testing.T) {
	data := []byte(strings.Repeat("dn: CN=A,DC=x\nobjectClass: group\n\n", 1000))
	for i := range 1000 {
		copy(data[i*34+7:], fmt.Sprintf("%06d", i))
	}
	broken := errors.New("disk on fire")
	read := func(partSize int) string {
		dns := newDNCheck("", 0)
		defer dns.close()
		r := io.MultiReader(bytes.NewReader(data[:20000]), failedReader{broken})
		_, err := readLDIFParts(context.Background(), r, "x.ldif", partSize, dns, func(*pipeline.ADUser) error { return nil })
		if !errors.Is(err, broken) {
			t.Fatalf("parts of %d: error %v, want the read's", partSize, err)
		}
		return err.Error()
	}
	want := read(0)
	for _, size := range []int{64, 1000, 8192} {
		if got := read(size); got != want {
			t.Errorf("parts of %d: %s, want %s", size, got, want)
		}
	}
}

// TestPartsStopOnEmitError: an error from emit (Ctrl-C, a full disk)
// ends the parts' goroutines.
func TestPartsStopOnEmitError(t *testing.T) {
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "dn: CN=U%d,DC=x\nobjectClass: user\n\n", i)
	}
	stop := errors.New("stop")
	dns := newDNCheck("", 0)
	defer dns.close()
	seen := 0
	_, err := readLDIFParts(context.Background(), strings.NewReader(b.String()), "x.ldif", 256, dns, func(*pipeline.ADUser) error {
		if seen++; seen == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || seen != 10 {
		t.Fatalf("err %v after %d users, want stop after 10", err, seen)
	}
}

// FuzzPartsReadAsOnePass: any bytes, cut anywhere, read as in one pass.
func FuzzPartsReadAsOnePass(f *testing.F) {
	for _, c := range partsCases {
		f.Add([]byte(c), uint16(16))
	}
	f.Fuzz(func(t *testing.T, data []byte, size uint16) {
		if size == 0 {
			size = 1
		}
		if got, want := onePass(t, data, int(size)), onePass(t, data, 0); got != want {
			t.Fatalf("parts of %d:\n%s\nwant:\n%s", size, got, want)
		}
	})
}

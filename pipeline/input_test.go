package pipeline

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file that grows past the bound while it is read fails there, naming
// the file, however the reads are sized.
func TestBoundedReader(t *testing.T) {
	for _, size := range []int{1, 3, 64} {
		b := &boundedReader{r: strings.NewReader("0123456789"), name: "ad.ldif", left: 4, max: 16 << 30}
		var got []byte
		buf := make([]byte, size)
		var err error
		for err == nil {
			var n int
			n, err = b.Read(buf)
			got = append(got, buf[:n]...)
		}
		if string(got) != "0123" || err.Error() != "ad.ldif: grew past 16 GiB while it was read" {
			t.Errorf("reads of %d: %q, then %v", size, got, err)
		}
	}
}

func TestOpenInput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "export.csv")
	os.WriteFile(file, []byte("0123456789"), 0o644)
	f, size, r, err := OpenInput(file, "an Entra export", 16<<30)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	f.Close()
	if err != nil || size != 10 || string(b) != "0123456789" {
		t.Errorf("size %d, read %q, %v", size, b, err)
	}
	for _, tt := range []struct {
		path string
		max  int64
		want string
	}{
		{file, 5, "export.csv: is 10 bytes, more than an Entra export can be (5 bytes)"},
		{dir, 16 << 30, "is a directory, not a regular file"},
		{filepath.Join(dir, "missing"), 16 << 30, "no such file"},
	} {
		if _, _, _, err := OpenInput(tt.path, "an Entra export", tt.max); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.path, err, tt.want)
		}
	}
	if !IsSnapshot(dir) {
		os.WriteFile(filepath.Join(dir, ManifestFile), []byte("{}"), 0o644)
		if !IsSnapshot(dir) {
			t.Error("a directory with a manifest is not called a snapshot")
		}
	} else {
		t.Error("a directory without a manifest is called a snapshot")
	}
}

// ReadSmallFile refuses what would block or never end, and a file over
// its bound, naming the file; it reads what it accepts whole.
func TestReadSmallFile(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw.txt")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	if b, err := ReadSmallFile(pw, "a password file", 64<<10); err != nil || string(b) != "s3cret\n" {
		t.Errorf("read %q, %v", b, err)
	}
	if _, err := ReadSmallFile(pw, "a password file", 3); err == nil || !strings.Contains(err.Error(), "pw.txt: is 7 bytes, more than a password file can be (3 bytes)") {
		t.Errorf("over the bound: %v", err)
	}
	if _, err := ReadSmallFile(os.DevNull, "a password file", 64<<10); err == nil || !strings.Contains(err.Error(), "a device") {
		t.Errorf("a device: %v", err)
	}
}

func TestSizeText(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1023: "1023 bytes", 64 << 10: "64 KiB", 5<<20 + 1: "5 MiB", 16 << 30: "16 GiB"} {
		if got := SizeText(n); got != want {
			t.Errorf("SizeText(%d) = %q, want %q", n, got, want)
		}
	}
}

//go:build unix

package extractentra

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO or a device, given as an export or lying in a page directory, is
// refused before it is opened: opening a FIFO for reading would block
// until a writer came, and ignore Ctrl-C.
func TestExportNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	page := `{"value":[{"id":"1","userPrincipalName":"a@x.com"}]}`
	if err := os.WriteFile(filepath.Join(dir, "page-1.json"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	inDir := filepath.Join(dir, "page-2.json")
	alone := filepath.Join(t.TempDir(), "users.csv")
	for _, p := range []string{inDir, alone} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatalf("mkfifo: %v", err)
		}
	}
	for _, tc := range []struct{ path, file, want string }{
		{dir, inDir, "is a named pipe (FIFO), not a regular file: save the export to a file and give that"},
		{alone, alone, "is a named pipe (FIFO), not a regular file"},
		{"/dev/zero", "/dev/zero", "is a device, not a regular file"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := ReadExport(tc.path)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.HasPrefix(err.Error(), tc.file+": "+tc.want) {
				t.Errorf("%s: %v, want %s: %s", tc.path, err, tc.file, tc.want)
			}
		case <-time.After(10 * time.Second):
			for _, p := range []string{inDir, alone} { // let a blocked open return
				if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
			}
			t.Fatalf("%s: blocked opening a FIFO", tc.path)
		}
	}
}

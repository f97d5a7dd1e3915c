//go:build unix

package extractad

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO or a device given as the LDIF is refused before it is opened: a
// FIFO would block the open until a writer came, and ignore Ctrl-C.
func TestLDIFNotARegularFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "ad.ldif")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	for path, want := range map[string]string{
		fifo:        "is a named pipe (FIFO), not a regular file: save the export to a file and give that",
		"/dev/zero": "is a device, not a regular file",
	} {
		done := make(chan error, 1)
		go func() {
			_, _, dir, err := runStage(t, LDIFConfig{LDIF: path})
			noTable(t, dir)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.HasPrefix(err.Error(), path+": "+want) {
				t.Errorf("error %v, want %s: %s", err, path, want)
			}
		case <-time.After(10 * time.Second):
			if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil { // let the blocked open return
				w.Close()
			}
			t.Fatalf("%s: extract-ad blocked opening it", path)
		}
	}
}

//go:build unix

package ldif

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestURLValueNeverOpened proves the reader does not even open a URL's file:
// opening a FIFO for reading blocks until a writer appears, so a reader that
// tried would hang here instead of returning ErrURLValue.
func TestURLValueNeverOpened(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "trap.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	in := "dn: CN=A\nobjectClass: user\nsAMAccountName: a\njpegPhoto:< file://" + fifo + "\n"
	done := make(chan error, 1)
	go func() {
		rd := NewReader(strings.NewReader(in), "x.ldif")
		var err error
		for err == nil {
			_, err = rd.Next()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrURLValue) || !strings.HasPrefix(err.Error(), "x.ldif:4: ") {
			t.Errorf("error = %v, want x.ldif:4: %v", err, ErrURLValue)
		}
	case <-time.After(10 * time.Second):
		// Release the blocked open so the test binary can exit.
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("reader blocked: it tried to open the file a URL value names")
	}
}

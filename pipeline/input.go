package pipeline

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// OpenInput opens a file syncgap reads (an LDIF or Entra export, named by
// what in messages) only once it is known to be a regular file of at most
// max bytes: opening a FIFO for reading blocks until a writer comes (and
// Ctrl-C cannot interrupt it), and a device never ends. It returns the
// file, its size, and a reader of it that fails should the file grow past
// max while it is read. The extract stages share it (docs/inputs.md).
func OpenInput(path, what string, max int64) (*os.File, int64, io.Reader, error) {
	perr := func(format string, a ...any) error {
		return &ParseError{File: path, Err: fmt.Errorf(format, a...)}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, nil, err
	}
	switch {
	case !fi.Mode().IsRegular():
		return nil, 0, nil, perr("is %s, not a regular file: save the export to a file and give that (the manifest records an input by its path and hash)", FileKind(fi.Mode()))
	case fi.Size() > max:
		return nil, 0, nil, perr("is %s, more than %s can be (%s)", SizeText(fi.Size()), what, SizeText(max))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, err
	}
	// The name may have been swapped for something else since the Stat.
	if fi2, err := f.Stat(); err != nil || !fi2.Mode().IsRegular() || !os.SameFile(fi, fi2) {
		f.Close()
		return nil, 0, nil, perr("changed while it was opened")
	}
	return f, fi.Size(), &boundedReader{r: f, name: path, left: max, max: max}, nil
}

// ReadSmallFile reads a small file named by a flag (a password, a
// certificate, a list of users) with OpenInput's rules: a FIFO or a device
// is refused instead of blocking or never ending, and so is a file over
// max bytes.
func ReadSmallFile(path, what string, max int64) ([]byte, error) {
	f, _, r, err := OpenInput(path, what, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(r)
}

// SizeText is a byte count for messages: 512 bytes, 64 KiB, 4 MiB, 2 GiB
// (rounded down).
func SizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// FileKind names a file mode that is not a regular file, for messages.
func FileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// IsSnapshot reports whether dir holds a syncgap manifest: a snapshot
// given where an export was expected.
func IsSnapshot(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, ManifestFile))
	return err == nil && fi.Mode().IsRegular()
}

// boundedReader fails a read past max bytes, naming the file: the size was
// checked before opening, so only a file that grows while read gets here.
type boundedReader struct {
	r         io.Reader
	name      string
	left, max int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, &ParseError{File: b.name, Err: fmt.Errorf("grew past %s while it was read", SizeText(b.max))}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

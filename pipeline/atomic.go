package pipeline

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// AtomicFile is a file that appears under its final name only when Commit
// succeeds: readers never see a partial table, and a failed stage leaves nothing.
// It hashes what is written so the manifest needs no second read.
type AtomicFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
	h    hash.Hash
	n    int64
	done bool
}

// CreateAtomic starts writing path through a temporary file in the same directory.
func CreateAtomic(path string) (*AtomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	// CreateTemp makes 0600 files; outputs are meant to be read by reviewers
	// and other tools, like any file the user would have created (umask applies
	// to neither, so pick the usual mode explicitly).
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &AtomicFile{path: path, f: f, w: bufio.NewWriterSize(f, 1<<20), h: sha256.New()}, nil
}

// Write implements io.Writer.
func (a *AtomicFile) Write(p []byte) (int, error) {
	n, err := a.w.Write(p)
	a.h.Write(p[:n])
	a.n += int64(n)
	return n, err
}

// Path is the final name.
func (a *AtomicFile) Path() string { return a.path }

// SHA256 is the hex SHA-256 of everything written so far.
func (a *AtomicFile) SHA256() string { return hex.EncodeToString(a.h.Sum(nil)) }

// Size is the number of bytes written so far.
func (a *AtomicFile) Size() int64 { return a.n }

// Commit flushes, fsyncs and renames the file into place, then fsyncs the directory
// so the rename survives a power loss.
func (a *AtomicFile) Commit() error {
	if a.done {
		return fmt.Errorf("commit %s: already closed", a.path)
	}
	a.done = true
	tmp := a.f.Name()
	err := a.w.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, a.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", a.path, err)
	}
	return syncDir(filepath.Dir(a.path))
}

// Abort discards the temporary file; it is a no-op after Commit.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}

// WriteFileAtomic writes data to path atomically.
func WriteFileAtomic(path string, data []byte) error {
	a, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	if _, err := a.Write(data); err != nil {
		a.Abort()
		return err
	}
	return a.Commit()
}

// HashFile returns the hex SHA-256 and size of a file.
func HashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// HashingReader hashes what is read through it, so an input is hashed in the
// same pass that parses it.
type HashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

// NewHashingReader wraps r.
func NewHashingReader(r io.Reader) *HashingReader {
	return &HashingReader{r: r, h: sha256.New()}
}

func (h *HashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// Record returns the input record for what has been read so far.
func (h *HashingReader) Record(path string) InputRecord {
	return InputRecord{Path: path, SHA256: hex.EncodeToString(h.h.Sum(nil)), Bytes: h.n}
}

// HashInput hashes a file the stage read from outside the snapshot, for
// the manifest. The path is kept as given, so the record says where it was.
func HashInput(path string) (InputRecord, error) {
	sum, n, err := HashFile(path)
	if err != nil {
		return InputRecord{}, fmt.Errorf("hash input %s: %w", filepath.Base(path), err)
	}
	return InputRecord{Path: path, SHA256: sum, Bytes: n}, nil
}

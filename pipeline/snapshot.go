package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Transaction builds a new snapshot in a scratch directory beside its
// destination and puts it in place only when every stage succeeded, so a
// bad input or a failed stage leaves nothing behind (docs/architecture.md,
// "Snapshots").
type Transaction struct {
	out, scratch string
	replace      bool
	unlock       func() // the lock of the snapshot being replaced, if any
}

// BeginSnapshot starts a snapshot that will replace out. An existing
// non-empty out is refused unless replace: a snapshot is evidence and is
// not overwritten by accident.
func BeginSnapshot(out string, replace bool) (*Transaction, error) {
	out = filepath.Clean(out)
	if err := checkOut(out, replace); err != nil {
		return nil, err
	}
	t := &Transaction{out: out, replace: replace}
	if replace {
		// A snapshot being replaced is locked like any other write into it,
		// so that a plan or an apply running on it is not moved away
		// underneath, and none starts until the new snapshot is in place.
		if m, err := LoadManifest(out); err == nil && len(m.Stages) > 0 {
			unlock, err := LockSnapshot(out)
			if err != nil {
				return nil, err
			}
			t.unlock = unlock
		}
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		t.release()
		return nil, err
	}
	scratch, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-")
	if err != nil {
		t.release()
		return nil, err
	}
	t.scratch = scratch
	return t, nil
}

// release lets go of the replaced snapshot's lock.
func (t *Transaction) release() {
	if t.unlock != nil {
		t.unlock()
		t.unlock = nil
	}
}

// checkOut refuses a destination that is a file, holds files (unless
// replace), or, to be replaced, is not a syncgap snapshot.
func checkOut(out string, replace bool) error {
	if fi, err := os.Stat(out); err == nil && !fi.IsDir() {
		return fmt.Errorf("%s is a file, not a snapshot directory: choose a new directory", out)
	}
	if entries, err := os.ReadDir(out); err == nil && !onlyLock(entries) {
		if !replace {
			return fmt.Errorf("%s already holds files: choose a new snapshot directory, or pass --replace", out)
		}
		// --replace replaces a snapshot, never any other directory.
		if m, err := LoadManifest(out); err != nil || len(m.Stages) == 0 {
			return fmt.Errorf("%s is not a syncgap snapshot (no manifest.json of ours): --replace replaces only a snapshot; choose a new directory", out)
		}
	}
	return nil
}

// onlyLock tells whether a directory is empty but for a lock file left by
// a killed run: it counts as empty.
func onlyLock(entries []os.DirEntry) bool {
	return len(entries) == 0 || len(entries) == 1 && entries[0].Name() == LockFile
}

// Dir is where the stages write until Commit.
func (t *Transaction) Dir() string { return t.scratch }

// Commit puts the finished snapshot in place of the destination. The
// destination is checked again, since another run may have written it
// meanwhile: without replace, only an empty directory is taken, removed
// only while it is still empty, so a snapshot written by a run that
// finished first is never moved aside.
func (t *Transaction) Commit() error {
	if err := checkOut(t.out, t.replace); err != nil {
		return fmt.Errorf("%w (checked again before putting this snapshot in place)", err)
	}
	old := ""
	if entries, err := os.ReadDir(t.out); err == nil && onlyLock(entries) {
		if len(entries) > 0 {
			os.Remove(filepath.Join(t.out, LockFile))
		}
		if err := os.Remove(t.out); err != nil {
			return fmt.Errorf("replace %s: %w", t.out, err)
		}
	} else if err == nil {
		old = t.scratch + ".old"
		if runtime.GOOS == "windows" {
			// Windows cannot rename a directory while a file in it is
			// open, and the lock is an open file.
			t.release()
		}
		if err := os.Rename(t.out, old); err != nil {
			return fmt.Errorf("replace %s: %w", t.out, err)
		}
	}
	if err := os.Rename(t.scratch, t.out); err != nil {
		if old != "" {
			os.Rename(old, t.out)
		}
		return fmt.Errorf("move snapshot into %s: %w", t.out, err)
	}
	t.scratch = ""
	t.release()
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// Abort removes the scratch directory unless Commit moved it into place;
// deferring it after BeginSnapshot is always safe.
func (t *Transaction) Abort() {
	t.release()
	if t.scratch != "" {
		os.RemoveAll(t.scratch)
		t.scratch = ""
	}
}

package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
)

// Transaction builds a new snapshot in a scratch directory beside its
// destination and puts it in place only when every stage succeeded, so a
// bad input or a failed stage leaves nothing behind (docs/architecture.md,
// "Snapshots").
type Transaction struct {
	out, scratch string
}

// BeginSnapshot starts a snapshot that will replace out. An existing
// non-empty out is refused unless replace: a snapshot is evidence and is
// not overwritten by accident.
func BeginSnapshot(out string, replace bool) (*Transaction, error) {
	out = filepath.Clean(out)
	if fi, err := os.Stat(out); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%s is a file, not a snapshot directory: choose a new directory", out)
	}
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 {
		if !replace {
			return nil, fmt.Errorf("%s already holds files: choose a new snapshot directory, or pass --replace", out)
		}
		// --replace replaces a snapshot, never any other directory.
		if m, err := LoadManifest(out); err != nil || len(m.Stages) == 0 {
			return nil, fmt.Errorf("%s is not a syncgap snapshot (no manifest.json of ours): --replace replaces only a snapshot; choose a new directory", out)
		}
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return nil, err
	}
	return &Transaction{out: out, scratch: scratch}, nil
}

// Dir is where the stages write until Commit.
func (t *Transaction) Dir() string { return t.scratch }

// Commit puts the finished snapshot in place of the destination.
func (t *Transaction) Commit() error {
	old := ""
	if _, err := os.Stat(t.out); err == nil {
		old = t.scratch + ".old"
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
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// Abort removes the scratch directory unless Commit moved it into place;
// deferring it after BeginSnapshot is always safe.
func (t *Transaction) Abort() {
	if t.scratch != "" {
		os.RemoveAll(t.scratch)
		t.scratch = ""
	}
}

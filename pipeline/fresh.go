package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
)

// CheckFresh verifies that a file in the snapshot is exactly what the
// manifest says its stage wrote, and that the stage read the current version
// of every snapshot table it used, all the way back to extraction. A snapshot
// where an earlier stage was re-run without the later ones, or a file was
// edited, fails with an error wrapping ErrStale that says what to re-run:
// a plan computed from it would not describe the directory it claims to.
func CheckFresh(dir string, m *Manifest, file string) error {
	c := freshness{dir: dir, m: m, done: map[string]bool{}, hash: func(f string) (string, int64, error) {
		return HashFile(filepath.Join(dir, f))
	}}
	return c.check(file)
}

type freshness struct {
	dir  string
	m    *Manifest
	done map[string]bool
	hash func(file string) (string, int64, error)
}

func (c *freshness) check(file string) error {
	if c.done[file] {
		return nil
	}
	rec, out := c.m.Output(file)
	if rec == nil {
		return fmt.Errorf("%s: no stage in the manifest wrote it: %w", file, ErrStale)
	}
	sum, _, err := c.hash(file)
	if err != nil {
		return fmt.Errorf("%s (written by %s): %w", file, rec.Stage, err)
	}
	if sum != out.SHA256 {
		return fmt.Errorf("%s was changed after %s wrote it (sha256 %s, manifest %s): %w", file, rec.Stage, ShortHash(sum), ShortHash(out.SHA256), ErrStale)
	}
	for _, in := range rec.Inputs {
		if !in.Snapshot {
			continue
		}
		prod, pout := c.m.Output(in.Path)
		if prod == nil {
			return fmt.Errorf("%s was computed from %s, which no stage in the manifest wrote: %w", file, in.Path, ErrStale)
		}
		if pout.SHA256 != in.SHA256 {
			return fmt.Errorf("%s was computed from an older %s (%s ran again after %s): re-run %s: %w",
				file, in.Path, prod.Stage, rec.Stage, rec.Stage, ErrStale)
		}
		if err := c.check(in.Path); err != nil {
			return err
		}
	}
	c.done[file] = true
	return nil
}

// FreshInput is CheckFresh of a table in another snapshot, dir, and its
// input record for the stage reading it: the check hashed the file and
// found the manifest's hash, so the record takes that hash rather than
// reading the file a second time.
func FreshInput(dir string, m *Manifest, file string) (InputRecord, error) {
	if err := CheckFresh(dir, m, file); err != nil {
		return InputRecord{}, err
	}
	_, o := m.Output(file)
	path := filepath.Join(dir, file)
	fi, err := os.Stat(path)
	if err != nil {
		return InputRecord{}, err
	}
	return InputRecord{Path: path, SHA256: o.SHA256, Bytes: fi.Size()}, nil
}

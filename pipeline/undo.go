package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// outputsUndo keeps what a stage's declared outputs were before it ran,
// so that the runner can put every one of them back when the stage
// fails: a stage that writes several files (plan: table, forecast,
// workbook, changes file) commits all of them or none, and a full disk
// halfway through never leaves a new plan.parquet beside the old workbook.
//
// An existing output is kept as a hard link (a copy where the file
// system has none), so keeping costs nothing however big the table; an
// output that did not exist is removed again, which only ever removes a
// file this run created: the snapshot lock keeps other writers out.
type outputsUndo struct {
	dir    string
	kept   []keptOutput
	absent []string
}

type keptOutput struct{ file, keep string }

// keepOutputs records the current state of files in dir.
func keepOutputs(dir string, files []string) (*outputsUndo, error) {
	u := &outputsUndo{dir: dir}
	for _, f := range files {
		p := filepath.Join(dir, f)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			u.absent = append(u.absent, f)
			continue
		}
		if err != nil {
			u.drop()
			return nil, fmt.Errorf("keep %s: %w", f, err)
		}
		if !fi.Mode().IsRegular() {
			u.drop()
			return nil, fmt.Errorf("%s is not a regular file: syncgap writes only files it owns", p)
		}
		keep, err := keepFile(p)
		if err != nil {
			u.drop()
			return nil, fmt.Errorf("keep %s: %w", f, err)
		}
		u.kept = append(u.kept, keptOutput{file: f, keep: keep})
	}
	return u, nil
}

// keepFile links (or copies) p to a new hidden name beside it.
func keepFile(p string) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".keep-*")
	if err != nil {
		return "", err
	}
	keep := tmp.Name()
	tmp.Close()
	os.Remove(keep)
	if err := os.Link(p, keep); err == nil {
		return keep, nil
	}
	// No hard links here (FAT, some network shares): copy.
	src, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer src.Close()
	dst, err := os.OpenFile(keep, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(keep)
		return "", err
	}
	return keep, nil
}

// restore puts every output back as it was; it reports the first file it
// could not restore (the manifest, not yet rewritten, then no longer
// vouches for it, and readers refuse it as stale).
func (u *outputsUndo) restore() error {
	var first error
	for _, k := range u.kept {
		p := filepath.Join(u.dir, k.file)
		// An output the stage never got to is still the kept file itself,
		// and rename between two links of one file does nothing at all.
		if a, err := os.Stat(p); err == nil {
			if b, err := os.Stat(k.keep); err == nil && os.SameFile(a, b) {
				os.Remove(k.keep)
				continue
			}
		}
		if err := os.Rename(k.keep, p); err != nil && first == nil {
			first = fmt.Errorf("restore %s: %w", k.file, err)
		}
	}
	for _, f := range u.absent {
		if err := os.Remove(filepath.Join(u.dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = fmt.Errorf("remove %s: %w", f, err)
		}
	}
	u.kept, u.absent = nil, nil
	return first
}

// drop forgets the kept copies: the stage's outputs stand.
func (u *outputsUndo) drop() {
	for _, k := range u.kept {
		os.Remove(k.keep)
	}
	u.kept, u.absent = nil, nil
}

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Runner runs stages on one snapshot directory and records each run in its
// manifest. It remembers the hash of every snapshot file it wrote or
// checked (by size and modification time), so the stages of one audit
// don't hash the same tables again and again to prove they are current.
type Runner struct {
	dir    string
	hashes map[string]knownHash
}

type knownHash struct {
	size    int64
	modTime time.Time
	sum     string
}

// NewRunner returns a runner for the snapshot directory dir.
func NewRunner(dir string) *Runner {
	return &Runner{dir: dir, hashes: map[string]knownHash{}}
}

// Dir is the snapshot directory.
func (r *Runner) Dir() string { return r.dir }

// Run runs st under the snapshot's writer lock: it checks that every file
// st reads is current, runs it, checks it wrote what it declares, and
// records it in the manifest, which is written only after every output is
// in place. A stage that fails leaves its outputs as they were before it
// ran, unless it keeps them on error (apply: its results say how far it got).
func (r *Runner) Run(ctx context.Context, st Stage) (_ *StageRecord, _ any, err error) {
	params, err := st.Params()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", st.Name(), err)
	}
	release, err := r.open()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", st.Name(), err)
	}
	defer func() { release(err != nil) }()
	m, err := LoadManifest(r.dir)
	if err != nil {
		return nil, nil, err
	}
	env := &Env{Dir: r.dir, Manifest: m, Params: params}
	for _, file := range st.Reads() {
		in, err := r.fresh(m, file)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", st.Name(), err)
		}
		env.Inputs = append(env.Inputs, in)
	}
	var undo *outputsUndo
	if !st.keepsOutputsOnError() {
		if undo, err = keepOutputs(r.dir, append(slices.Clone(st.Writes()), st.mayWrite()...)); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", st.Name(), err)
		}
	}
	// failed puts the outputs back as they were before the stage ran.
	failed := func(err error) error {
		if undo != nil {
			if uerr := undo.restore(); uerr != nil {
				return fmt.Errorf("%w (and putting back the earlier outputs failed: %v)", err, uerr)
			}
		}
		return err
	}
	start := time.Now().UTC()
	summary, err := st.run(ctx, env)
	if err != nil {
		// The summary, if any, says how far a stage that stopped got.
		return nil, summary, failed(err)
	}
	if err := checkWrites(st, env.Outputs); err != nil {
		return nil, nil, failed(err)
	}
	detail, err := EncodeParams(summary)
	if err != nil {
		return nil, nil, failed(fmt.Errorf("%s: summary: %w", st.Name(), err))
	}
	if len(detail) == 0 {
		detail = nil
	}
	rec := StageRecord{
		Stage:       st.Name(),
		ToolVersion: ToolVersion(),
		Parameters:  params,
		Inputs:      env.Inputs,
		Outputs:     env.Outputs,
		StartedAt:   start,
		FinishedAt:  time.Now().UTC(),
		Detail:      detail,
	}
	for _, o := range env.Outputs {
		r.remember(o.File, o.SHA256)
	}
	m.Drop(env.discard...)
	m.Put(rec)
	if err := m.Save(r.dir); err != nil {
		return nil, nil, failed(err)
	}
	if undo != nil {
		undo.drop()
	}
	for _, f := range env.discard {
		if err := os.Remove(filepath.Join(r.dir, f)); err != nil && !os.IsNotExist(err) {
			return nil, nil, fmt.Errorf("%s: remove %s: %w", st.Name(), f, err)
		}
		delete(r.hashes, f)
	}
	return &rec, summary, nil
}

// open makes the snapshot directory if it is missing and takes its lock.
// release lets the lock go; after a failed run in a directory that holds
// no snapshot (no manifest) it also removes the lock file and the
// directory if this run made them, so a failed first extract leaves
// nothing behind, not even an empty --out.
func (r *Runner) open() (release func(failed bool), err error) {
	_, err = os.Stat(r.dir)
	madeDir := errors.Is(err, fs.ErrNotExist)
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, fmt.Errorf("snapshot directory: %w", err)
	}
	lock := filepath.Join(r.dir, LockFile)
	_, err = os.Lstat(lock)
	madeLock := errors.Is(err, fs.ErrNotExist)
	clean := func() {
		if _, err := os.Stat(filepath.Join(r.dir, ManifestFile)); err == nil {
			return
		}
		if madeLock {
			os.Remove(lock)
		}
		if madeDir {
			os.Remove(r.dir) // only if empty
		}
	}
	unlock, err := LockSnapshot(r.dir)
	if err != nil {
		if madeDir {
			clean()
		}
		return nil, err
	}
	return func(failed bool) {
		unlock()
		if failed {
			clean()
		}
	}, nil
}

// fresh checks one declared read and returns its input record.
func (r *Runner) fresh(m *Manifest, file string) (InputRecord, error) {
	if rec, _ := m.Output(file); rec == nil {
		if _, err := os.Stat(filepath.Join(r.dir, file)); err != nil {
			return InputRecord{}, fmt.Errorf("input %s: %w (run the stage that writes it first)", file, err)
		}
	}
	c := freshness{dir: r.dir, m: m, done: map[string]bool{}, hash: r.hash}
	if err := c.check(file); err != nil {
		return InputRecord{}, err
	}
	sum, n, err := r.hash(file)
	if err != nil {
		return InputRecord{}, err
	}
	return InputRecord{Path: file, SHA256: sum, Bytes: n, Snapshot: true}, nil
}

// hash is HashFile of a snapshot file, from memory when the file has the
// size and modification time it had when this runner last hashed it.
func (r *Runner) hash(file string) (string, int64, error) {
	path := filepath.Join(r.dir, file)
	fi, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	if k, ok := r.hashes[file]; ok && k.size == fi.Size() && k.modTime.Equal(fi.ModTime()) {
		return k.sum, k.size, nil
	}
	sum, n, err := HashFile(path)
	if err != nil {
		return "", 0, err
	}
	r.hashes[file] = knownHash{size: n, modTime: fi.ModTime(), sum: sum}
	return sum, n, nil
}

func (r *Runner) remember(file, sum string) {
	if fi, err := os.Stat(filepath.Join(r.dir, file)); err == nil {
		r.hashes[file] = knownHash{size: fi.Size(), modTime: fi.ModTime(), sum: sum}
	}
}

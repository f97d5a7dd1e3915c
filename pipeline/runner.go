package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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

// Run runs st: it checks that every file st reads is current, runs it,
// checks it wrote what it declares, and records it in the manifest, which
// is written only after every output is in place.
func (r *Runner) Run(ctx context.Context, st Stage) (*StageRecord, any, error) {
	params, err := st.Params()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", st.Name(), err)
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("snapshot directory: %w", err)
	}
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
	start := time.Now().UTC()
	summary, err := st.run(ctx, env)
	if err != nil {
		// The summary, if any, says how far a stage that stopped got.
		return nil, summary, err
	}
	if err := checkWrites(st, env.Outputs); err != nil {
		return nil, nil, err
	}
	detail, err := EncodeParams(summary)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: summary: %w", st.Name(), err)
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
		return nil, nil, err
	}
	for _, f := range env.discard {
		if err := os.Remove(filepath.Join(r.dir, f)); err != nil && !os.IsNotExist(err) {
			return nil, nil, fmt.Errorf("%s: remove %s: %w", st.Name(), f, err)
		}
		delete(r.hashes, f)
	}
	return &rec, summary, nil
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

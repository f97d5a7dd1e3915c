package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// ReplayStatus is the verdict on one file in a replay.
type ReplayStatus string

// Replay verdicts.
const (
	ReplayMatch   ReplayStatus = "match"   // the file re-computed (or on disk) has the recorded hash
	ReplayDiffers ReplayStatus = "differs" // different bytes
	ReplayMissing ReplayStatus = "missing" // the file is absent (on disk or not produced again)
)

// ReplayCheck compares one file with its manifest record.
type ReplayCheck struct {
	Stage  string
	File   string
	Want   string // recorded SHA-256
	Got    string // SHA-256 on disk (saved inputs) or re-computed (replayed outputs)
	Status ReplayStatus
	Saved  bool // true: a saved extraction table checked in place, not re-computed
}

// Replay re-runs every replayable stage recorded in the snapshot's manifest,
// in recorded order and with recorded parameters, in a scratch directory
// seeded with the saved extraction tables, and compares each output's hash
// with the manifest. The snapshot itself is never written. A saved table
// that differs is reported, and the stages after it run on it as it is, so
// the report shows what the difference leads to.
func Replay(ctx context.Context, dir string, stages []Replayer) ([]ReplayCheck, error) {
	m, err := LoadManifest(dir)
	if err != nil {
		return nil, err
	}
	if len(m.Stages) == 0 {
		return nil, fmt.Errorf("%s: no manifest or no recorded stages: not a snapshot", dir)
	}
	byName := map[string]Replayer{}
	for _, s := range stages {
		byName[s.StageName()] = s
	}
	scratch, err := os.MkdirTemp("", "syncgap-replay-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)

	var checks []ReplayCheck
	seed := &Manifest{Format: ManifestFormat}
	// Saved tables first: they are the inputs of everything replayed.
	for _, rec := range m.Stages {
		if _, ok := byName[rec.Stage]; ok {
			continue
		}
		saved := rec
		saved.Outputs = slices.Clone(rec.Outputs)
		for i, out := range rec.Outputs {
			c := ReplayCheck{Stage: rec.Stage, File: out.File, Want: out.SHA256, Saved: true}
			sum, _, err := HashFile(filepath.Join(dir, out.File))
			switch {
			case err != nil:
				c.Status = ReplayMissing
			case sum != out.SHA256:
				c.Got, c.Status = sum, ReplayDiffers
			default:
				c.Got, c.Status = sum, ReplayMatch
			}
			checks = append(checks, c)
			if err == nil {
				saved.Outputs[i].SHA256 = sum
				if err := copyFile(filepath.Join(dir, out.File), filepath.Join(scratch, out.File)); err != nil {
					return nil, err
				}
			}
		}
		seed.Put(saved)
	}
	if err := seed.Save(scratch); err != nil {
		return nil, err
	}

	r := NewRunner(scratch)
	for _, rec := range m.Stages {
		def, ok := byName[rec.Stage]
		if !ok {
			continue // checked above as a saved table
		}
		st, err := def.FromParams(rec.Parameters)
		if err != nil {
			return checks, fmt.Errorf("replay %w", err)
		}
		got, _, err := r.Run(ctx, st)
		if err != nil {
			return checks, fmt.Errorf("replay %s: %w", rec.Stage, err)
		}
		for _, out := range rec.Outputs {
			c := ReplayCheck{Stage: rec.Stage, File: out.File, Want: out.SHA256, Status: ReplayMissing}
			for _, o := range got.Outputs {
				if o.File == out.File {
					c.Got = o.SHA256
					c.Status = ReplayDiffers
					if o.SHA256 == out.SHA256 {
						c.Status = ReplayMatch
					}
				}
			}
			checks = append(checks, c)
		}
	}
	return checks, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}

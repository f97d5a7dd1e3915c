package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"
)

// Stage is one step of the pipeline. Run reads its inputs from the snapshot
// directory dir and writes only its own outputs there; everything it depends
// on besides the snapshot's files is in params, so the manifest holds all
// that is needed to run it again (replay).
type Stage struct {
	Name string
	// Replayable stages run again from saved tables; extraction stages,
	// which read the outside world, are not.
	Replayable bool
	Run        func(ctx context.Context, dir string, params map[string]string) (*Result, error)
}

// Result is what a stage reports about one run.
type Result struct {
	Inputs  []InputRecord
	Outputs []OutputRecord
	Detail  map[string]string
}

// ToolVersion names the build: module version and VCS revision when known.
func ToolVersion() string {
	v := "syncgap (devel)"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = "syncgap " + bi.Main.Version
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " " + rev + dirty
	}
	return v
}

// RunStage runs a stage on a snapshot directory and records it in the manifest.
// The manifest is written only after every output is in place.
func RunStage(ctx context.Context, dir string, st Stage, params map[string]string) (*StageRecord, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("snapshot directory: %w", err)
	}
	m, err := LoadManifest(dir)
	if err != nil {
		return nil, err
	}
	if params == nil {
		params = map[string]string{}
	}
	start := time.Now().UTC()
	res, err := st.Run(ctx, dir, params)
	if err != nil {
		return nil, err
	}
	rec := StageRecord{
		Stage:       st.Name,
		ToolVersion: ToolVersion(),
		Parameters:  params,
		Inputs:      res.Inputs,
		Outputs:     res.Outputs,
		StartedAt:   start,
		FinishedAt:  time.Now().UTC(),
		Detail:      res.Detail,
	}
	m.Put(rec)
	if err := m.Save(dir); err != nil {
		return nil, err
	}
	return &rec, nil
}

// TableInput hashes a table file inside the snapshot for the manifest.
func TableInput(dir, table string) (InputRecord, error) {
	name := FileName(table)
	sum, n, err := HashFile(filepath.Join(dir, name))
	if err != nil {
		return InputRecord{}, fmt.Errorf("input table %s: %w (run the stage that writes it first)", name, err)
	}
	return InputRecord{Path: name, SHA256: sum, Bytes: n, Snapshot: true}, nil
}

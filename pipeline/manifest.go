package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ManifestFile is the name of the manifest inside a snapshot directory.
const ManifestFile = "manifest.json"

// ManifestFormat identifies the manifest layout; bump it when the layout changes.
const ManifestFormat = "syncgap-snapshot/1"

// Manifest describes a snapshot: which stage wrote which file, from what, how.
// Wall-clock times live here, never inside the data files.
type Manifest struct {
	Format string        `json:"format"`
	Stages []StageRecord `json:"stages"` // in the order they were (last) run
}

// StageRecord is one stage run: its parameters, the inputs it read and the files it wrote.
type StageRecord struct {
	Stage       string            `json:"stage"`
	ToolVersion string            `json:"tool_version"`
	Parameters  map[string]string `json:"parameters"`
	Inputs      []InputRecord     `json:"inputs"`
	Outputs     []OutputRecord    `json:"outputs"`
	StartedAt   time.Time         `json:"started_at"`
	FinishedAt  time.Time         `json:"finished_at"`
	Detail      map[string]string `json:"detail,omitempty"` // e.g. detected input format
}

// InputRecord is one file a stage read. Snapshot tables are named by file
// name only, so a copied or moved snapshot still resolves them.
type InputRecord struct {
	Path     string `json:"path"`
	SHA256   string `json:"sha256"`
	Bytes    int64  `json:"bytes"`
	Snapshot bool   `json:"snapshot,omitempty"` // true: a file inside the snapshot directory
}

// OutputRecord is one file a stage wrote into the snapshot.
type OutputRecord struct {
	Table  string `json:"table,omitempty"` // empty for non-table outputs such as report.xlsx
	File   string `json:"file"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

// LoadManifest reads dir/manifest.json; a missing manifest is an empty one.
func LoadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &Manifest{Format: ManifestFormat}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("%s: unsupported manifest format %q (want %q)", filepath.Join(dir, ManifestFile), m.Format, ManifestFormat)
	}
	// Every file a stage wrote, or read from the snapshot, is a plain name
	// inside it: anything else would let a manifest point replay and the
	// freshness checks at files outside the snapshot.
	for _, rec := range m.Stages {
		for _, o := range rec.Outputs {
			if !plainName(o.File) {
				return nil, fmt.Errorf("%s: corrupt manifest: stage %s output %q is not a file name inside the snapshot", filepath.Join(dir, ManifestFile), rec.Stage, o.File)
			}
		}
		for _, in := range rec.Inputs {
			if in.Snapshot && !plainName(in.Path) {
				return nil, fmt.Errorf("%s: corrupt manifest: stage %s input %q is not a file name inside the snapshot", filepath.Join(dir, ManifestFile), rec.Stage, in.Path)
			}
		}
	}
	return &m, nil
}

// Save writes the manifest atomically.
func (m *Manifest) Save(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, ManifestFile), append(b, '\n'))
}

// Stage returns the record of the named stage, or nil.
func (m *Manifest) Stage(name string) *StageRecord {
	for i := range m.Stages {
		if m.Stages[i].Stage == name {
			return &m.Stages[i]
		}
	}
	return nil
}

// Put records a stage run, replacing an earlier run of the same stage. A
// file has one writer in a manifest: outputs of other stages with a file name
// rec also wrote are dropped (plan rewrites report.xlsx), and so is a stage
// left with no output, since none of what it wrote is there any more.
func (m *Manifest) Put(rec StageRecord) {
	written := map[string]bool{}
	for _, o := range rec.Outputs {
		written[o.File] = true
	}
	m.without(rec.Stage, written)
	m.Stages = append(m.Stages, rec)
}

// Drop removes files from the stages that wrote them; a stage left with
// no output is dropped too.
func (m *Manifest) Drop(files ...string) {
	if len(files) == 0 {
		return
	}
	gone := map[string]bool{}
	for _, f := range files {
		gone[f] = true
	}
	m.without("", gone)
}

// without removes the records of stage (if named) and the outputs in gone
// from every other stage, dropping a stage left with no output.
func (m *Manifest) without(stage string, gone map[string]bool) {
	kept := m.Stages[:0]
	for _, s := range m.Stages {
		if stage != "" && s.Stage == stage {
			continue
		}
		had := len(s.Outputs)
		outs := make([]OutputRecord, 0, had)
		for _, o := range s.Outputs {
			if !gone[o.File] {
				outs = append(outs, o)
			}
		}
		if had > 0 && len(outs) == 0 {
			continue
		}
		s.Outputs = outs
		kept = append(kept, s)
	}
	m.Stages = kept
}

// Output returns the output record for a file name across all stages, or nil.
func (m *Manifest) Output(file string) (*StageRecord, *OutputRecord) {
	for i := range m.Stages {
		for j := range m.Stages[i].Outputs {
			if m.Stages[i].Outputs[j].File == file {
				return &m.Stages[i], &m.Stages[i].Outputs[j]
			}
		}
	}
	return nil, nil
}

// EntraSummary is what extract-entra records of its run, whichever the
// source (export files or live Graph); the workbook shows it.
type EntraSummary struct {
	Formats  string `param:"formats"`  // the formats read, primary first
	Detected string `param:"detected"` // what was detected in each export
	// WeakEvidence is true when the primary export lacks sync flags or
	// immutable ids, so the join falls back to UPNs.
	WeakEvidence bool `param:"weak_evidence,omitempty"`
	// TenantFeatures says why the tenant flag is unknown when the
	// features could not be read.
	TenantFeatures string `param:"tenant_features,omitempty"`
	// Unmatched counts the rows of secondary exports (every --export after
	// the first) that matched no user of the primary one and so were not
	// added; UnmatchedExamples is a comma-separated list of the first few
	// of their UPNs.
	Unmatched         int    `param:"secondary_unmatched,omitempty"`
	UnmatchedExamples string `param:"secondary_unmatched_examples,omitempty"`
}

// plainName reports whether name is a file name with no directory part.
func plainName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\:`) && filepath.Base(name) == name
}

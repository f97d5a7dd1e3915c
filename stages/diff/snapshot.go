package diff

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// Snapshot is an audited snapshot opened for a diff: its gaps rows, held
// in Arrow memory until Close, and what names it.
type Snapshot struct {
	Dir   string // absolute
	Info  workbook.DiffSnapshot
	Gaps  *pipeline.Table[pipeline.DiffSide]
	Input pipeline.InputRecord // gaps.parquet, for the manifest of the diff
}

// gapsFile is the table a diff reads: it holds, per user, both sides'
// values, the states and the effect (docs/tables.md, "gaps").
var gapsFile = pipeline.FileName(pipeline.GapsTable)

// Open opens the snapshot dir, which role ("before" or "after") names in
// errors, and reads its gaps table once it is known to be current. A path
// that is no snapshot, or a snapshot without an audit, is refused in one
// line that says what to give instead. Open never writes to dir.
func Open(dir, role string) (*Snapshot, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s snapshot %s: %s", role, dir, fmt.Sprintf(format, a...))
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fail("no such directory")
	case err != nil:
		return nil, fail("%v", err)
	case !fi.IsDir():
		return nil, fail("is a file, not a snapshot directory: give a directory syncgap audit wrote")
	case !pipeline.IsSnapshot(abs):
		return nil, fail("not a syncgap snapshot (no %s): give a directory syncgap audit wrote", pipeline.ManifestFile)
	}
	m, err := pipeline.LoadManifest(abs)
	if err != nil {
		return nil, fail("%v", err)
	}
	rec, out := m.Output(gapsFile)
	if rec == nil {
		return nil, fail("holds no audit (no stage in its manifest wrote %s; it records %s): give a snapshot syncgap audit wrote",
			gapsFile, stageNames(m))
	}
	if err := pipeline.CheckFresh(abs, m, gapsFile); err != nil {
		return nil, fail("%v", err)
	}
	path := filepath.Join(abs, gapsFile)
	gaps, err := pipeline.LoadTable[pipeline.DiffSide](path)
	if err != nil {
		return nil, fail("%v", err)
	}
	s := &Snapshot{Dir: abs, Gaps: gaps, Info: workbook.DiffSnapshot{Name: filepath.Base(abs), ID: workbook.SnapshotID(m)}}
	if r := m.Stage("extract-ad"); r != nil {
		s.Info.ADReadAt = r.FinishedAt
	}
	if r := m.Stage("extract-entra"); r != nil {
		s.Info.CloudReadAt = r.FinishedAt
	}
	// CheckFresh has just hashed the file to the manifest's hash.
	if fi, err := os.Stat(path); err == nil {
		s.Input = pipeline.InputRecord{Path: path, SHA256: out.SHA256, Bytes: fi.Size()}
	}
	return s, nil
}

// Close releases the gaps rows.
func (s *Snapshot) Close() { s.Gaps.Release() }

// stageNames lists the stages a manifest records, for messages.
func stageNames(m *pipeline.Manifest) string {
	if len(m.Stages) == 0 {
		return "no stage"
	}
	names := make([]string, len(m.Stages))
	for i := range m.Stages {
		names[i] = m.Stages[i].Stage
	}
	return strings.Join(names, ", ")
}

// CheckOut refuses an output directory that is one of the snapshots
// compared, or holds one, or lies inside one: the diff reads them and
// never writes into them, and --replace would otherwise remove one.
func CheckOut(out string, snapshots ...string) error {
	o, err := realPath(out)
	if err != nil {
		return err
	}
	for _, s := range snapshots {
		p, err := realPath(s)
		if err != nil {
			return err
		}
		if within(o, p) || within(p, o) {
			return fmt.Errorf("--out %s overlaps the snapshot %s: the diff never writes into the snapshots it compares; choose a directory outside them", out, s)
		}
	}
	return nil
}

// realPath is path absolute with its symbolic links resolved, as far as
// it exists.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest), nil
		}
		if filepath.Dir(dir) == dir {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

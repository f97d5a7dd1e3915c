package planfile

import (
	"fmt"
	"io"
	"path/filepath"

	"syncgap/ldif"
	"syncgap/pipeline"
)

// ChangesFile is the LDIF of every proposed AD change a plan writes.
const ChangesFile = "changes.ldif"

// Actions are a plan's actions for one pass, in plan order: calling it
// calls fn for each in turn and stops at the first error. The action is
// valid only during the call. A plan of a million users is read from its
// file pass by pass instead of being held (docs/architecture.md, "Memory").
type Actions func(fn func(*pipeline.Action) error) error

// Slice is Actions over actions held in memory.
func Slice(actions []pipeline.Action) Actions {
	return func(fn func(*pipeline.Action) error) error {
		for i := range actions {
			if err := fn(&actions[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// FromFile is Actions read from a plan table file on every pass.
func FromFile(path string) Actions {
	return func(fn func(*pipeline.Action) error) error {
		return pipeline.ScanRows(path, fn)
	}
}

// WriteChanges writes the AD actions among actions as an LDIF change file
// that ldapmodify and ldifde accept, in compare-and-swap form: an action
// deletes the exact values it expects and adds the new ones in one modify,
// so it fails (noSuchAttribute) instead of overwriting a value that changed
// since the plan. Adding a value where AD had none relies on mobile being
// single-valued; otherMobile adds are checked by apply, which reads first.
// keep selects the actions to write (all decidable ones, or the approved
// ones); it returns how many it wrote.
func WriteChanges(w io.Writer, header string, actions Actions, keep func(*pipeline.Action) bool) (int, error) {
	lw := ldif.NewWriter(w)
	lw.Header(header)
	n := 0
	err := actions(func(a *pipeline.Action) error {
		if a.Target != pipeline.TargetAD || !a.Kind.Writes() || !keep(a) {
			return nil
		}
		lw.Modify(fmt.Sprintf("action %s (%s, risk %s): %s", a.ActionID, a.Kind, a.Risk, a.Reason), a.DN, a.Attribute, a.Expected, a.Value)
		n++
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, lw.Flush()
}

// WriteChangesFile writes an LDIF change file into the snapshot atomically
// and returns its manifest record.
func WriteChangesFile(dir, name, header string, actions Actions, keep func(*pipeline.Action) bool) (pipeline.OutputRecord, error) {
	f, err := pipeline.CreateAtomic(filepath.Join(dir, name))
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	n, err := WriteChanges(f, header, actions, keep)
	if err != nil {
		f.Abort()
		return pipeline.OutputRecord{}, err
	}
	if err := f.Commit(); err != nil {
		return pipeline.OutputRecord{}, err
	}
	return pipeline.OutputRecord{File: name, Rows: int64(n), SHA256: f.SHA256()}, nil
}

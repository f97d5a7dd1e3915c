package planfile

import (
	"context"
	"fmt"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// Files a stage that writes a plan declares.
var Files = []string{pipeline.FileName(pipeline.PlanTable), workbook.File, ChangesFile}

// Write writes a plan's three files into the stage's snapshot and records
// them: plan.parquet, the change-board workbook (with the audit sheets of
// a) and changes.ldif, from book.Actions.
func Write(ctx context.Context, env *pipeline.Env, a *workbook.Audit, book *workbook.PlanBook) error {
	out, err := pipeline.WriteTable(env.Dir, pipeline.PlanTable, book.Actions)
	if err != nil {
		return err
	}
	env.AddOutput(out)
	return Publish(ctx, env, a, book, Slice(book.Actions), out.Rows)
}

// Publish writes the change-board workbook and changes.ldif of a plan
// whose plan.parquet is written, actions read from it: rows is their
// number.
func Publish(ctx context.Context, env *pipeline.Env, a *workbook.Audit, book *workbook.PlanBook, actions Actions, rows int64) error {
	if err := workbook.WritePlan(ctx, env.Path(workbook.File), a, book); err != nil {
		return err
	}
	wb, err := workbook.Output(env.Dir, rows)
	if err != nil {
		return err
	}
	env.AddOutput(wb)
	header := fmt.Sprintf("syncgap change file, plan %s (policy %s)\n"+
		"Every proposed AD change (kinds write and decide), approved or not: review before use.\n"+
		"Each change deletes the value it expects and adds the new one, so it fails instead of\n"+
		"overwriting a value that changed since the plan. syncgap apply runs only approved\n"+
		"changes, journals each outcome and resumes after a crash; ldapmodify -f does neither.", book.Hash, book.Policy)
	ldif, err := WriteChangesFile(env.Dir, ChangesFile, header, actions, func(*pipeline.Action) bool { return true })
	if err != nil {
		return err
	}
	env.AddOutput(ldif)
	return nil
}

// Writer writes plan.parquet as a planner makes the actions, hashing and
// counting them on the way, so that a plan of millions of users never
// holds its actions (docs/architecture.md, "Memory").
type Writer struct {
	w   *pipeline.Writer[pipeline.Action]
	h   *Hasher
	sum Summary
	env *pipeline.Env
}

// NewWriter starts the plan.parquet of the stage env runs, hashed with
// its inputs and parameters.
func NewWriter(env *pipeline.Env) (*Writer, error) {
	w, err := pipeline.CreateTable[pipeline.Action](env.Dir, pipeline.PlanTable)
	if err != nil {
		return nil, err
	}
	return &Writer{w: w, h: NewHasher(env.Inputs, env.Params), env: env}, nil
}

// Add writes the next action.
func (w *Writer) Add(a *pipeline.Action) error {
	w.h.Add(a)
	w.sum.Add(a)
	return w.w.Write(a)
}

// Rows is the number of actions written.
func (w *Writer) Rows() int64 { return w.w.Rows() }

// Commit moves plan.parquet into place and records it; it returns the
// plan hash and the counts by kind.
func (w *Writer) Commit() (Summary, error) {
	out, err := w.w.Commit()
	if err != nil {
		return Summary{}, err
	}
	w.env.AddOutput(out)
	s := w.sum
	s.Hash = w.h.Sum()
	return s, nil
}

// Abort discards plan.parquet; after Commit it does nothing.
func (w *Writer) Abort() { w.w.Abort() }

package planfile

import (
	"fmt"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// Files a stage that writes a plan declares.
var Files = []string{pipeline.FileName(pipeline.PlanTable), workbook.File, ChangesFile}

// Write writes a plan's three files into the stage's snapshot and records
// them: plan.parquet, the change-board workbook (with the audit sheets of
// a) and changes.ldif.
func Write(env *pipeline.Env, a *workbook.Audit, book *workbook.PlanBook) error {
	out, err := pipeline.WriteTable(env.Dir, pipeline.PlanTable, book.Actions)
	if err != nil {
		return err
	}
	env.AddOutput(out)
	if err := workbook.WritePlan(env.Path(workbook.File), a, book); err != nil {
		return err
	}
	wb, err := workbook.Output(env.Dir, int64(len(book.Actions)))
	if err != nil {
		return err
	}
	env.AddOutput(wb)
	header := fmt.Sprintf("syncgap change file, plan %s (policy %s)\n"+
		"Every proposed AD change (kinds write and decide), approved or not: review before use.\n"+
		"Each change deletes the value it expects and adds the new one, so it fails instead of\n"+
		"overwriting a value that changed since the plan. syncgap apply runs only approved\n"+
		"changes, journals each outcome and resumes after a crash; ldapmodify -f does neither.", book.Hash, book.Policy)
	ldif, err := WriteChangesFile(env.Dir, ChangesFile, header, book.Actions, func(*pipeline.Action) bool { return true })
	if err != nil {
		return err
	}
	env.AddOutput(ldif)
	return nil
}

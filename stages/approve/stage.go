// Package approve reads a signed change-board workbook back into
// approvals.parquet, after checking that it signs this snapshot's plan.
package approve

import (
	"context"
	"fmt"
	"sort"

	"syncgap/pipeline"
	"syncgap/planfile"
	"syncgap/workbook"
)

// Config names the signed workbook.
type Config struct {
	Workbook string `param:"workbook"`
}

// Validate refuses a config without a workbook.
func (c *Config) Validate() error {
	if c.Workbook == "" {
		return fmt.Errorf("approve: no workbook given")
	}
	return nil
}

// Summary is what approve records.
type Summary struct {
	PlanHash  string `param:"plan_hash"`
	Approver  string `param:"approver"`
	Approved  int    `param:"approved"`
	Rejected  int    `param:"rejected"`
	Undecided int    `param:"undecided"`
}

// Stage reads the signed workbook. It reads a file from outside the
// snapshot, so like extraction it is not replayed; its output is checked
// in place instead.
var Stage = pipeline.Def[Config, Summary]{
	Name:   "approve",
	Reads:  func(Config) []string { return []string{pipeline.FileName(pipeline.PlanTable)} },
	Writes: []string{pipeline.FileName(pipeline.ApprovalsTable), ApprovedChangesFile},
	Do:     run,
}

func run(ctx context.Context, env *pipeline.Env, cfg Config) (Summary, error) {
	path := cfg.Workbook
	pl, err := planfile.Load(env.Dir)
	if err != nil {
		return Summary{}, fmt.Errorf("approve: %w", err)
	}
	actions, hash := pl.Actions, pl.Hash
	in, err := pipeline.HashInput(path)
	if err != nil {
		return Summary{}, fmt.Errorf("approve: %w", err)
	}
	sum := in.SHA256
	signed, err := workbook.ReadSigned(path)
	if err != nil {
		return Summary{}, err
	}
	if signed.PlanHash != hash {
		return Summary{}, &pipeline.CellError{File: path, Sheet: workbook.SignOffSheet, Cell: signed.PlanHashCell,
			Err: fmt.Errorf("plan hash %s is not this snapshot's plan (%s): the workbook belongs to another plan", pipeline.ShortHash(signed.PlanHash), pipeline.ShortHash(hash))}
	}
	index := make(map[string]int, len(actions))
	decidable := 0
	for i := range actions {
		index[actions[i].ActionID] = i
		if actions[i].Kind.Decidable() {
			decidable++
		}
	}
	type row struct {
		at int
		a  pipeline.Approval
	}
	// An id the plan does not know, even on an undecided row, means the
	// workbook was edited where it should not be: refuse it all.
	for _, d := range signed.Undecided {
		if _, ok := index[d.ActionID]; !ok {
			return Summary{}, &pipeline.CellError{File: path, Sheet: d.Sheet, Cell: d.IDCell, Err: fmt.Errorf("action %q is not in this plan", d.ActionID)}
		}
	}
	rows := make([]row, 0, len(signed.Decisions))
	counts := map[pipeline.Decision]int{}
	for _, d := range signed.Decisions {
		i, ok := index[d.ActionID]
		if !ok {
			return Summary{}, &pipeline.CellError{File: path, Sheet: d.Sheet, Cell: d.IDCell, Err: fmt.Errorf("action %q is not in this plan", d.ActionID)}
		}
		if !actions[i].Kind.Decidable() {
			return Summary{}, &pipeline.CellError{File: path, Sheet: d.Sheet, Cell: d.Cell,
				Err: fmt.Errorf("action %s is a %s row: it takes no decision", d.ActionID, actions[i].Kind)}
		}
		counts[d.Decision]++
		rows = append(rows, row{i, pipeline.Approval{
			ActionID: d.ActionID, Decision: d.Decision, Approver: signed.Approver, ApproverRole: signed.Role,
			SignedOn: signed.Date, Comment: d.Comment, PlanHash: hash, WorkbookSHA256: sum,
			Cell: d.Sheet + "!" + d.Cell,
		}})
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	// Plan order, whatever order the rows had in the workbook.
	sort.Slice(rows, func(i, j int) bool { return rows[i].at < rows[j].at })
	approvals := make([]pipeline.Approval, len(rows))
	for i := range rows {
		approvals[i] = rows[i].a
	}
	out, err := pipeline.WriteTable(env.Dir, pipeline.ApprovalsTable, approvals)
	if err != nil {
		return Summary{}, err
	}
	ldif, err := writeApprovedChanges(env.Dir, hash, signed.Approver, actions, approvals)
	if err != nil {
		return Summary{}, err
	}
	env.AddInput(in)
	env.AddOutput(out)
	env.AddOutput(ldif)
	return Summary{
		PlanHash: hash, Approver: signed.Approver,
		Approved: counts[pipeline.Approve], Rejected: counts[pipeline.Reject], Undecided: decidable - len(rows),
	}, nil
}

// ApprovedChangesFile holds only the approved AD changes, for admins who
// apply with ldapmodify or ldifde instead of syncgap apply.
const ApprovedChangesFile = "approved-changes.ldif"

func writeApprovedChanges(dir, hash, approver string, actions []pipeline.Action, approvals []pipeline.Approval) (pipeline.OutputRecord, error) {
	ok := map[string]bool{}
	for _, a := range approvals {
		if a.Decision == pipeline.Approve {
			ok[a.ActionID] = true
		}
	}
	header := fmt.Sprintf("syncgap approved changes, plan %s, signed by %s\n"+
		"Only the AD changes the change board approved, in compare-and-swap form. syncgap apply\n"+
		"runs the same changes with a journal, resume and rollback.", hash, approver)
	return planfile.WriteChangesFile(dir, ApprovedChangesFile, header, actions, func(a *pipeline.Action) bool { return ok[a.ActionID] })
}

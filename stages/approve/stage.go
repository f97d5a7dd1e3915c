// Package approve reads a signed change-board workbook back into
// approvals.parquet, after checking that it signs this snapshot's plan.
package approve

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"

	"syncgap/pipeline"
	"syncgap/reports"
	"syncgap/stages/plan"
)

// ParamWorkbook names the signed workbook.
const ParamWorkbook = "workbook"

// Stage reads the signed workbook named by the workbook parameter. It reads
// a file from outside the snapshot, so like extraction it is not replayed;
// its output is checked in place instead.
func Stage() pipeline.Stage {
	return pipeline.Stage{Name: "approve", Run: run}
}

func run(ctx context.Context, dir string, params map[string]string) (*pipeline.Result, error) {
	path := params[ParamWorkbook]
	if path == "" {
		return nil, fmt.Errorf("approve: no workbook given")
	}
	actions, hash, _, err := plan.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("approve: %w", err)
	}
	planIn, err := pipeline.TableInput(dir, pipeline.PlanTable)
	if err != nil {
		return nil, err
	}
	sum, size, err := pipeline.HashFile(path)
	if err != nil {
		return nil, fmt.Errorf("approve: %w", err)
	}
	signed, err := reports.ReadSigned(path)
	if err != nil {
		return nil, err
	}
	if signed.PlanHash != hash {
		return nil, &pipeline.CellError{File: path, Sheet: reports.SignOffSheet, Cell: signed.PlanHashCell,
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
			return nil, &pipeline.CellError{File: path, Sheet: d.Sheet, Cell: d.IDCell, Err: fmt.Errorf("action %q is not in this plan", d.ActionID)}
		}
	}
	rows := make([]row, 0, len(signed.Decisions))
	counts := map[pipeline.Decision]int{}
	for _, d := range signed.Decisions {
		i, ok := index[d.ActionID]
		if !ok {
			return nil, &pipeline.CellError{File: path, Sheet: d.Sheet, Cell: d.IDCell, Err: fmt.Errorf("action %q is not in this plan", d.ActionID)}
		}
		if !actions[i].Kind.Decidable() {
			return nil, &pipeline.CellError{File: path, Sheet: d.Sheet, Cell: d.Cell,
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
		return nil, err
	}
	// Plan order, whatever order the rows had in the workbook.
	sort.Slice(rows, func(i, j int) bool { return rows[i].at < rows[j].at })
	approvals := make([]pipeline.Approval, len(rows))
	for i := range rows {
		approvals[i] = rows[i].a
	}
	out, err := pipeline.WriteTable(dir, pipeline.ApprovalsTable, approvals)
	if err != nil {
		return nil, err
	}
	ldif, err := writeApprovedChanges(dir, hash, signed.Approver, actions, approvals)
	if err != nil {
		return nil, err
	}
	return &pipeline.Result{
		Inputs:  []pipeline.InputRecord{{Path: path, SHA256: sum, Bytes: size}, planIn},
		Outputs: []pipeline.OutputRecord{out, ldif},
		Detail: map[string]string{
			plan.DetailHash: hash,
			"approver":      signed.Approver,
			"approved":      strconv.Itoa(counts[pipeline.Approve]),
			"rejected":      strconv.Itoa(counts[pipeline.Reject]),
			"undecided":     strconv.Itoa(decidable - len(rows)),
		},
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
	f, err := pipeline.CreateAtomic(filepath.Join(dir, ApprovedChangesFile))
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	n := 0
	header := fmt.Sprintf("syncgap approved changes, plan %s, signed by %s\n"+
		"Only the AD changes the change board approved, in compare-and-swap form. syncgap apply\n"+
		"runs the same changes with a journal, resume and rollback.", hash, approver)
	if err := plan.WriteChanges(f, header, actions, func(a *pipeline.Action) bool {
		if ok[a.ActionID] {
			n++
			return true
		}
		return false
	}); err != nil {
		f.Abort()
		return pipeline.OutputRecord{}, err
	}
	if err := f.Commit(); err != nil {
		return pipeline.OutputRecord{}, err
	}
	return pipeline.OutputRecord{File: ApprovedChangesFile, Rows: int64(n), SHA256: f.SHA256()}, nil
}

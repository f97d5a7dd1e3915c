// Package approve reads a signed change-board workbook back into
// approvals.parquet, after checking that it signs this snapshot's plan.
package approve

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"syncgap/forecast"
	"syncgap/pipeline"
	"syncgap/planfile"
	"syncgap/workbook"
)

// Config names the signed workbook.
type Config struct {
	Workbook string `param:"workbook"`
	// Replace reads a new signed workbook over existing approvals; without
	// it approve refuses to overwrite a board's decisions. Not recorded.
	Replace bool `param:"-"`
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
	PlanHash       string `param:"plan_hash"`
	Approver       string `param:"approver"`
	SecondApprover string `param:"second_approver"`
	ChangeID       string `param:"change_id,omitempty"`
	Approved       int    `param:"approved"`
	Rejected       int    `param:"rejected"`
	Undecided      int    `param:"undecided"`
	// ByGroup counts the decisions that came from a group row.
	ByGroup int `param:"by_group"`
	// AsDecided counts cloud values by what the switch does to them with
	// the approved changes applied (forecast_as_decided.parquet).
	Lost        int `param:"as_decided_lost"`
	Changed     int `param:"as_decided_changed"`
	Filled      int `param:"as_decided_filled"`
	Reformatted int `param:"as_decided_reformatted"`
	Cleaned     int `param:"as_decided_cleaned"`
	Unchanged   int `param:"as_decided_unchanged"`
	Unknown     int `param:"as_decided_unknown"`
}

func (s *Summary) forecast(c forecast.Counts) {
	s.Lost, s.Changed, s.Filled = c[pipeline.Lost], c[pipeline.Changed], c[pipeline.Filled]
	s.Reformatted, s.Cleaned = c[pipeline.Reformatted], c[pipeline.Cleaned]
	s.Unchanged, s.Unknown = c[pipeline.Unchanged], c[pipeline.UnknownOutcome]
}

// Stage reads the signed workbook. It reads a file from outside the
// snapshot, so like extraction it is not replayed; its output is checked
// in place instead.
var Stage = pipeline.Def[Config, Summary]{
	Name: "approve",
	Reads: func(Config) []string {
		return []string{pipeline.FileName(pipeline.PlanTable), pipeline.FileName(pipeline.GapsTable)}
	},
	Writes: []string{pipeline.FileName(pipeline.ApprovalsTable), ApprovedChangesFile, pipeline.FileName(pipeline.ForecastDecidedTable)},
	Do:     run,
}

func run(ctx context.Context, env *pipeline.Env, cfg Config) (Summary, error) {
	path := cfg.Workbook
	if rec := env.Manifest.Stage("approve"); rec != nil && !cfg.Replace {
		return Summary{}, fmt.Errorf("approve: %s already holds approvals (approve ran %s): pass --replace to read a new signed workbook over them",
			env.Dir, rec.FinishedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
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
	type row = decidedRow
	if err := checkSignOff(path, signed); err != nil {
		return Summary{}, err
	}
	// An id the plan does not know, even on an undecided row, means the
	// workbook was edited where it should not be: refuse it all.
	for _, d := range append(slices.Clone(signed.Decisions), signed.Undecided...) {
		if _, ok := index[d.ActionID]; !ok {
			return Summary{}, &pipeline.CellError{File: path, Sheet: d.Sheet, Cell: d.IDCell, Err: fmt.Errorf("action %q is not in this plan", d.ActionID)}
		}
	}
	// A row belongs to the group of its kind, attribute, op and risk: a
	// group cell edited to name another group would let that group's
	// decision reach a row the board never saw in it.
	for _, d := range append(slices.Clone(signed.Decisions), signed.Undecided...) {
		a := &actions[index[d.ActionID]]
		if d.GroupID != "" && d.Group != workbook.GroupOf(a) {
			return Summary{}, &pipeline.CellError{File: path, Sheet: d.Sheet, Cell: d.GroupCell,
				Err: fmt.Errorf("action %s is in %s (%s), but its group is %s: the Group cell was changed", d.ActionID, d.GroupID, d.Group, workbook.GroupOf(a))}
		}
	}
	first, second := signed.Approvers[0], signed.Approvers[1]
	decided := signed.Effective() // member rows win; else their group's decision
	rows := make([]row, 0, len(decided))
	counts := map[pipeline.Decision]int{}
	byGroup := 0
	for _, d := range decided {
		i := index[d.ActionID]
		if !actions[i].Kind.Decidable() {
			return Summary{}, &pipeline.CellError{File: path, Sheet: d.Sheet, Cell: d.Cell,
				Err: fmt.Errorf("action %s is a %s row: it takes no decision", d.ActionID, actions[i].Kind)}
		}
		counts[d.Decision]++
		if d.ByGroup {
			byGroup++
		}
		rows = append(rows, row{i, pipeline.Approval{
			ActionID: d.ActionID, Decision: d.Decision, Approver: first.Name, ApproverRole: first.Role,
			SignedOn: first.Date, Comment: d.Comment, PlanHash: hash, WorkbookSHA256: sum,
			Cell: d.From, ByGroup: pipeline.Known(d.ByGroup),
			SecondApprover: second.Name, SecondApproverRole: second.Role, SecondSignedOn: second.Date, ChangeID: signed.ChangeID,
		}})
	}
	if err := checkAcknowledged(path, actions, rows2decisions(rows)); err != nil {
		return Summary{}, err
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
	ldif, err := writeApprovedChanges(env.Dir, hash, first.Name+" and "+second.Name, actions, approvals)
	if err != nil {
		return Summary{}, err
	}
	fc, fcCounts, err := writeDecidedForecast(env, actions, approvals)
	if err != nil {
		return Summary{}, err
	}
	env.AddInput(in)
	env.AddOutput(out)
	env.AddOutput(ldif)
	env.AddOutput(fc)
	s := Summary{
		PlanHash: hash, Approver: first.Name, SecondApprover: second.Name, ChangeID: signed.ChangeID,
		Approved: counts[pipeline.Approve], Rejected: counts[pipeline.Reject], Undecided: decidable - len(rows), ByGroup: byGroup,
	}
	s.forecast(fcCounts)
	return s, nil
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
	return planfile.WriteChangesFile(dir, ApprovedChangesFile, header, planfile.Slice(actions), func(a *pipeline.Action) bool { return ok[a.ActionID] })
}

// writeDecidedForecast writes the as_decided forecast: every matched value
// with the approved AD change applied, if any, and the rest as they are.
func writeDecidedForecast(env *pipeline.Env, actions []pipeline.Action, approvals []pipeline.Approval) (pipeline.OutputRecord, forecast.Counts, error) {
	// Read as the forecast goes, not held: ten million gaps rows are
	// gigabytes (docs/architecture.md, "Memory").
	file, err := pipeline.OpenTableFile[pipeline.Gap](env.Path(pipeline.FileName(pipeline.GapsTable)))
	if err != nil {
		return pipeline.OutputRecord{}, nil, err
	}
	gaps := file.Only(forecast.GapColumns...)
	ok := map[string]bool{}
	for _, a := range approvals {
		if a.Decision == pipeline.Approve {
			ok[a.ActionID] = true
		}
	}
	writes := forecast.NewWrites(actions, func(a *pipeline.Action) bool { return ok[a.ActionID] })
	w, err := pipeline.CreateTable[pipeline.ForecastRow](env.Dir, pipeline.ForecastDecidedTable)
	if err != nil {
		return pipeline.OutputRecord{}, nil, err
	}
	counts, err := forecast.New().Stream(pipeline.AsDecided, gaps, writes, func(r *pipeline.ForecastRow, _ *pipeline.Action) error { return w.Write(r) })
	if err != nil {
		w.Abort()
		return pipeline.OutputRecord{}, nil, err
	}
	out, err := w.Commit()
	return out, counts, err
}

// decidedRow is an approval and where its action is in the plan.
type decidedRow struct {
	at int
	a  pipeline.Approval
}

func rows2decisions(rows []decidedRow) map[string]pipeline.Approval {
	m := make(map[string]pipeline.Approval, len(rows))
	for _, r := range rows {
		m[r.a.ActionID] = r.a
	}
	return m
}

// checkAcknowledged refuses an approved tenant action while the row about
// the AlternateMobilePhones nobody can read is not approved: approving the
// switch means accepting that it overwrites them (docs/rules.md, "Approve").
func checkAcknowledged(path string, actions []pipeline.Action, decided map[string]pipeline.Approval) error {
	var tenant, ack *pipeline.Action
	for i := range actions {
		switch a := &actions[i]; {
		case a.Kind == pipeline.KindAcknowledge:
			ack = a
		case a.Target == pipeline.TargetTenant && a.Kind.Writes():
			tenant = a
		}
	}
	if tenant == nil || ack == nil {
		return nil
	}
	t, ok := decided[tenant.ActionID]
	if !ok || t.Decision != pipeline.Approve {
		return nil
	}
	if k, ok := decided[ack.ActionID]; ok && k.Decision == pipeline.Approve {
		return nil
	}
	sheet, cell, _ := strings.Cut(t.Cell, "!")
	return &pipeline.CellError{File: path, Sheet: sheet, Cell: cell,
		Err: fmt.Errorf("the tenant action is approved, but the row on AlternateMobilePhones that cannot be read (action %s) is not: approve both, or neither", ack.ActionID)}
}

// checkSignOff refuses a sign-off without two approvers, each with a name
// and a date (docs/rules.md, "Approve"), naming the empty cell.
func checkSignOff(path string, s *workbook.Signed) error {
	if len(s.Approvers) < 2 {
		return &pipeline.CellError{File: path, Sheet: workbook.SignOffSheet, Cell: "A1",
			Err: fmt.Errorf("the Sign-off sheet asks for %d approvers, two must sign: plan again to get the current workbook", len(s.Approvers))}
	}
	for n, a := range s.Approvers[:2] {
		switch {
		case strings.TrimSpace(a.Name) == "":
			return &pipeline.CellError{File: path, Sheet: workbook.SignOffSheet, Cell: a.NameCell, Err: fmt.Errorf("approver %d has no name: two approvers must sign", n+1)}
		case strings.TrimSpace(a.Date) == "":
			return &pipeline.CellError{File: path, Sheet: workbook.SignOffSheet, Cell: a.DateCell, Err: fmt.Errorf("approver %d (%s) has no date", n+1, a.Name)}
		}
	}
	return nil
}

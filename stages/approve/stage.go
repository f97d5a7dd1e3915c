// Package approve reads a signed change-board workbook back into
// approvals.parquet, after checking that it signs this snapshot's plan.
package approve

import (
	"context"
	"fmt"
	"log/slog"
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
	// Neither the plan's actions nor the workbook's rows are held: both go
	// into one sort by action id, the plan's row first, and one pass over it
	// checks every row against its action (docs/architecture.md, "Memory").
	budget := pipeline.MemoryFrom(ctx)
	byID := pipeline.NewSorter(env.Dir, budget/joinShare, func(r *joinRow) string { return r.ActionID }, func(a, b *joinRow) int { return int(a.Side - b.Side) }, joinBytes)
	defer byID.Close()
	var plan planFacts
	at := int64(0)
	pl, err := planfile.Scan(env.Dir, func(a *pipeline.Action) error {
		plan.see(a)
		row := planRow(a, at)
		at++
		return byID.Add(&row)
	})
	if err != nil {
		return Summary{}, fmt.Errorf("approve: %w", err)
	}
	hash := pl.Hash
	in, err := pipeline.HashInput(path)
	if err != nil {
		return Summary{}, fmt.Errorf("approve: %w", err)
	}
	byAt := pipeline.NewSorter(env.Dir, budget/joinShare, func(r *placedApproval) string { return r.key() }, func(*placedApproval, *placedApproval) int { return 0 }, placedBytes)
	defer byAt.Close()
	j := &joiner{path: path, hash: hash, sum: in.SHA256, plan: &plan, out: byAt, counts: map[pipeline.Decision]int{}}
	seq := int64(0)
	// The workbook's shared strings (where Excel and LibreOffice keep the
	// text) stay in memory within an eighth of the budget too.
	signed, err := workbook.ScanSigned(path, env.Dir, budget/joinShare, func(d *workbook.Decided, refused error) error {
		row := bookRow(d, seq)
		seq++
		if err := byID.Add(&row); err != nil {
			return err
		}
		return refused
	}, func(s *workbook.Signed, err error) error {
		if err != nil && seq == 0 {
			return err // refused before any row: no repeat to name first
		}
		return j.join(ctx, byID, s, err)
	})
	if err != nil {
		return Summary{}, err
	}
	if n := byID.Runs() + byAt.Runs(); n > 0 {
		slog.Info("checked the workbook's rows against the plan within the memory budget, spilling to disk", "rows", byID.Len(), "runs", n,
			"budget", pipeline.SizeText(budget))
	}
	// Its rows are done with: what it holds goes before the forecast reads.
	byID.Close()
	if signed.PlanHash != hash {
		return Summary{}, &pipeline.CellError{File: path, Sheet: workbook.SignOffSheet, Cell: signed.PlanHashCell,
			Err: fmt.Errorf("plan hash %s is not this snapshot's plan (%s): the workbook belongs to another plan", pipeline.ShortHash(signed.PlanHash), pipeline.ShortHash(hash))}
	}
	if err := checkSignOff(path, signed); err != nil {
		return Summary{}, err
	}
	if err := j.refusal(); err != nil {
		return Summary{}, err
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	// Plan order, whatever order the rows had in the workbook.
	w, err := pipeline.CreateTable[pipeline.Approval](env.Dir, pipeline.ApprovalsTable)
	if err != nil {
		return Summary{}, err
	}
	if err := byAt.Sorted(ctx, func(p *placedApproval) error { return w.Write(&p.A) }); err != nil {
		w.Abort()
		return Summary{}, err
	}
	byAt.Close()
	out, err := w.Commit()
	if err != nil {
		return Summary{}, err
	}
	first, second := signed.Approvers[0], signed.Approvers[1]
	ldif, err := writeApprovedChanges(env, pl.File, hash, first.Name+" and "+second.Name)
	if err != nil {
		return Summary{}, err
	}
	fc, fcCounts, err := writeDecidedForecast(env, pl.File)
	if err != nil {
		return Summary{}, err
	}
	env.AddInput(in)
	env.AddOutput(out)
	env.AddOutput(ldif)
	env.AddOutput(fc)
	s := Summary{
		PlanHash: hash, Approver: first.Name, SecondApprover: second.Name, ChangeID: signed.ChangeID,
		Approved: j.counts[pipeline.Approve], Rejected: j.counts[pipeline.Reject], Undecided: plan.decidable - j.decided, ByGroup: j.byGroup,
	}
	s.forecast(fcCounts)
	return s, nil
}

// ApprovedChangesFile holds only the approved AD changes, for admins who
// apply with ldapmodify or ldifde instead of syncgap apply.
const ApprovedChangesFile = "approved-changes.ldif"

func writeApprovedChanges(env *pipeline.Env, planPath, hash, approver string) (pipeline.OutputRecord, error) {
	header := fmt.Sprintf("syncgap approved changes, plan %s, signed by %s\n"+
		"Only the AD changes the change board approved, in compare-and-swap form. syncgap apply\n"+
		"runs the same changes with a journal, resume and rollback.", hash, approver)
	m, err := openApproved(env)
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	defer m.close()
	ok := false
	// Every action passes the approvals' cursor, whether or not the LDIF
	// asks about it.
	actions := func(fn func(*pipeline.Action) error) error {
		return planfile.FromFile(planPath)(func(a *pipeline.Action) error {
			ok = m.approved(a)
			return fn(a)
		})
	}
	out, err := planfile.WriteChangesFile(env.Dir, ApprovedChangesFile, header, actions, func(*pipeline.Action) bool { return ok })
	if err == nil {
		err = m.end()
	}
	return out, err
}

// writeDecidedForecast writes the as_decided forecast: every matched value
// with the approved AD change applied, if any, and the rest as they are.
func writeDecidedForecast(env *pipeline.Env, planPath string) (pipeline.OutputRecord, forecast.Counts, error) {
	// Read as the forecast goes, not held: ten million gaps rows are
	// gigabytes (docs/architecture.md, "Memory"); so are the plan's
	// actions, read back beside them as plan does for approve_all.
	file, err := pipeline.OpenTableFile[pipeline.Gap](env.Path(pipeline.FileName(pipeline.GapsTable)))
	if err != nil {
		return pipeline.OutputRecord{}, nil, err
	}
	gaps := file.Only(forecast.GapColumns...)
	plan, err := pipeline.OpenTableFile[pipeline.Action](planPath)
	if err != nil {
		return pipeline.OutputRecord{}, nil, err
	}
	r, err := plan.Only("action_id", "kind", "target", "dn", "attribute", "value").Open()
	if err != nil {
		return pipeline.OutputRecord{}, nil, err
	}
	defer r.Close()
	m, err := openApproved(env)
	if err != nil {
		return pipeline.OutputRecord{}, nil, err
	}
	defer m.close()
	ok := false
	read := func(a *pipeline.Action) error {
		err := r.Next(a)
		if err == nil {
			ok = m.approved(a)
		}
		return err
	}
	writes := forecast.ReadWrites(read, func(*pipeline.Action) bool { return ok })
	w, err := pipeline.CreateTable[pipeline.ForecastRow](env.Dir, pipeline.ForecastDecidedTable)
	if err != nil {
		return pipeline.OutputRecord{}, nil, err
	}
	counts, err := forecast.New().Stream(pipeline.AsDecided, gaps, writes, func(r *pipeline.ForecastRow, _ *pipeline.Action) error { return w.Write(r) })
	if err == nil {
		err = m.err
	}
	if err != nil {
		w.Abort()
		return pipeline.OutputRecord{}, nil, err
	}
	out, err := w.Commit()
	return out, counts, err
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

package apply

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"syncgap/pipeline"
	"syncgap/planfile"
)

// Approved is what apply may do in a snapshot: the approved actions of a
// current plan, in plan order.
type Approved struct {
	PlanHash  string
	AD        []pipeline.Action // approved AD writes
	Tenant    *pipeline.Action  // the approved tenant action, if any
	Rejected  int
	Undecided int
}

// LoadApproved reads and checks a snapshot for apply. It refuses a plan
// that is stale or whose hash does not match the manifest, approvals that
// are stale or belong to another plan, and a snapshot without approvals
// (unless approveAll, for automation, approves every decidable action).
func LoadApproved(dir string, approveAll bool) (*Approved, error) {
	pl, err := planfile.Load(dir)
	if err != nil {
		return nil, err
	}
	actions, hash := pl.Actions, pl.Hash
	out := &Approved{PlanHash: hash}
	decision := map[string]pipeline.Decision{}
	if !approveAll {
		m, err := pipeline.LoadManifest(dir)
		if err != nil {
			return nil, err
		}
		name := pipeline.FileName(pipeline.ApprovalsTable)
		if err := pipeline.CheckFresh(dir, m, name); err != nil {
			if rec, _ := m.Output(name); rec == nil {
				return nil, fmt.Errorf("%s: no approvals: run syncgap approve with the signed workbook (or pass --approve-all)", dir)
			}
			return nil, fmt.Errorf("approvals: %w (run syncgap approve again for the current plan)", err)
		}
		rows, err := pipeline.ReadRows[pipeline.Approval](filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.PlanHash != hash {
				return nil, fmt.Errorf("approvals are for plan %s, the snapshot's plan is %s: %w", pipeline.ShortHash(r.PlanHash), pipeline.ShortHash(hash), pipeline.ErrStale)
			}
			decision[r.ActionID] = r.Decision
		}
	}
	for i := range actions {
		a := actions[i]
		if !a.Kind.Writes() || a.Target == pipeline.TargetEntra {
			continue
		}
		d := decision[a.ActionID]
		if approveAll {
			d = pipeline.Approve
		}
		switch {
		case d == pipeline.Reject:
			out.Rejected++
		case d != pipeline.Approve:
			out.Undecided++
		case a.Target == pipeline.TargetTenant:
			out.Tenant = &a
		default:
			out.AD = append(out.AD, a)
		}
	}
	return out, nil
}

// Tenant enables BypassDirSyncOverrides and reads it back; it is given by the
// caller so this package does not depend on the Graph client.
type Tenant func(ctx context.Context) (enabled bool, err error)

// Summary counts outcomes of the approved actions after a run; it is what
// the manifest records of an apply.
type Summary struct {
	Applied int    `param:"applied"`
	Drifted int    `param:"drifted"`
	Failed  int    `param:"failed"`
	Skipped int    `param:"skipped"`          // not reached
	Tenant  string `param:"tenant,omitempty"` // what became of the tenant action
}

func (s *Summary) count(o pipeline.Outcome) {
	switch o {
	case pipeline.Applied:
		s.Applied++
	case pipeline.Drifted:
		s.Drifted++
	case pipeline.Failed:
		s.Failed++
	case pipeline.Skipped:
		s.Skipped++
	}
}

// Execute applies the approved actions under the snapshot's journal, then
// the tenant action if every approved AD action is applied, and writes
// apply_results.parquet. The caller holds the snapshot's writer lock
// throughout (Runner.Run takes it), so no other apply shares the journal.
func Execute(ctx context.Context, dir string, ap *Approved, opts Options, tenant Tenant) (*Summary, pipeline.OutputRecord, error) {
	j, entries, err := OpenJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return nil, pipeline.OutputRecord{}, err
	}
	defer j.Close()
	st, err := NewLedger(entries)
	if err != nil {
		return nil, pipeline.OutputRecord{}, err
	}
	if st.PlanHash != "" && st.PlanHash != ap.PlanHash {
		return nil, pipeline.OutputRecord{}, fmt.Errorf("%s holds an apply of plan %s, the snapshot's plan is %s: apply a re-plan in a new snapshot",
			JournalFile, pipeline.ShortHash(st.PlanHash), pipeline.ShortHash(ap.PlanHash))
	}
	eng := NewEngine(j, opts)
	runErr := eng.Run(ctx, ap.PlanHash, ap.AD, st) // keeps st current
	sum := &Summary{}
	if runErr == nil && ap.Tenant != nil {
		runErr = eng.tenant(ctx, ap, st, tenant, sum)
	}
	results := Results(ap, st)
	for _, r := range results {
		sum.count(r.Outcome)
	}
	out, err := pipeline.WriteTable(dir, pipeline.ApplyResultsTable, results)
	if err != nil {
		return nil, out, err
	}
	return sum, out, runErr
}

// tenant runs the tenant action, last, and only when every approved AD
// action is applied: enabling bypass with a correction missing would let
// sync overwrite the very cloud value the plan meant to keep.
func (e *Engine) tenant(ctx context.Context, ap *Approved, st *Ledger, enable Tenant, sum *Summary) error {
	a := ap.Tenant
	if st.Final(a.ActionID) {
		sum.Tenant = "already " + string(st.Outcomes[a.ActionID].Outcome)
		return nil
	}
	pending := 0
	for i := range ap.AD {
		if o, ok := st.Outcomes[ap.AD[i].ActionID]; !ok || o.Outcome != pipeline.Applied {
			pending++
		}
	}
	if pending > 0 {
		msg := strconv.Itoa(pending) + " approved AD actions are not applied (drifted or failed): re-extract, re-plan and apply that plan before enabling bypass"
		sum.Tenant = "skipped: " + msg
		return e.append(JournalEntry{Event: EventOutcome, ActionID: a.ActionID, Outcome: pipeline.Skipped, Message: msg})
	}
	if enable == nil {
		msg := "no Graph connection given (--graph …): the tenant flag was not changed"
		sum.Tenant = "skipped: " + msg
		return e.append(JournalEntry{Event: EventOutcome, ActionID: a.ActionID, Outcome: pipeline.Skipped, Message: msg})
	}
	if err := e.append(JournalEntry{Event: EventIntent, ActionID: a.ActionID}); err != nil {
		return err
	}
	on, err := enable(ctx)
	switch {
	case err != nil:
		sum.Tenant = "failed: " + err.Error()
		return e.outcome(a, pipeline.Failed, 0, err.Error(), a.Expected)
	case !on:
		sum.Tenant = "failed: the flag read back false"
		return e.outcome(a, pipeline.Failed, 0, "enabled, but the flag read back false", a.Expected)
	}
	sum.Tenant = "applied: bypassDirSyncOverridesEnabled read back true"
	return e.outcome(a, pipeline.Applied, 0, "read back true", a.Expected)
}

// Results is one row per approved action with its last journaled outcome;
// an action the journal has no outcome for is skipped (not reached).
func Results(ap *Approved, st *Ledger) []pipeline.ApplyResult {
	all := append([]pipeline.Action(nil), ap.AD...)
	if ap.Tenant != nil {
		all = append(all, *ap.Tenant)
	}
	out := make([]pipeline.ApplyResult, 0, len(all))
	for _, a := range all {
		r := pipeline.ApplyResult{ActionID: a.ActionID, Target: a.Target, DN: a.DN, Attribute: a.Attribute,
			Outcome: pipeline.Skipped, Message: "not reached (the run was interrupted)", Before: a.Expected, After: a.Value}
		if e, ok := st.Outcomes[a.ActionID]; ok {
			r.Outcome, r.LDAPCode, r.Message, r.Before = e.Outcome, int64(e.LDAPCode), e.Message, e.Before
		}
		if st.InFlight[a.ActionID] {
			r.Message = "in flight when the run stopped: the next run checks the directory"
		}
		out = append(out, r)
	}
	return out
}

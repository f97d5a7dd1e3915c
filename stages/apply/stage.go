package apply

import (
	"context"
	"fmt"
	"log/slog"
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
	// ApproveAll: every decidable action counts as approved, so the
	// forecast the flip was approved on is approve_all, not as_decided.
	ApproveAll bool
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
	out := &Approved{PlanHash: hash, ApproveAll: approveAll}
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

// Flip is what the tenant action needs from the caller: the Graph call
// that enables the flag, and the preflight's re-read of both directories
// (docs/rules.md, "Preflight"). A nil Enable skips the tenant action.
type Flip struct {
	Enable Tenant
	Reread Reread
	// SkipPreflight enables the flag without the preflight
	// (--skip-preflight): loud, and journaled.
	SkipPreflight bool
}

// Summary counts outcomes of the approved actions after a run; it is what
// the manifest records of an apply.
type Summary struct {
	Applied int    `param:"applied"`
	Drifted int    `param:"drifted"`
	Failed  int    `param:"failed"`
	Skipped int    `param:"skipped"`          // not reached
	Tenant  string `param:"tenant,omitempty"` // what became of the tenant action
	// Preflight is the preflight's counts in one line, "skipped" with
	// --skip-preflight, empty when the tenant action did not get that far.
	Preflight string `param:"preflight,omitempty"`
	// Refused is the preflight's refusal, when it refused.
	Refused string `param:"-"`
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
func Execute(ctx context.Context, dir string, ap *Approved, opts Options, flip Flip) (*Summary, []pipeline.OutputRecord, error) {
	j, entries, err := OpenJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return nil, nil, err
	}
	defer j.Close()
	st, err := NewLedger(entries)
	if err != nil {
		return nil, nil, err
	}
	if st.PlanHash != "" && st.PlanHash != ap.PlanHash {
		return nil, nil, fmt.Errorf("%s holds an apply of plan %s, the snapshot's plan is %s: apply a re-plan in a new snapshot",
			JournalFile, pipeline.ShortHash(st.PlanHash), pipeline.ShortHash(ap.PlanHash))
	}
	eng := NewEngine(j, opts)
	runErr := eng.Run(ctx, ap.PlanHash, ap.AD, st) // keeps st current
	sum := &Summary{}
	var outs []pipeline.OutputRecord
	if runErr == nil && ap.Tenant != nil {
		var pre *pipeline.OutputRecord
		pre, runErr = eng.tenant(ctx, dir, ap, st, flip, sum)
		if pre != nil {
			outs = append(outs, *pre)
		}
	}
	results := Results(ap, st)
	for _, r := range results {
		sum.count(r.Outcome)
	}
	out, err := pipeline.WriteTable(dir, pipeline.ApplyResultsTable, results)
	if err != nil {
		return nil, outs, err
	}
	return sum, append([]pipeline.OutputRecord{out}, outs...), runErr
}

// tenant runs the tenant action, last, and only when every approved AD
// action is applied: enabling bypass with a correction missing would let
// sync overwrite the very cloud value the plan meant to keep. Before the
// flag is touched the preflight re-reads both directories and refuses
// when the switch would now lose or change more than the board approved;
// it returns the preflight table it wrote, if any.
func (e *Engine) tenant(ctx context.Context, dir string, ap *Approved, st *Ledger, flip Flip, sum *Summary) (*pipeline.OutputRecord, error) {
	a := ap.Tenant
	if st.Final(a.ActionID) {
		sum.Tenant = "already " + string(st.Outcomes[a.ActionID].Outcome)
		return nil, nil
	}
	skip := func(msg string) error {
		sum.Tenant = "skipped: " + msg
		return e.append(JournalEntry{Event: EventOutcome, ActionID: a.ActionID, Outcome: pipeline.Skipped, Message: msg})
	}
	pending := 0
	for i := range ap.AD {
		if o, ok := st.Outcomes[ap.AD[i].ActionID]; !ok || o.Outcome != pipeline.Applied {
			pending++
		}
	}
	if pending > 0 {
		return nil, skip(strconv.Itoa(pending) + " approved AD actions are not applied (drifted or failed): re-extract, re-plan and apply that plan before enabling bypass")
	}
	if flip.Enable == nil {
		return nil, skip("no Graph connection given (--graph …): the tenant flag was not changed")
	}
	var out *pipeline.OutputRecord
	if flip.SkipPreflight {
		sum.Preflight = "skipped"
		if err := e.append(JournalEntry{Event: EventPreflight, ActionID: a.ActionID,
			Message: "skipped (--skip-preflight): the switch is enabled without re-reading AD and the cloud"}); err != nil {
			return nil, err
		}
		slog.Warn("--skip-preflight: enabling the tenant flag without re-reading AD and the cloud; the journal records it")
	} else {
		c, found, rec, err := e.preflight(ctx, dir, ap, flip, sum)
		out = rec
		if err != nil {
			sum.Tenant = "not enabled: " + err.Error()
			return out, err
		}
		if c.FlagOn {
			sum.Tenant = "drifted: the flag was already on when the preflight read it"
			return out, e.outcome(a, pipeline.Drifted, 0, "the flag was already on when the preflight read it: it was enabled outside this apply", a.Expected)
		}
		if c.Refused() {
			msg := refusal(c, found, filepath.Join(dir, pipeline.FileName(pipeline.PreflightTable)))
			// Not a failed stage: the manifest records the apply and the
			// preflight table, and Run turns the refusal into its error.
			sum.Refused = msg
			return out, skip("refused by the preflight: " + msg)
		}
	}
	if err := e.append(JournalEntry{Event: EventIntent, ActionID: a.ActionID}); err != nil {
		return out, err
	}
	on, err := flip.Enable(ctx)
	switch {
	case err != nil:
		sum.Tenant = "failed: " + err.Error()
		return out, e.outcome(a, pipeline.Failed, 0, err.Error(), a.Expected)
	case !on:
		sum.Tenant = "failed: the flag read back false"
		return out, e.outcome(a, pipeline.Failed, 0, "enabled, but the flag read back false", a.Expected)
	}
	sum.Tenant = "applied: bypassDirSyncOverridesEnabled read back true"
	return out, e.outcome(a, pipeline.Applied, 0, "read back true", a.Expected)
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

// TenantDone reports whether the snapshot's journal already holds a final
// outcome for the approved tenant action (applied, or drifted: the flag was
// found on), so a rerun need not sign in to Graph for it.
func TenantDone(dir string, ap *Approved) bool {
	if ap.Tenant == nil {
		return true
	}
	entries, err := ReadJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return false
	}
	led, err := NewLedger(entries)
	return err == nil && led.Final(ap.Tenant.ActionID)
}

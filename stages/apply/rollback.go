package apply

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"syncgap/pipeline"
	"syncgap/planfile"
	"syncgap/workbook"
)

// RollbackPolicy names reverse plans in the workbook and manifest.
const RollbackPolicy = "rollback"

// Reverse builds the reverse of every AD action the journal records as
// applied: expecting the value apply wrote and restoring the value it
// found, so a rollback is itself compare-and-swap and refuses to undo over
// a later change.
func Reverse(actions []pipeline.Action, st *Ledger) []pipeline.Action {
	var out []pipeline.Action
	for i := range actions {
		a := &actions[i]
		e, ok := st.Outcomes[a.ActionID]
		if a.Target != pipeline.TargetAD || !ok || e.Outcome != pipeline.Applied {
			continue
		}
		before := e.Before
		if before == nil {
			before = []string{}
		}
		r := pipeline.Action{
			Kind: pipeline.KindWrite, Target: pipeline.TargetAD, DN: a.DN, UPN: a.UPN, EntraID: a.EntraID,
			Attribute: a.Attribute, Expected: a.Value, Value: before, ADValue: a.Value, CloudValue: a.CloudValue,
			Risk: a.Risk, MatchStatus: a.MatchStatus, State: a.State,
			Reason: fmt.Sprintf("rollback of action %s (applied %s): restore the value it replaced", a.ActionID, e.Time.UTC().Format(time.RFC3339)),
		}
		r.Op = planfile.OpFor(r.Expected, r.Value)
		r.ActionID = planfile.ID(&r)
		out = append(out, r)
	}
	return out
}

// RollbackConfig names the snapshot whose apply is reversed.
type RollbackConfig struct {
	Source string `param:"source"` // absolute path of the applied snapshot
}

// RollbackStage writes into its snapshot a reverse plan of the apply
// journaled in the source snapshot: plan.parquet, report.xlsx and
// changes.ldif, to be approved and applied like any plan.
var RollbackStage = pipeline.Def[RollbackConfig, planfile.Summary]{
	Name:   "rollback",
	Writes: planfile.Files,
	Do: func(ctx context.Context, env *pipeline.Env, cfg RollbackConfig) (planfile.Summary, error) {
		var none planfile.Summary
		src := cfg.Source
		pl, err := planfile.Load(src)
		if err != nil {
			return none, fmt.Errorf("rollback: %w", err)
		}
		jpath := filepath.Join(src, JournalFile)
		entries, err := ReadJournal(jpath)
		if err != nil {
			return none, err
		}
		led, err := NewLedger(entries)
		if err != nil {
			return none, err
		}
		if led.PlanHash != pl.Hash {
			return none, fmt.Errorf("rollback: %s records plan %s, %s holds plan %s", jpath, pipeline.ShortHash(led.PlanHash), src, pipeline.ShortHash(pl.Hash))
		}
		if len(led.InFlight) > 0 {
			return none, fmt.Errorf("rollback: %d actions are still in flight in %s: run the same apply again to settle them first", len(led.InFlight), jpath)
		}
		rev := Reverse(pl.Actions, led)
		for _, name := range []string{JournalFile, pipeline.FileName(pipeline.PlanTable)} {
			in, err := pipeline.HashInput(filepath.Join(src, name))
			if err != nil {
				return none, err
			}
			env.AddInput(in)
		}
		rhash := planfile.Hash(env.Inputs, env.Params, rev)
		book := &workbook.PlanBook{Policy: RollbackPolicy, Parameters: env.Params, Hash: rhash, Actions: rev,
			Notes: []string{"A reverse plan: each row restores the value an applied action replaced, only if the directory still holds what apply wrote."}}
		if err := planfile.Write(ctx, env, &workbook.Audit{Snapshot: src, ToolVersion: pipeline.ToolVersion()}, book); err != nil {
			return none, err
		}
		sum := planfile.Summary{Hash: rhash, SourcePlanHash: pl.Hash}
		sum.Count(rev)
		return sum, nil
	},
}

// Verify reads back every approved AD action that has an outcome and
// compares the directory with what it should hold: the new values where
// applied, and otherwise what apply left there.
func Verify(ctx context.Context, d Directory, ap *Approved, st *Ledger) ([]pipeline.VerifyResult, error) {
	var out []pipeline.VerifyResult
	for i := range ap.AD {
		a := &ap.AD[i]
		e, ok := st.Outcomes[a.ActionID]
		if !ok {
			continue
		}
		want := a.Expected
		switch e.Outcome {
		case pipeline.Applied:
			want = a.Value
		case pipeline.Drifted:
			want = e.Before // as found: apply left it alone
		}
		cur, err := d.Values(ctx, a.DN, a.Attribute)
		if err != nil {
			return nil, fmt.Errorf("verify %s of %s: %w", a.Attribute, a.DN, err)
		}
		if want == nil {
			want = []string{}
		}
		out = append(out, pipeline.VerifyResult{
			ActionID: a.ActionID, DN: a.DN, Attribute: a.Attribute, Outcome: e.Outcome,
			Expected: want, Actual: cur, Matches: pipeline.Known(sameSet(cur, want)),
		})
	}
	return out, nil
}

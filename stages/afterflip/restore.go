package afterflip

import (
	"context"
	"fmt"

	"syncgap/pipeline"
	"syncgap/planfile"
	"syncgap/workbook"
)

// RestorePolicy names restore plans in the workbook and manifest.
const RestorePolicy = "restore"

// RestoreConfig names the snapshot taken before the flip and the audit
// taken after it.
type RestoreConfig struct {
	// From is the snapshot of the plan: its forecast holds the cloud
	// values as they were before the flip.
	From string `param:"from"`
	// After is an audit taken after the flip: the AD values to expect.
	After string `param:"after"`
	// Scenario is the forecast that was carried out (as for verify-cloud).
	Scenario pipeline.Scenario `param:"scenario"`
}

// Validate checks the config.
func (c *RestoreConfig) Validate() error {
	if c.From == "" || c.After == "" {
		return fmt.Errorf("restore-plan: give the snapshot of the plan (--from) and the audit after the flip (--snapshot)")
	}
	v := Config{After: c.After, Scenario: c.Scenario}
	return v.Validate()
}

// RestoreStage writes, into its own new snapshot, a plan that puts back into
// AD the cloud values the switch overwrote or cleared: for every forecast
// row of the carried-out scenario whose outcome was lost or changed, a write
// of the value the cloud held before, expecting the value AD holds in the
// later audit (docs/rules.md, "Restore"). With the switch on, AD wins: the
// next sync copies the restored value to the cloud.
var RestoreStage = pipeline.Def[RestoreConfig, planfile.Summary]{
	Name:   "restore-plan",
	Writes: planfile.Files,
	Do: func(ctx context.Context, env *pipeline.Env, cfg RestoreConfig) (planfile.Summary, error) {
		var sum planfile.Summary
		after, err := loadAfter(env, cfg.After)
		if err != nil {
			return sum, err
		}
		vc := Config{After: cfg.After, Scenario: cfg.Scenario}
		m, err := pipeline.LoadManifest(cfg.From)
		if err != nil {
			return sum, err
		}
		file := vc.forecastFile()
		in, err := pipeline.FreshInput(cfg.From, m, file)
		if err != nil {
			return sum, err
		}
		env.AddInput(in)
		var actions []pipeline.Action
		err = scenarioRows(ctx, in.Path, cfg.Scenario, func(f *pipeline.ForecastRow) error {
			// A cloud value unknown before the flip has outcome unknown,
			// never lost or changed (docs/rules.md, "Forecast"): the switch
			// may have overwritten it, and nothing records what it was.
			// Its nil cloud_before must never become a write (it would
			// clear AD's value).
			if f.Outcome == pipeline.UnknownOutcome || f.CloudBefore == nil {
				sum.RestoreUnknown++
				return nil
			}
			if f.Outcome != pipeline.Lost && f.Outcome != pipeline.Changed {
				return nil
			}
			row := after.check(f)
			switch row.Status {
			case pipeline.Missing:
				sum.RestoreMissing++
			case pipeline.ChangedSince:
				sum.RestoreChangedSince++
			default:
				actions = append(actions, restoreAction(f, row))
			}
			return nil
		})
		if err != nil {
			return sum, err
		}
		hash := planfile.Hash(env.Inputs, env.Params, actions)
		book := &workbook.PlanBook{Policy: RestorePolicy, Parameters: env.Params, Hash: hash, Actions: actions,
			Notes: []string{
				"A restore plan: each row writes into AD the cloud value that enabling BypassDirSyncOverrides overwrote or cleared, as the snapshot taken before the flip recorded it. With the switch on, AD wins: the next sync copies it to the cloud.",
				"Each row expects the value AD holds in the audit taken after the flip, so it refuses to write over a later change.",
			}}
		if err := planfile.Write(ctx, env, &workbook.Audit{Snapshot: cfg.After, ToolVersion: pipeline.ToolVersion()}, book); err != nil {
			return sum, err
		}
		sum.Hash = hash
		sum.Count(actions)
		return sum, nil
	},
}

// restoreAction writes the cloud's value before the flip back into AD,
// compare-and-swap against AD's value after it.
func restoreAction(f *pipeline.ForecastRow, row pipeline.VerifyCloudRow) pipeline.Action {
	a := pipeline.Action{
		Kind: pipeline.KindWrite, Target: pipeline.TargetAD, DN: f.DN, UPN: f.UPN, EntraID: f.EntraID,
		Attribute: f.Attribute, Expected: row.AD, Value: f.CloudBefore, ADValue: row.AD, CloudValue: row.Cloud,
		Risk: pipeline.RiskMedium, MatchStatus: pipeline.Matched, State: pipeline.Mismatch,
		Reason: fmt.Sprintf("restore: before the flip the cloud held %s; the switch %s it with AD's %s",
			pipeline.QuoteValues(f.CloudBefore), map[pipeline.CloudOutcome]string{pipeline.Lost: "cleared", pipeline.Changed: "replaced"}[f.Outcome], pipeline.QuoteValues(row.AD)),
	}
	a.Op = planfile.OpFor(a.Expected, a.Value)
	a.ActionID = planfile.ID(&a)
	return a
}

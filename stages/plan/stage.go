package plan

import (
	"context"
	"fmt"
	"strings"

	"syncgap/pipeline"
	"syncgap/planfile"
	"syncgap/workbook"
)

// Stage plans under cfg's policy and writes plan.parquet, report.xlsx (the
// change-board workbook) and changes.ldif; the manifest records the plan
// hash (docs/rules.md, "Plan").
var Stage = pipeline.Def[Config, planfile.Summary]{
	Name: "plan",
	Reads: func(Config) []string {
		return []string{pipeline.FileName(pipeline.GapsTable), pipeline.FileName(pipeline.TenantTable)}
	},
	Writes: planfile.Files,
	Do:     run,
}

func run(ctx context.Context, env *pipeline.Env, cfg Config) (planfile.Summary, error) {
	var none planfile.Summary
	a, err := workbook.LoadAudit(env.Dir, env.Manifest)
	if err != nil {
		return none, err
	}
	for _, f := range a.Tenant {
		if strings.EqualFold(f.Feature, pipeline.BypassFeature) {
			cfg.Bypass = f.Enabled
		}
	}
	p, err := NewPlanner(cfg)
	if err != nil {
		return none, err
	}
	var actions []pipeline.Action
	for i := range a.Gaps {
		if actions, err = p.Row(actions, &a.Gaps[i]); err != nil {
			return none, err
		}
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return none, err
			}
		}
	}
	t, err := p.Tenant()
	if err != nil {
		return none, err
	}
	if t != nil {
		actions = append(actions, *t)
	}

	hash := planfile.Hash(env.Inputs, env.Params, actions)
	var notes []string
	if p.Stats.BypassOn {
		notes = append(notes, "--enable-bypass: the tenant flag is already on, so no tenant action is planned.")
	}
	book := &workbook.PlanBook{
		Policy: string(cfg.Policy), Parameters: env.Params, Hash: hash, Actions: actions,
		Excluded: p.Stats.Excluded, OutOfScope: p.Stats.OutOfScope, Notes: notes,
	}
	if err := planfile.Write(env, a, book); err != nil {
		return none, err
	}
	sum := planfile.Summary{Hash: hash, Excluded: p.Stats.Excluded, OutOfScope: p.Stats.OutOfScope}
	sum.Count(actions)
	return sum, nil
}

// Overrides are the plan options a person gave on the command line; nil fields
// were not given. Replan applies them over the previous plan's Config.
type Overrides struct {
	Policy         *Policy
	Normalize      *bool
	EnableBypass   *bool
	MissingInEntra *MissingInEntra
	OnlyOU         *string
	// Exclude replaces the exclusion list (nil list: none) when set.
	Exclude     **Exclusions
	ExcludeFile string
}

// Apply returns base with the options given. Changing the policy resets
// what belonged to the old one unless given too: --missing-in-entra is
// entra-wins only, and ad-wins never normalises.
func (o Overrides) Apply(base Config) (Config, error) {
	cfg := base
	if o.Policy != nil {
		cfg.Policy = *o.Policy
		if o.MissingInEntra == nil && cfg.Policy != EntraWins {
			cfg.MissingInEntra = ""
		}
		if o.Normalize == nil && cfg.Policy == ADWins {
			cfg.Normalize = false
		}
	}
	if o.Normalize != nil {
		cfg.Normalize = *o.Normalize
	}
	if o.EnableBypass != nil {
		cfg.EnableBypass = *o.EnableBypass
	}
	if o.MissingInEntra != nil {
		cfg.MissingInEntra = *o.MissingInEntra
	}
	if o.OnlyOU != nil {
		cfg.OnlyOU = *o.OnlyOU
	}
	if o.Exclude != nil {
		cfg.Exclude, cfg.ExcludeFile = *o.Exclude, ""
		if cfg.Exclude.Len() > 0 {
			cfg.ExcludeFile = o.ExcludeFile
		}
	}
	return cfg, cfg.Validate()
}

// Previous is the Config of the snapshot's current plan, for replan.
func Previous(dir string) (Config, error) {
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return Config{}, err
	}
	rec := m.Stage(Stage.Name)
	if rec == nil {
		return Config{}, fmt.Errorf("%s: %w", dir, planfile.ErrNoPlan)
	}
	var cfg Config
	err = pipeline.DecodeParams(rec.Parameters, &cfg)
	return cfg, err
}

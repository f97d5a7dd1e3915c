package plan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"syncgap/forecast"
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
	Writes: append(slices.Clone(planfile.Files), pipeline.FileName(pipeline.ForecastTable)),
	Do:     run,
}

// decisionFiles belong to a plan's approval: a new plan makes them meaningless.
var decisionFiles = []string{pipeline.FileName(pipeline.ApprovalsTable), "approved-changes.ldif", pipeline.FileName(pipeline.ForecastDecidedTable)}

// ErrDecided refuses to plan over a board's decisions by accident.
var ErrDecided = errors.New("the current plan has approvals")

// checkLifecycle refuses to replace a plan that was approved, unless
// replace, and always one that was applied: its journal belongs to it.
func checkLifecycle(env *pipeline.Env, replace bool) error {
	if rec := env.Manifest.Stage("apply"); rec != nil {
		return fmt.Errorf("plan: %s: apply has run on this snapshot's plan: audit again into a new snapshot and plan there", env.Dir)
	}
	if rec := env.Manifest.Stage("approve"); rec != nil {
		if !replace {
			return fmt.Errorf("plan: %s: %w (approve ran %s): pass --replace to plan again and discard them", env.Dir, ErrDecided, rec.FinishedAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
		env.Discard(decisionFiles...)
	}
	return nil
}

func run(ctx context.Context, env *pipeline.Env, cfg Config) (planfile.Summary, error) {
	var none planfile.Summary
	if err := checkLifecycle(env, cfg.Replace); err != nil {
		return none, err
	}
	start := time.Now()
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
	// What deciding each action does goes to a table beside plan.parquet
	// in a spill directory, removed however the stage ends: the workbook
	// reads the two side by side (planRows).
	spillDir := pipeline.NewSpillDir(env.Dir)
	defer spillDir.Remove()
	spill, err := spillDir.Path()
	if err != nil {
		return none, fmt.Errorf("plan: %w", err)
	}
	pw, err := planfile.NewWriter(env)
	if err != nil {
		return none, err
	}
	defer pw.Abort() // after Commit, a no-op
	ew, err := pipeline.CreateTable[effectRow](spill, effectsTable)
	if err != nil {
		return none, err
	}
	defer ew.Abort()
	fw, err := pipeline.CreateTable[pipeline.ForecastRow](env.Dir, pipeline.ForecastTable)
	if err != nil {
		return none, err
	}
	defer fw.Abort()

	// One pass over the gaps plans each row, forecasts flip_now for it and
	// says what deciding its actions does; nothing of it is held
	// (docs/architecture.md, "Memory").
	b := newBriefing(fw.Write)
	var acts []pipeline.Action
	var effects []workbook.ActionEffect
	add := func(a *pipeline.Action, e *workbook.ActionEffect) error {
		if err := pw.Add(a); err != nil {
			return err
		}
		row := toEffectRow(e)
		return ew.Write(&row)
	}
	for i, g := range a.Gaps.All() {
		if acts, err = p.Row(acts[:0], g); err != nil {
			return none, err
		}
		effects = slices.Grow(effects[:0], len(acts))[:len(acts)]
		if err := b.row(g, acts, effects, p.Stats.UnknownOther); err != nil {
			return none, err
		}
		for j := range acts {
			if err := add(&acts[j], &effects[j]); err != nil {
				return none, err
			}
		}
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return none, err
			}
		}
	}
	if err := pipeline.PassErr(a.Gaps); err != nil {
		return none, err
	}
	for _, last := range []func() (*pipeline.Action, error){p.Acknowledge, p.Tenant} {
		a, err := last()
		if err != nil {
			return none, err
		}
		if a != nil {
			e := effectOf(a, p.Stats.UnknownOther)
			if err := add(a, &e); err != nil {
				return none, err
			}
		}
	}
	sum, err := pw.Commit()
	if err != nil {
		return none, err
	}
	if _, err := ew.Commit(); err != nil {
		return none, err
	}
	slog.Debug("planned", "stage", "plan", "actions", pw.Rows(), "elapsed", time.Since(start).Round(time.Millisecond))
	planPath := env.Path(pipeline.FileName(pipeline.PlanTable))
	all, err := approveAll(ctx, a.Gaps, planPath, fw.Write)
	if err != nil {
		return none, err
	}
	slog.Debug("forecast", "stage", "plan", "rows", fw.Rows(), "elapsed", time.Since(start).Round(time.Millisecond))

	var notes []string
	if p.Stats.BypassOn {
		notes = append(notes, "--enable-bypass: the tenant flag is already on, so no tenant action is planned.")
	}
	book := &workbook.PlanBook{
		Policy: string(cfg.Policy), Parameters: env.Params, Hash: sum.Hash,
		Rows: planRows{plan: planPath, effects: filepath.Join(spill, pipeline.FileName(effectsTable))}, Memory: pipeline.MemoryFrom(ctx),
		Excluded: p.Stats.Excluded, OutOfScope: p.Stats.OutOfScope, Notes: notes,
		Options: cfg.Words(), UnknownOther: p.Stats.UnknownOther, UnknownOtherWithAD: p.Stats.UnknownOtherWithAD,
	}
	b.finish(book, all)
	// The forecast's last row groups encode in the background while the
	// workbook is written: the two largest costs of a plan, on two cores.
	if err := planfile.Publish(ctx, env, a, book, planfile.FromFile(planPath), pw.Rows()); err != nil {
		return none, err
	}
	slog.Debug("wrote the plan and workbook", "stage", "plan", "elapsed", time.Since(start).Round(time.Millisecond))
	out, err := fw.Commit()
	if err != nil {
		return none, err
	}
	env.AddOutput(out)
	sum.Excluded, sum.OutOfScope = p.Stats.Excluded, p.Stats.OutOfScope
	sum.Forecast(book.Forecast)
	return sum, nil
}

// approveAll writes the approve_all forecast through emit: every matched
// value with the plan's AD write applied, the writes read back from the
// plan file as the gaps are (the rows follow all of flip_now's, so they
// take a second pass).
func approveAll(ctx context.Context, gaps pipeline.Rows[pipeline.Gap], planPath string, emit func(*pipeline.ForecastRow) error) (forecast.Counts, error) {
	plan, err := pipeline.OpenTableFile[pipeline.Action](planPath)
	if err != nil {
		return nil, err
	}
	r, err := plan.Only("action_id", "kind", "target", "dn", "attribute", "value").Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	writes := forecast.ReadWrites(r.Next, func(*pipeline.Action) bool { return true })
	n := 0
	return forecast.New().Stream(pipeline.ApproveAll, pipeline.OnlyColumns(gaps, forecast.GapColumns...), writes, func(row *pipeline.ForecastRow, _ *pipeline.Action) error {
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return emit(row)
	})
}

// Words are the options in the words a board reads.
func (c Config) Words() []string {
	w := []string{"policy " + string(c.Policy) + ": " + map[Policy]string{
		EntraWins: "the cloud's values are written into AD where the numbers differ",
		ADWins:    "nothing is written to AD; the cloud takes AD's values",
		Review:    "every difference is a decision",
	}[c.Policy]}
	if c.Normalize {
		w = append(w, "AD values are rewritten in E.164 (+CC number)")
	}
	if c.Policy == EntraWins {
		w = append(w, map[MissingInEntra]string{
			MissingDecide: "AD numbers the cloud lacks: the board decides per user",
			MissingKeepAD: "AD numbers the cloud lacks are kept (the switch copies them to the cloud)",
			MissingClear:  "AD numbers the cloud lacks are deleted from AD",
		}[c.MissingInEntra])
	}
	if c.EnableBypass {
		w = append(w, "the plan ends by enabling BypassDirSyncOverrides")
	}
	if c.OnlyOU != "" {
		w = append(w, "only users under "+c.OnlyOU)
	}
	if n := c.Exclude.Len(); n > 0 {
		w = append(w, fmt.Sprintf("%d users excluded by list (%s)", n, c.ExcludeFile))
	}
	return w
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

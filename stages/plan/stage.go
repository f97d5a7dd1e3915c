package plan

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"syncgap/pipeline"
	"syncgap/reports"
	"syncgap/stages/report"
)

// Manifest parameters of the plan stage.
const (
	ParamPolicy         = "policy"
	ParamNormalize      = "normalize"
	ParamEnableBypass   = "enable_bypass"
	ParamMissingInEntra = "missing_in_entra"
	ParamOnlyOU         = "only_ou"
	ParamExclude        = "exclude"      // the exclusion list itself, canonical, so replay needs no outside file
	ParamExcludeFile    = "exclude_file" // where it came from, for the reader
)

// Files the plan stage writes besides plan.parquet.
const (
	ChangesFile = "changes.ldif"
	// DetailHash is the manifest detail key holding the plan hash.
	DetailHash = "plan_hash"
)

// StageName is the plan stage's name in the manifest.
const StageName = "plan"

// Stage plans under the policy in its parameters and writes plan.parquet,
// report.xlsx (the change-board workbook) and changes.ldif.
func Stage() pipeline.Stage {
	return pipeline.Stage{Name: StageName, Replayable: true, Run: run}
}

// Params are the manifest parameters for cfg; excludeFile names where the
// exclusion list was read from (informational).
func Params(cfg Config, excludeFile string) map[string]string {
	p := map[string]string{
		ParamPolicy:         string(cfg.Policy),
		ParamNormalize:      strconv.FormatBool(cfg.Normalize),
		ParamEnableBypass:   strconv.FormatBool(cfg.EnableBypass),
		ParamMissingInEntra: string(cfg.MissingInEntra),
	}
	if p[ParamMissingInEntra] == "" {
		p[ParamMissingInEntra] = string(MissingDecide)
	}
	if cfg.OnlyOU != "" {
		p[ParamOnlyOU] = cfg.OnlyOU
	}
	if cfg.Exclude.Len() > 0 {
		p[ParamExclude] = cfg.Exclude.String()
		p[ParamExcludeFile] = excludeFile
	}
	return p
}

// ConfigFrom reads a Config back from manifest parameters.
func ConfigFrom(p map[string]string) (Config, error) {
	cfg := Config{
		Policy:         Policy(p[ParamPolicy]),
		MissingInEntra: MissingInEntra(p[ParamMissingInEntra]),
		OnlyOU:         p[ParamOnlyOU],
	}
	for name, dst := range map[string]*bool{ParamNormalize: &cfg.Normalize, ParamEnableBypass: &cfg.EnableBypass} {
		if v := p[name]; v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return cfg, fmt.Errorf("plan parameter %s=%q: %w", name, v, err)
			}
			*dst = b
		}
	}
	if s := p[ParamExclude]; s != "" {
		cfg.Exclude = ParseCanonical(s)
	}
	return cfg, cfg.Validate()
}

func run(ctx context.Context, dir string, params map[string]string) (*pipeline.Result, error) {
	cfg, err := ConfigFrom(params)
	if err != nil {
		return nil, err
	}
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return nil, err
	}
	for _, t := range []string{pipeline.GapsTable, pipeline.TenantTable} {
		if err := pipeline.CheckFresh(dir, m, pipeline.FileName(t)); err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
	}
	a, inputs, err := report.LoadAudit(dir)
	if err != nil {
		return nil, err
	}
	for _, f := range a.Tenant {
		if strings.EqualFold(f.Feature, pipeline.BypassFeature) {
			cfg.Bypass = f.Enabled
		}
	}
	p, err := NewPlanner(cfg)
	if err != nil {
		return nil, err
	}
	var actions []pipeline.Action
	for i := range a.Gaps {
		if actions, err = p.Row(actions, &a.Gaps[i]); err != nil {
			return nil, err
		}
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	t, err := p.Tenant()
	if err != nil {
		return nil, err
	}
	if t != nil {
		actions = append(actions, *t)
	}

	hash := Hash(inputs, params, actions)
	var notes []string
	if p.Stats.BypassOn {
		notes = append(notes, "--enable-bypass: the tenant flag is already on, so no tenant action is planned.")
	}
	book := &reports.Plan{
		Policy: string(cfg.Policy), Parameters: params, Hash: hash, Actions: actions,
		Excluded: p.Stats.Excluded, OutOfScope: p.Stats.OutOfScope, Notes: notes,
	}
	outs, err := WriteOutputs(dir, a, book)
	if err != nil {
		return nil, err
	}
	counts := map[pipeline.ActionKind]int{}
	for i := range actions {
		counts[actions[i].Kind]++
	}
	detail := map[string]string{DetailHash: hash}
	for _, k := range []pipeline.ActionKind{pipeline.KindWrite, pipeline.KindDecide, pipeline.KindReview, pipeline.KindRecord} {
		detail["actions_"+string(k)] = strconv.Itoa(counts[k])
	}
	detail["excluded_rows"] = strconv.Itoa(p.Stats.Excluded)
	detail["out_of_scope_rows"] = strconv.Itoa(p.Stats.OutOfScope)
	return &pipeline.Result{Inputs: inputs, Outputs: outs, Detail: detail}, nil
}

// WriteOutputs writes a plan's three files into dir: plan.parquet, the
// change-board workbook (with the audit sheets of a) and changes.ldif.
func WriteOutputs(dir string, a *reports.Audit, book *reports.Plan) ([]pipeline.OutputRecord, error) {
	out, err := pipeline.WriteTable(dir, pipeline.PlanTable, book.Actions)
	if err != nil {
		return nil, err
	}
	if err := reports.WritePlan(filepath.Join(dir, report.WorkbookFile), a, book); err != nil {
		return nil, err
	}
	wb, err := report.WorkbookOutput(dir, int64(len(book.Actions)))
	if err != nil {
		return nil, err
	}
	ldif, err := writeChangesFile(dir, book.Hash, book.Policy, book.Actions)
	if err != nil {
		return nil, err
	}
	return []pipeline.OutputRecord{out, wb, ldif}, nil
}

func writeChangesFile(dir, hash, policy string, actions []pipeline.Action) (pipeline.OutputRecord, error) {
	f, err := pipeline.CreateAtomic(filepath.Join(dir, ChangesFile))
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	header := fmt.Sprintf("syncgap change file, plan %s (policy %s)\n"+
		"Every proposed AD change (kinds write and decide), approved or not: review before use.\n"+
		"Each change deletes the value it expects and adds the new one, so it fails instead of\n"+
		"overwriting a value that changed since the plan. syncgap apply runs only approved\n"+
		"changes, journals each outcome and resumes after a crash; ldapmodify -f does neither.", hash, policy)
	n := 0
	if err := WriteChanges(f, header, actions, func(*pipeline.Action) bool { n++; return true }); err != nil {
		f.Abort()
		return pipeline.OutputRecord{}, err
	}
	if err := f.Commit(); err != nil {
		return pipeline.OutputRecord{}, err
	}
	return pipeline.OutputRecord{File: ChangesFile, Rows: int64(n), SHA256: f.SHA256()}, nil
}

// ErrNoPlan is a snapshot without a plan stage.
var ErrNoPlan = errors.New("no plan in this snapshot: run syncgap plan first")

// Load reads a snapshot's plan after checking it is current: plan.parquet is
// what the plan stage wrote, from the tables now in the snapshot. It returns
// the actions, the plan hash and the plan's parameters.
func Load(dir string) (actions []pipeline.Action, hash string, rec *pipeline.StageRecord, err error) {
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return nil, "", nil, err
	}
	// The plan stage, or rollback, which writes a reverse plan.
	rec, _ = m.Output(pipeline.FileName(pipeline.PlanTable))
	if rec == nil {
		return nil, "", nil, fmt.Errorf("%s: %w", dir, ErrNoPlan)
	}
	if err := pipeline.CheckFresh(dir, m, pipeline.FileName(pipeline.PlanTable)); err != nil {
		return nil, "", nil, err
	}
	actions, err = pipeline.ReadTable[pipeline.Action](filepath.Join(dir, pipeline.FileName(pipeline.PlanTable)))
	if err != nil {
		return nil, "", nil, err
	}
	hash = rec.Detail[DetailHash]
	if got := Hash(rec.Inputs, rec.Parameters, actions); got != hash {
		return nil, "", nil, fmt.Errorf("plan.parquet hashes to %s, the manifest records %s: %w", got[:12], pipeline.ShortHash(hash), pipeline.ErrStale)
	}
	return actions, hash, rec, nil
}

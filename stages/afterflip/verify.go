// Package afterflip holds the stages that run once BypassDirSyncOverrides
// is on (docs/rules.md, "Verify the cloud" and "Restore"). Sync reports
// success whether or not a user's values converged: verify-cloud reads an
// audit taken after the flip and says, value by value, which did. Once the
// flag is on, the snapshot taken before is the only record of the cloud
// values it overwrote: restore-plan turns them into a plan that writes
// them into AD, where the switch now takes its values from.
package afterflip

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// Config names the audit taken after the flip.
type Config struct {
	// After is the snapshot of an audit taken after the flip and a sync cycle.
	After string `param:"after"`
	// Scenario is the forecast that was carried out: as_decided when the
	// board's approvals were read, else approve_all.
	Scenario pipeline.Scenario `param:"scenario"`
}

// Validate checks the config.
func (c *Config) Validate() error {
	if c.After == "" {
		return errors.New("verify-cloud: no later audit (--after)")
	}
	if c.Scenario != pipeline.AsDecided && c.Scenario != pipeline.ApproveAll {
		return fmt.Errorf("verify-cloud: scenario %q: as_decided or approve_all", c.Scenario)
	}
	return nil
}

// forecastFile is where the scenario's rows are.
func (c Config) forecastFile() string {
	if c.Scenario == pipeline.AsDecided {
		return pipeline.FileName(pipeline.ForecastDecidedTable)
	}
	return pipeline.FileName(pipeline.ForecastTable)
}

// Summary counts the statuses; the manifest records it.
type Summary struct {
	Scenario     string `param:"scenario"`
	Converged    int    `param:"converged"`
	NotConverged int    `param:"not_converged"`
	ChangedSince int    `param:"changed_since"`
	Unknown      int    `param:"unknown"`
	Missing      int    `param:"missing"`
	// Flag is the later audit's BypassDirSyncOverridesEnabled: on or unknown
	// (off is refused).
	Flag string `param:"flag"`
}

// Failed is how many values did not converge (missing users included).
func (s Summary) Failed() int { return s.NotConverged + s.Missing }

func (s *Summary) count(st pipeline.CloudStatus) {
	switch st {
	case pipeline.Converged:
		s.Converged++
	case pipeline.NotConverged:
		s.NotConverged++
	case pipeline.ChangedSince:
		s.ChangedSince++
	case pipeline.CloudUnknown:
		s.Unknown++
	case pipeline.Missing:
		s.Missing++
	}
}

// ErrFlagOff is a later audit whose tenant flag is off: nothing was flipped.
var ErrFlagOff = errors.New("BypassDirSyncOverridesEnabled is off")

// VerifyStage compares the forecast of the snapshot with the later audit and
// writes verify_cloud.parquet.
var VerifyStage = pipeline.Def[Config, Summary]{
	Name:   "verify-cloud",
	Reads:  func(c Config) []string { return []string{c.forecastFile()} },
	Writes: []string{pipeline.FileName(pipeline.VerifyCloudTable), workbook.PostChangeFile},
	Do: func(ctx context.Context, env *pipeline.Env, cfg Config) (Summary, error) {
		sum := Summary{Scenario: string(cfg.Scenario)}
		after, err := loadAfter(env, cfg.After)
		if err != nil {
			return sum, err
		}
		sum.Flag = after.flag
		w, err := pipeline.CreateTable[pipeline.VerifyCloudRow](env.Dir, pipeline.VerifyCloudTable)
		if err != nil {
			return sum, err
		}
		defer w.Abort()
		err = scenarioRows(ctx, env.Path(cfg.forecastFile()), cfg.Scenario, func(f *pipeline.ForecastRow) error {
			row := after.check(f)
			sum.count(row.Status)
			return w.Write(&row)
		})
		if err != nil {
			return sum, err
		}
		out, err := w.Commit()
		if err != nil {
			return sum, err
		}
		env.AddOutput(out)
		book, err := writeBook(ctx, env, cfg, sum)
		if err != nil {
			return sum, err
		}
		env.AddOutput(book)
		return sum, nil
	},
}

// writeBook writes the post-change workbook from the table just written.
func writeBook(ctx context.Context, env *pipeline.Env, cfg Config, sum Summary) (pipeline.OutputRecord, error) {
	t, err := pipeline.LoadTable[pipeline.VerifyCloudRow](env.Path(pipeline.FileName(pipeline.VerifyCloudTable)))
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	defer t.Release()
	p := &workbook.PostChange{
		Snapshot: filepath.Base(filepath.Clean(env.Dir)), After: filepath.Base(filepath.Clean(cfg.After)),
		Scenario: cfg.Scenario, Flag: sum.Flag, ToolVersion: pipeline.ToolVersion(),
		Counts: map[pipeline.CloudStatus]int{
			pipeline.Converged: sum.Converged, pipeline.NotConverged: sum.NotConverged, pipeline.Missing: sum.Missing,
			pipeline.ChangedSince: sum.ChangedSince, pipeline.CloudUnknown: sum.Unknown,
		},
		Rows: t,
	}
	path := env.Path(workbook.PostChangeFile)
	if err := workbook.WritePostChange(ctx, path, p); err != nil {
		return pipeline.OutputRecord{}, err
	}
	sha, _, err := pipeline.HashFile(path)
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	return pipeline.OutputRecord{File: workbook.PostChangeFile, Rows: int64(sum.Failed() + sum.ChangedSince + sum.Unknown), SHA256: sha}, nil
}

// Narrow views of the later audit's tables: only the columns compared.
type adSide struct {
	DN          string   `parquet:"dn"`
	Mobile      string   `parquet:"mobile"`
	OtherMobile []string `parquet:"other_mobile"`
}

type cloudSide struct {
	ID                    string   `parquet:"id"`
	MobilePhone           string   `parquet:"mobile_phone"`
	AlternateMobilePhones []string `parquet:"alternate_mobile_phones"`
}

// afterAudit is what the later audit holds, by AD DN and by cloud id.
type afterAudit struct {
	ad    map[string]adSide
	cloud map[string]cloudSide
	flag  string
}

// scenarioRows calls fn for every row of scenario s in a forecast file,
// stopping when ctx is done.
func scenarioRows(ctx context.Context, path string, s pipeline.Scenario, fn func(*pipeline.ForecastRow) error) error {
	return pipeline.ScanRows(path, func(f *pipeline.ForecastRow) error {
		if f.Scenario != s {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(f)
	})
}

// loadAfter reads the later audit's tables once they are checked to be
// what its stages wrote, and records each as an input.
func loadAfter(env *pipeline.Env, dir string) (*afterAudit, error) {
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return nil, err
	}
	if len(m.Stages) == 0 {
		return nil, fmt.Errorf("%s: not a syncgap snapshot (no manifest.json): give the audit taken after the flip", dir)
	}
	files := []string{pipeline.ADUsersTable, pipeline.EntraUsersTable, pipeline.TenantTable}
	for _, t := range files {
		file := pipeline.FileName(t)
		if _, o := m.Output(file); o == nil {
			return nil, fmt.Errorf("%s holds no %s: give the snapshot of a whole audit taken after the flip", dir, file)
		}
		in, err := pipeline.FreshInput(dir, m, file)
		if err != nil {
			return nil, err
		}
		env.AddInput(in)
	}
	a := &afterAudit{ad: map[string]adSide{}, cloud: map[string]cloudSide{}}
	ads, err := pipeline.ReadRows[adSide](filepath.Join(dir, pipeline.FileName(pipeline.ADUsersTable)))
	if err != nil {
		return nil, err
	}
	for _, u := range ads {
		a.ad[strings.ToLower(u.DN)] = u
	}
	clouds, err := pipeline.ReadRows[cloudSide](filepath.Join(dir, pipeline.FileName(pipeline.EntraUsersTable)))
	if err != nil {
		return nil, err
	}
	for _, u := range clouds {
		a.cloud[strings.ToLower(u.ID)] = u
	}
	flags, err := pipeline.ReadRows[pipeline.TenantFlag](filepath.Join(dir, pipeline.FileName(pipeline.TenantTable)))
	if err != nil {
		return nil, err
	}
	a.flag = "unknown"
	for _, f := range flags {
		if f.Feature != pipeline.BypassFeature || !f.Enabled.Valid {
			continue
		}
		if !f.Enabled.Bool {
			return nil, fmt.Errorf("%s: %w in this audit's tenant table (%s): the switch was not flipped, or this audit was taken before it; audit again after the flip and a sync cycle", dir, ErrFlagOff, f.Source)
		}
		a.flag = "on"
	}
	return a, nil
}

// check compares one forecast row with the later audit.
func (a *afterAudit) check(f *pipeline.ForecastRow) pipeline.VerifyCloudRow {
	row := pipeline.VerifyCloudRow{
		Scenario: f.Scenario, UPN: f.UPN, DN: f.DN, EntraID: f.EntraID, Attribute: f.Attribute,
		Expected: f.CloudAfter,
	}
	ad, inAD := a.ad[strings.ToLower(f.DN)]
	cloud, inCloud := a.cloud[strings.ToLower(f.EntraID)]
	if inAD {
		row.AD = ad.values(f.Attribute)
	}
	if inCloud {
		row.Cloud = cloud.values(f.Attribute)
	}
	switch {
	case !inAD && !inCloud:
		row.Status, row.Reason = pipeline.Missing, "the user is in neither side of the later audit"
	case !inAD:
		row.Status, row.Reason = pipeline.Missing, "no AD user with this DN in the later audit (moved, renamed or deleted)"
	case !inCloud:
		row.Status, row.Reason = pipeline.Missing, "no cloud user with this object id in the later audit (deleted, or out of sync scope)"
	case !pipeline.SameValues(row.AD, f.CloudAfter):
		row.Status = pipeline.ChangedSince
		row.Reason = fmt.Sprintf("AD now holds %s, the forecast assumed %s: AD changed after the plan", pipeline.QuoteValues(row.AD), pipeline.QuoteValues(f.CloudAfter))
	case row.Cloud == nil:
		row.Status = pipeline.CloudUnknown
		row.Reason = "the later audit cannot read this cloud value (AlternateMobilePhones needs an MSOnline export, which no supported API makes since 2025)"
	case pipeline.SameValues(row.Cloud, f.CloudAfter):
		row.Status = pipeline.Converged
	default:
		row.Status = pipeline.NotConverged
		row.Reason = fmt.Sprintf("the cloud holds %s, AD %s: a sync error, the user out of sync scope, or the flag not yet in effect", pipeline.QuoteValues(row.Cloud), pipeline.QuoteValues(row.AD))
	}
	return row
}

// values is the AD side's values of attr, never nil.
func (u adSide) values(attr string) []string {
	if attr == "mobile" {
		if u.Mobile == "" {
			return []string{}
		}
		return []string{u.Mobile}
	}
	if u.OtherMobile == nil {
		return []string{}
	}
	return u.OtherMobile
}

// values is the cloud side's values of attr; nil when unknown.
func (u cloudSide) values(attr string) []string {
	if attr == "mobile" {
		if u.MobilePhone == "" {
			return []string{}
		}
		return []string{u.MobilePhone}
	}
	return u.AlternateMobilePhones
}

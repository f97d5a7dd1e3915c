package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"

	"syncgap/forecast"
	"syncgap/phone"
	"syncgap/pipeline"
)

// Reread re-reads both directories into the snapshot directory into, the
// way an audit does (extract-ad, extract-entra live, join, classify), so
// the preflight can forecast flip_now on what holds right before the flip
// (docs/rules.md, "Preflight"). It is given by the caller, so this package
// depends on neither the extract stages nor the Graph client.
type Reread func(ctx context.Context, into string) error

// PreflightCounts are the preflight's numbers, filed in the journal.
type PreflightCounts struct {
	Scenario        pipeline.Scenario `json:"scenario"` // the approved forecast compared with
	ApprovedLost    int               `json:"approved_lost"`
	ApprovedChanged int               `json:"approved_changed"`
	Lost            int               `json:"lost"`    // flip_now on what the preflight read
	Changed         int               `json:"changed"` // likewise
	Unknown         int               `json:"unknown"` // values whose cloud side the preflight could not read
	// Unexpected values are lost or changed beyond the approved forecast,
	// of users the audit held (or of any user, when the audit read AD live
	// with the same search): they refuse the flip.
	Unexpected int `json:"unexpected"`
	// OutsideAudit are lost or changed values of users an LDIF audit did
	// not hold: its scope is not known, so they are counted, not refused.
	OutsideAudit int  `json:"outside_audit"`
	FlagOn       bool `json:"flag_on,omitempty"` // the flag was already on
}

// Refused reports whether the flip must not go ahead.
func (c *PreflightCounts) Refused() bool { return c.Unexpected > 0 }

// ErrPreflightRefused: the preflight found cloud values the switch would
// now lose or change beyond what the change board approved.
var ErrPreflightRefused = errors.New("the preflight refused to enable the switch")

// Preflight compares the flip_now forecast on the snapshot re-read into
// dir/preflight with the forecast the board approved in dir (as_decided,
// or approve_all for --approve-all), and returns the counts and one row
// per value the switch would now lose or change beyond it, in the re-read
// gaps' order. Both sides are checked fresh against their manifests.
//
// A value counts as approved when the approved forecast has the same
// outcome (lost or changed) for the same user and attribute with the same
// cloud values before and after, compared as trimmed sets: the board saw
// exactly that loss. Anything else lost or changed is unexpected.
func Preflight(dir string, approveAll bool) (*PreflightCounts, []pipeline.PreflightRow, error) {
	pre := filepath.Join(dir, pipeline.PreflightDir)
	c := &PreflightCounts{Scenario: pipeline.AsDecided}
	if approveAll {
		c.Scenario = pipeline.ApproveAll
	}
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return nil, nil, err
	}
	approvedFile := pipeline.FileName(pipeline.ForecastDecidedTable)
	if approveAll {
		approvedFile = pipeline.FileName(pipeline.ForecastTable)
	}
	if err := pipeline.CheckFresh(dir, m, approvedFile); err != nil {
		return nil, nil, fmt.Errorf("the approved forecast: %w", err)
	}
	pm, err := pipeline.LoadManifest(pre)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range []string{pipeline.GapsTable, pipeline.TenantTable} {
		if err := pipeline.CheckFresh(pre, pm, pipeline.FileName(t)); err != nil {
			return nil, nil, fmt.Errorf("the preflight's re-read: %w", err)
		}
	}
	flags, err := pipeline.ReadRows[pipeline.TenantFlag](filepath.Join(pre, pipeline.FileName(pipeline.TenantTable)))
	if err != nil {
		return nil, nil, err
	}
	for _, f := range flags {
		if f.Feature == pipeline.BypassFeature && f.Enabled.IsTrue() {
			c.FlagOn = true
		}
	}

	// The approved losses and changes: few, so kept by user and attribute.
	approved := map[valueKey]pipeline.ForecastRow{}
	err = eachForecastRow(filepath.Join(dir, approvedFile), c.Scenario, func(r *pipeline.ForecastRow) {
		if r.Outcome == pipeline.Lost || r.Outcome == pipeline.Changed {
			if r.Outcome == pipeline.Lost {
				c.ApprovedLost++
			} else {
				c.ApprovedChanged++
			}
			approved[keyOf(r.EntraID, r.Attribute)] = forecast.Keep(r)
		}
	})
	if err != nil {
		return nil, nil, err
	}

	gaps, err := pipeline.LoadTable[pipeline.Gap](filepath.Join(pre, pipeline.FileName(pipeline.GapsTable)))
	if err != nil {
		return nil, nil, err
	}
	defer gaps.Release()
	var rows []pipeline.PreflightRow
	_, err = forecast.New().Stream(pipeline.FlipNow, gaps, nil, func(r *pipeline.ForecastRow, _ *pipeline.Action) error {
		switch r.Outcome {
		case pipeline.UnknownOutcome:
			c.Unknown++
			return nil
		case pipeline.Lost:
			c.Lost++
		case pipeline.Changed:
			c.Changed++
		default:
			return nil
		}
		if a, ok := approved[keyOf(r.EntraID, r.Attribute)]; ok && a.Outcome == r.Outcome &&
			sameTexts(a.CloudBefore, r.CloudBefore) && sameTexts(a.CloudAfter, r.CloudAfter) {
			return nil
		}
		k := forecast.Keep(r)
		rows = append(rows, pipeline.PreflightRow{UPN: strings.Clone(k.UPN), DN: strings.Clone(k.DN), EntraID: strings.Clone(k.EntraID),
			Attribute: k.Attribute, Outcome: k.Outcome, CloudBefore: cloneTexts(k.CloudBefore), CloudAfter: cloneTexts(k.CloudAfter)})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return c, rows, nil
	}
	if err := describe(dir, c.Scenario, approvedFile, rows); err != nil {
		return nil, nil, err
	}
	live := auditReadADLive(m)
	for i := range rows {
		if rows[i].InAudit.IsTrue() || live {
			c.Unexpected++
		} else {
			c.OutsideAudit++
		}
	}
	return c, rows, nil
}

// describe fills in, for the unexpected rows, the approved forecast's row
// and whether the audit held the user, with one more pass over each table
// (the rows are few; the tables may hold millions).
func describe(dir string, s pipeline.Scenario, approvedFile string, rows []pipeline.PreflightRow) error {
	at := make(map[valueKey]int, len(rows))
	dns := make(map[string][]int, len(rows))
	for i, r := range rows {
		at[keyOf(r.EntraID, r.Attribute)] = i
		dn := strings.ToLower(r.DN)
		dns[dn] = append(dns[dn], i)
	}
	err := eachForecastRow(filepath.Join(dir, approvedFile), s, func(f *pipeline.ForecastRow) {
		if i, ok := at[keyOf(f.EntraID, f.Attribute)]; ok {
			rows[i].ApprovedOutcome = f.Outcome
			rows[i].ApprovedCloudBefore, rows[i].ApprovedCloudAfter = cloneTexts(f.CloudBefore), cloneTexts(f.CloudAfter)
		}
	})
	if err != nil {
		return err
	}
	err = pipeline.ScanRows(filepath.Join(dir, pipeline.FileName(pipeline.ADUsersTable)), func(u *pipeline.ADUser) error {
		for _, i := range dns[strings.ToLower(u.DN)] {
			rows[i].InAudit = pipeline.Known(true)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := range rows {
		if !rows[i].InAudit.Valid {
			rows[i].InAudit = pipeline.Known(false)
		}
		rows[i].Reason = reason(&rows[i])
	}
	return nil
}

// reason says in a sentence why a value is unexpected.
func reason(r *pipeline.PreflightRow) string {
	what := "would now be " + string(r.Outcome)
	switch {
	case !r.InAudit.IsTrue():
		return what + "; the audit did not hold this AD user (new since, or outside the audit's scope)"
	case r.ApprovedOutcome == "":
		return what + "; the approved forecast did not have this value (the user was not matched then)"
	case !sameTexts(r.ApprovedCloudBefore, r.CloudBefore):
		return what + "; the cloud value changed since the audit (it was " + pipeline.QuoteValues(r.ApprovedCloudBefore) + ")"
	case !sameTexts(r.ApprovedCloudAfter, r.CloudAfter):
		return what + "; AD's value changed since the plan (the plan left " + pipeline.QuoteValues(r.ApprovedCloudAfter) + ")"
	}
	return what + "; the approved forecast said " + string(r.ApprovedOutcome)
}

// name is how a refusal names a user: the UPN, else the DN.
func name(r *pipeline.PreflightRow) string {
	if r.UPN != "" {
		return r.UPN
	}
	return r.DN
}

// auditReadADLive reports whether the audit's AD side was a live search:
// the preflight then reads the same search, so a user it finds that the
// audit did not is new since. An LDIF export's scope is not known.
func auditReadADLive(m *pipeline.Manifest) bool {
	rec, _ := m.Output(pipeline.FileName(pipeline.ADUsersTable))
	return rec != nil && rec.Parameters["ldif"] == ""
}

// eachForecastRow calls f for every row of scenario s in a forecast file.
func eachForecastRow(path string, s pipeline.Scenario, f func(*pipeline.ForecastRow)) error {
	return pipeline.ScanRows(path, func(r *pipeline.ForecastRow) error {
		if r.Scenario == s {
			f(r)
		}
		return nil
	})
}

// valueKey is one user's attribute: the cloud object id (lower case, as
// every table holds it) and the attribute.
type valueKey struct{ id, attr string }

func keyOf(id, attr string) valueKey { return valueKey{strings.ToLower(id), attr} }

// sameTexts compares two value lists as trimmed sets, null apart from empty.
func sameTexts(a, b []string) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	return slices.Equal(phone.TrimSet(a), phone.TrimSet(b))
}

func cloneTexts(v []string) []string {
	if v == nil {
		return nil
	}
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = strings.Clone(s)
	}
	return out
}

// refusal is the one-line error of a refused preflight, naming the first
// users.
func refusal(c *PreflightCounts, rows []pipeline.PreflightRow, table string) string {
	var names []string
	for _, r := range rows {
		if len(names) == 5 {
			break
		}
		if r.InAudit.IsTrue() || c.Unexpected == len(rows) {
			names = append(names, name(&r)+" ("+r.Attribute+" "+string(r.Outcome)+")")
		}
	}
	more := ""
	if c.Unexpected > len(names) {
		more = fmt.Sprintf(" and %d more", c.Unexpected-len(names))
	}
	return fmt.Sprintf("the switch would now lose or change %d cloud values beyond the approved %s forecast: %s%s; see %s. "+
		"The tenant flag was not changed: audit and plan again, or pass --skip-preflight to enable it anyway",
		c.Unexpected, c.Scenario, strings.Join(names, ", "), more, table)
}

// Text is the counts in one line, for the journal and the terminal.
func (c *PreflightCounts) Text() string {
	s := fmt.Sprintf("approved %s forecast: %d lost, %d changed; now: %d lost, %d changed, %d unknown; %d beyond the approved",
		c.Scenario, c.ApprovedLost, c.ApprovedChanged, c.Lost, c.Changed, c.Unknown, c.Unexpected)
	if c.OutsideAudit > 0 {
		s += fmt.Sprintf("; %d of users the LDIF audit did not hold (not refused: its scope is not known)", c.OutsideAudit)
	}
	return s
}

// preflight re-reads both directories into dir/preflight, compares, writes
// the preflight table and files the counts in the journal. An error is a
// preflight that could not be made: the flag is then left alone.
func (e *Engine) preflight(ctx context.Context, dir string, ap *Approved, flip Flip, sum *Summary) (*PreflightCounts, []pipeline.PreflightRow, *pipeline.OutputRecord, error) {
	if flip.Reread == nil {
		return nil, nil, nil, errors.New("the preflight has no way to re-read AD and the cloud (pass --skip-preflight to enable the flag without it)")
	}
	if err := flip.Reread(ctx, filepath.Join(dir, pipeline.PreflightDir)); err != nil {
		return nil, nil, nil, fmt.Errorf("preflight: re-reading AD and the cloud: %w", err)
	}
	c, found, err := Preflight(dir, ap.ApproveAll)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("preflight: %w", err)
	}
	out, err := pipeline.WriteTable(dir, pipeline.PreflightTable, found)
	if err != nil {
		return nil, nil, nil, err
	}
	sum.Preflight = c.Text()
	if err := e.append(JournalEntry{Event: EventPreflight, ActionID: ap.Tenant.ActionID, Message: c.Text(), Preflight: c}); err != nil {
		return nil, nil, &out, err
	}
	slog.Info("preflight", "result", c.Text())
	return c, found, &out, nil
}

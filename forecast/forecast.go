// Package forecast says what enabling BypassDirSyncOverrides will do to
// every cloud value under a scenario (docs/rules.md, "Forecast"): with the
// switch on, the cloud equals AD after a sync cycle, so a scenario's cloud
// value is the AD value it leaves, and its outcome is the difference
// between that and what the cloud holds now. plan forecasts flip_now and
// approve_all, approve forecasts as_decided, and apply's preflight
// forecasts flip_now again on what it re-reads.
package forecast

import (
	"slices"
	"strings"

	"syncgap/phone"
	"syncgap/pipeline"
)

// Attributes are the two the switch affects, in table order.
var Attributes = []string{"mobile", "otherMobile"}

// Value is one matched user's attribute, both sides.
type Value struct {
	Gap       *pipeline.Gap
	Attribute string
	AD        []string // as stored in AD; empty when none
	Cloud     []string // as the cloud holds it; nil when unknown
	// known are texts whose E.164 form classify already computed (mobile:
	// where the two texts differ, gaps holds the forms of those that are
	// numbers), so the forecast need not parse them again: a parse costs
	// ~12 µs, and a million users have two million values.
	known [2][2]string
}

// Values are the two attributes of a gaps row; none for a row that is not
// matched (the switch's effect on an ambiguous or unmatched user is not a
// forecast but a question for review).
func Values(g *pipeline.Gap) []Value {
	if g.MatchStatus != pipeline.Matched {
		return nil
	}
	mob := Value{Gap: g, Attribute: "mobile", AD: one(g.MobileAD), Cloud: one(g.MobileEntra)}
	if g.MobileState == pipeline.Unverifiable {
		mob.Cloud = nil
	}
	if g.MobileAD != g.MobileEntra {
		mob.known = [2][2]string{{phone.Trim(g.MobileAD), g.MobileADE164}, {phone.Trim(g.MobileEntra), g.MobileEntraE164}}
	}
	other := Value{Gap: g, Attribute: "otherMobile", AD: g.OtherMobileAD, Cloud: g.OtherMobileEntra}
	if other.AD == nil {
		other.AD = []string{}
	}
	return []Value{mob, other}
}

func one(v string) []string {
	if v == "" {
		return []string{}
	}
	return []string{v}
}

// Forecaster grades outcomes, with a phone parser of its own (not safe for
// concurrent use).
type Forecaster struct {
	p *phone.Parser
}

// New returns a Forecaster.
func New() *Forecaster { return &Forecaster{p: phone.NewParser()} }

// Row is v's forecast row under scenario s, when the scenario applies the
// AD action a to it (nil: none, so AD keeps its value).
func (f *Forecaster) Row(s pipeline.Scenario, v Value, a *pipeline.Action) pipeline.ForecastRow {
	after := v.AD
	r := pipeline.ForecastRow{Scenario: s, UPN: v.Gap.UPN, DN: v.Gap.DN, EntraID: v.Gap.EntraID, Attribute: v.Attribute, CloudBefore: v.Cloud}
	if a != nil {
		after, r.ActionID = a.Value, a.ActionID
	}
	if after == nil {
		after = []string{}
	}
	r.CloudAfter = after
	r.Outcome = f.outcome(v.Cloud, after, v.Gap.Region, &v.known)
	return r
}

// Outcome grades what becomes of the cloud's values before when the switch
// sets them to after (docs/rules.md, "Forecast"):
//
//	before unknown                              unknown
//	the same texts (trimmed, as a set)          unchanged
//	cloud empty      -> numbers                 filled
//	cloud only text  -> nothing or numbers      cleaned
//	numbers          -> nothing or only text    lost
//	numbers          -> the same numbers        reformatted (cleaned if text went too)
//	numbers          -> all of them and more    filled
//	numbers          -> others                  changed
//	anything else (text appears, text changes)  changed
func (f *Forecaster) Outcome(before, after []string, region string) pipeline.CloudOutcome {
	return f.outcome(before, after, region, nil)
}

func (f *Forecaster) outcome(before, after []string, region string, known *[2][2]string) pipeline.CloudOutcome {
	if before == nil {
		return pipeline.UnknownOutcome
	}
	if len(before) <= 1 && len(after) <= 1 && phone.Trim(first(before)) == phone.Trim(first(after)) {
		return pipeline.Unchanged // the common case, without allocating
	}
	tb, ta := trimmed(before), trimmed(after)
	if slices.Equal(tb, ta) {
		return pipeline.Unchanged
	}
	bn, bj := f.split(tb, region, known)
	an, aj := f.split(ta, region, known)
	switch {
	case len(bn) == 0 && bj == 0:
		if len(an) > 0 {
			return pipeline.Filled
		}
		return pipeline.Changed
	case len(bn) == 0:
		if aj == 0 {
			return pipeline.Cleaned
		}
		return pipeline.Changed
	case len(an) == 0:
		return pipeline.Lost
	case slices.Equal(bn, an):
		if bj > 0 && aj == 0 {
			return pipeline.Cleaned
		}
		return pipeline.Reformatted
	case subset(bn, an):
		return pipeline.Filled
	}
	return pipeline.Changed
}

// trimmed is vals trimmed, without empty texts, sorted and unique.
func trimmed(vals []string) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if v = phone.Trim(v); v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// split is the sorted unique E.164 forms of the texts that are numbers, and
// how many texts are not.
func (f *Forecaster) split(vals []string, region string, known *[2][2]string) (numbers []string, junk int) {
	for _, v := range vals {
		if e := f.number(v, region, known); e != "" {
			numbers = append(numbers, e)
		} else {
			junk++
		}
	}
	slices.Sort(numbers)
	return slices.Compact(numbers), junk
}

// number is the E.164 form of a trimmed text, "" when it is no number.
func (f *Forecaster) number(text, region string, known *[2][2]string) string {
	if known != nil {
		for _, k := range known {
			// Only a number is taken on trust; a text classify found no
			// number is rare enough to parse again.
			if k[0] != "" && k[1] != "" && k[0] == text {
				return k[1]
			}
		}
	}
	return f.p.Parse(text, region).E164
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// subset reports whether every element of a (sorted) is in b (sorted).
func subset(a, b []string) bool {
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			return false
		}
	}
	return true
}

// Counts tallies rows by outcome.
type Counts map[pipeline.CloudOutcome]int

// Add counts one row.
func (c Counts) Add(r *pipeline.ForecastRow) { c[r.Outcome]++ }

// Key names one user's attribute, the unit a forecast counts: the DN
// (compared case-insensitively, as AD does) and the attribute.
type Key struct{ dn, attr string }

// KeyOf is the key of dn's attribute.
func KeyOf(dn, attr string) Key { return Key{strings.ToLower(dn), attr} }

// Writes indexes the AD writes among actions that keep selects, by the
// value they change.
func Writes(actions []pipeline.Action, keep func(*pipeline.Action) bool) map[Key]*pipeline.Action {
	m := map[Key]*pipeline.Action{}
	for i := range actions {
		if a := &actions[i]; a.Target == pipeline.TargetAD && a.Kind.Writes() && keep(a) {
			m[KeyOf(a.DN, a.Attribute)] = a
		}
	}
	return m
}

// Stream forecasts scenario s for every matched value in gaps, applying
// the write writes holds for it, if any, hands each row to emit in table
// order, and counts the outcomes. Rows are not kept: a million users make
// two million rows a scenario.
func (f *Forecaster) Stream(s pipeline.Scenario, gaps []pipeline.Gap, writes map[Key]*pipeline.Action, emit func(*pipeline.ForecastRow) error) (Counts, error) {
	counts := Counts{}
	for i := range gaps {
		for _, v := range Values(&gaps[i]) {
			r := f.Row(s, v, writes[KeyOf(v.Gap.DN, v.Attribute)])
			counts.Add(&r)
			if err := emit(&r); err != nil {
				return counts, err
			}
		}
	}
	return counts, nil
}

// Rows is Stream into a slice, for small inputs and tests.
func (f *Forecaster) Rows(s pipeline.Scenario, gaps []pipeline.Gap, writes map[Key]*pipeline.Action) ([]pipeline.ForecastRow, Counts) {
	var rows []pipeline.ForecastRow
	counts, _ := f.Stream(s, gaps, writes, func(r *pipeline.ForecastRow) error {
		rows = append(rows, *r)
		return nil
	})
	return rows, counts
}

// Package forecast says what enabling BypassDirSyncOverrides will do to
// every cloud value under a scenario (docs/rules.md, "Forecast"): with the
// switch on, the cloud equals AD after a sync cycle, so a scenario's cloud
// value is the AD value it leaves, and its outcome is the difference
// between that and what the cloud holds now. plan forecasts flip_now and
// approve_all, approve forecasts as_decided, and apply's preflight
// forecasts flip_now again on what it re-reads.
package forecast

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"syncgap/phone"
	"syncgap/pipeline"
)

// Attributes are the two the switch affects, in table order.
var Attributes = []string{"mobile", "otherMobile"}

// GapColumns are the gaps columns a forecast reads: a stream over a table
// file need read no other (pipeline.OnlyColumns).
var GapColumns = []string{"upn", "dn", "entra_id", "match_status", "mobile_state", "other_mobile_state", "mobile_ad", "mobile_entra",
	"other_mobile_ad", "other_mobile_entra", "mobile_ad_e164", "mobile_entra_e164", "region"}

// Value is one matched user's attribute, both sides.
type Value struct {
	Gap       *pipeline.Gap
	Attribute string
	AD        []string       // as stored in AD; empty when none
	Cloud     []string       // as the cloud holds it; nil when unknown
	State     pipeline.State // classify's verdict on AD against the cloud
	// known are texts whose E.164 form classify already computed (mobile:
	// where the two texts differ, gaps holds the forms of those that are
	// numbers), so the forecast need not parse them again: a parse costs
	// ~12 µs, and a million users have two million values.
	known [2][2]string
}

// Values are the two attributes of a gaps row; ok is false for a row that
// is not matched (the switch's effect on an ambiguous or unmatched user is
// not a forecast but a question for review).
func Values(g *pipeline.Gap) (v [2]Value, ok bool) {
	return values(g, one(g.MobileAD), one(g.MobileEntra))
}

func values(g *pipeline.Gap, ad, cloud []string) (v [2]Value, ok bool) {
	if g.MatchStatus != pipeline.Matched {
		return v, false
	}
	mob := Value{Gap: g, Attribute: "mobile", AD: ad, Cloud: cloud, State: g.MobileState}
	if g.MobileState == pipeline.Unverifiable {
		mob.Cloud = nil
	}
	if g.MobileAD != g.MobileEntra {
		mob.known = [2][2]string{{phone.Trim(g.MobileAD), g.MobileADE164}, {phone.Trim(g.MobileEntra), g.MobileEntraE164}}
	}
	other := Value{Gap: g, Attribute: "otherMobile", AD: g.OtherMobileAD, Cloud: g.OtherMobileEntra, State: g.OtherMobileState}
	if other.AD == nil {
		other.AD = []string{}
	}
	return [2]Value{mob, other}, true
}

// scratchValues is Values over f's scratch space for the mobile lists, so
// a stream of millions of rows allocates none: the rows it emits are valid
// only during the call.
func (f *Forecaster) scratchValues(g *pipeline.Gap) ([2]Value, bool) {
	ad, cloud := f.mob[0][:0], f.mob[1][:0]
	if g.MobileAD != "" {
		ad = append(ad, g.MobileAD)
	}
	if g.MobileEntra != "" {
		cloud = append(cloud, g.MobileEntra)
	}
	return values(g, ad, cloud)
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
	p   *phone.Parser
	mob [2][]string          // scratch for the mobile lists of a streamed row
	row pipeline.ForecastRow // the row a stream emits: emit must copy what it keeps
}

// New returns a Forecaster.
func New() *Forecaster {
	return &Forecaster{p: phone.NewParser(), mob: [2][]string{make([]string, 0, 1), make([]string, 0, 1)}}
}

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
	if o, ok := byState(v); ok && a == nil {
		r.Outcome = o
	} else {
		r.Outcome = f.outcome(v.Cloud, after, v.Gap.Region, &v.known)
	}
	return r
}

// byState is the outcome of leaving AD's value as it is, read off
// classify's state where the state decides it: classify compared the same
// two values by the same rules (docs/rules.md, "Classify"), and parsing
// them again would cost a million-user plan seconds. An invalid value, and
// an otherMobile mismatch (AD's set may hold all of the cloud's numbers and
// more), still need the values.
func byState(v Value) (pipeline.CloudOutcome, bool) {
	if v.Cloud == nil {
		return pipeline.UnknownOutcome, true
	}
	switch v.State {
	case pipeline.InSync:
		return pipeline.Unchanged, true
	case pipeline.FormatOnly:
		return pipeline.Reformatted, true
	case pipeline.MissingInEntra:
		return pipeline.Filled, true
	case pipeline.MissingInAD:
		return pipeline.Lost, true
	case pipeline.Mismatch:
		if v.Attribute == "mobile" {
			return pipeline.Changed, true
		}
	}
	return "", false
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
	tb, ta := phone.TrimSet(before), phone.TrimSet(after)
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

// key names one user's attribute, the unit a forecast counts: the DN and
// the attribute. The DN is compared exactly: plan actions carry their
// gaps row's DN as it is, and lower-casing four million DNs to compare
// them would cost a plan of a million users seconds.
type key struct{ dn, attr string }

// Writes are the AD writes among a plan's actions, in the plan's order,
// which is the gaps table's: the planner makes each row's actions in turn.
// A stream walks them beside the gaps rows, comparing a DN a row where a
// map would hash one a value: four million lookups cost a million-user
// plan seconds. They are held (NewWrites) or read as the stream goes
// (ReadWrites), for a plan too large to hold.
type Writes struct {
	list  []*pipeline.Action
	byKey map[key]*pipeline.Action // built on the first Lookup
	// read, when set, fills the next action of the plan, io.EOF after the
	// last; keep picks the writes among them.
	read func(*pipeline.Action) error
	keep func(*pipeline.Action) bool
}

// NewWrites picks the AD writes among actions that keep selects.
func NewWrites(actions []pipeline.Action, keep func(*pipeline.Action) bool) *Writes {
	w := &Writes{}
	for i := range actions {
		if a := &actions[i]; isWrite(a) && keep(a) {
			w.list = append(w.list, a)
		}
	}
	return w
}

// ReadWrites are the AD writes keep selects among the actions read fills
// in turn (io.EOF after the last), read once by one Stream. The actions a
// stream hands to emit are copies, valid during the call.
func ReadWrites(read func(*pipeline.Action) error, keep func(*pipeline.Action) bool) *Writes {
	return &Writes{read: read, keep: keep}
}

func isWrite(a *pipeline.Action) bool { return a.Target == pipeline.TargetAD && a.Kind.Writes() }

// Len is the number of writes held (none for ReadWrites).
func (w *Writes) Len() int {
	if w == nil {
		return 0
	}
	return len(w.list)
}

// Lookup is the write of dn's attribute, if any, for the odd question
// outside a stream; writes being read are never found.
func (w *Writes) Lookup(dn, attr string) *pipeline.Action {
	if w.Len() == 0 {
		return nil
	}
	if w.byKey == nil {
		w.byKey = make(map[key]*pipeline.Action, len(w.list))
		for _, a := range w.list {
			w.byKey[key{a.DN, a.Attribute}] = a
		}
	}
	return w.byKey[key{dn, attr}]
}

// writeCursor walks Writes in order.
type writeCursor struct {
	w    *Writes
	next int             // list: the index of the current write
	cur  pipeline.Action // read: the current write
	have bool            // read: cur holds one
	done bool
}

// peek is the current write, nil after the last.
func (c *writeCursor) peek() (*pipeline.Action, error) {
	switch {
	case c.w == nil:
		return nil, nil
	case c.w.read == nil:
		if c.next < len(c.w.list) {
			return c.w.list[c.next], nil
		}
		return nil, nil
	case c.have:
		return &c.cur, nil
	case c.done:
		return nil, nil
	}
	for {
		c.cur = pipeline.Action{}
		if err := c.w.read(&c.cur); err == io.EOF {
			c.done = true
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		if isWrite(&c.cur) && c.w.keep(&c.cur) {
			c.have = true
			return &c.cur, nil
		}
	}
}

// pop moves past the current write.
func (c *writeCursor) pop() {
	if c.w.read == nil {
		c.next++
	} else {
		c.have = false
	}
}

// ErrWritesOrder: the writes do not follow the gaps rows, so the plan was
// not made from these gaps.
var ErrWritesOrder = errors.New("the plan's AD writes do not follow the gaps table's order")

// Stream forecasts scenario s for every matched value in gaps and hands
// each row to emit in table order, with the write writes holds for the
// value, if any; flip_now leaves AD as it is, the other scenarios apply
// the write. It counts the outcomes. Rows are not kept: a million users
// make two million rows a scenario. A row is valid only during the emit
// call (its mobile lists are reused): copy what you keep.
func (f *Forecaster) Stream(s pipeline.Scenario, gaps pipeline.Rows[pipeline.Gap], writes *Writes, emit func(*pipeline.ForecastRow, *pipeline.Action) error) (Counts, error) {
	counts := Counts{}
	cur := &writeCursor{w: writes}
	var held [2]pipeline.Action // copies of writes being read, for the row's emits
	for _, g := range gaps.All() {
		if g.MatchStatus != pipeline.Matched {
			continue
		}
		var acts [2]*pipeline.Action // mobile, otherMobile
		for {
			a, err := cur.peek()
			if err != nil {
				return counts, fmt.Errorf("forecast %s: %w", s, err)
			}
			if a == nil || a.DN != g.DN {
				break
			}
			for k, attr := range Attributes {
				if a.Attribute != attr {
					continue
				}
				if writes.read != nil {
					held[k] = *a
					a = &held[k]
				}
				acts[k] = a
			}
			cur.pop()
		}
		if err := f.Gap(s, g, acts, counts, emit); err != nil {
			return counts, err
		}
	}
	if err := pipeline.PassErr(gaps); err != nil {
		return counts, fmt.Errorf("forecast %s: %w", s, err)
	}
	if a, err := cur.peek(); err != nil {
		return counts, fmt.Errorf("forecast %s: %w", s, err)
	} else if a != nil {
		return counts, fmt.Errorf("forecast %s: %w (at %s %s)", s, ErrWritesOrder, pipeline.QuoteValues([]string{a.DN}), a.Attribute)
	}
	return counts, nil
}

// Gap forecasts scenario s for the two values of one gaps row, as Stream
// does, with acts the AD writes (mobile, otherMobile; nil: none) the
// scenario may apply, counting into counts. An unmatched row has none.
func (f *Forecaster) Gap(s pipeline.Scenario, g *pipeline.Gap, acts [2]*pipeline.Action, counts Counts, emit func(*pipeline.ForecastRow, *pipeline.Action) error) error {
	vals, ok := f.scratchValues(g)
	if !ok {
		return nil
	}
	for k, v := range vals {
		apply := acts[k]
		if s == pipeline.FlipNow {
			apply = nil
		}
		f.row = f.Row(s, v, apply)
		counts.Add(&f.row)
		if err := emit(&f.row, acts[k]); err != nil {
			return err
		}
	}
	return nil
}

// Rows is Stream into a slice, for small inputs and tests.
func (f *Forecaster) Rows(s pipeline.Scenario, gaps pipeline.Rows[pipeline.Gap], writes *Writes) ([]pipeline.ForecastRow, Counts, error) {
	var rows []pipeline.ForecastRow
	counts, err := f.Stream(s, gaps, writes, func(r *pipeline.ForecastRow, _ *pipeline.Action) error {
		rows = append(rows, Keep(r))
		return nil
	})
	return rows, counts, err
}

// cloneList copies a list, keeping nil apart from empty.
func cloneList(v []string) []string {
	if v == nil {
		return nil
	}
	return append([]string{}, v...)
}

// Keep copies a streamed row so it outlives the emit call.
func Keep(r *pipeline.ForecastRow) pipeline.ForecastRow {
	c := *r
	c.CloudBefore, c.CloudAfter = cloneList(r.CloudBefore), cloneList(r.CloudAfter)
	return c
}

package workbook

import (
	"fmt"
	"sort"
	"strings"

	"syncgap/pipeline"
)

// Enum values in the order docs/tables.md lists them: the Summary lists every one, zeros included,
// so a reviewer sees at a glance that e.g. no value is cleared.
var (
	matchOrder  = names(pipeline.MatchStatuses)
	stateOrder  = names(pipeline.States)
	effectOrder = append(names(pipeline.Effects), effectUnknown)
	riskOrder   = names(pipeline.Risks)
)

func names[E ~string](vals []E) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = string(v)
	}
	return out
}

// effectUnknown counts, in the effect table, synced users for whom nothing
// known changes but whose cloud otherMobile cannot be read.
const effectUnknown = "unknown (cloud otherMobile not readable)"

// emptyValue names an empty enum cell in a count table.
const emptyValue = "(empty)"

// count is one line of a two-column count table.
type count struct {
	Value string
	N     int
}

// tally counts values in a fixed order; values outside the order (a newer
// classify, a damaged table) follow sorted, so nothing is silently dropped.
type tally struct {
	order []string
	n     map[string]int
}

func newTally(order []string) *tally { return &tally{order: order, n: map[string]int{}} }

func (t *tally) add(v string) {
	if v == "" {
		v = emptyValue
	}
	t.n[v]++
}

func (t *tally) counts() []count {
	out := make([]count, 0, len(t.order))
	known := map[string]bool{}
	for _, v := range t.order {
		out = append(out, count{v, t.n[v]})
		known[v] = true
	}
	var extra []string
	for v := range t.n {
		if !known[v] {
			extra = append(extra, v)
		}
	}
	sort.Strings(extra)
	for _, v := range extra {
		out = append(out, count{v, t.n[v]})
	}
	return out
}

// bypassState is the tenant flag as the Summary shows it.
type bypassState struct {
	State  string // on, off or unknown
	Source string
}

// changes counts cloud attribute values enabling bypass would change; the
// index is 0 for mobile and 1 for otherMobile.
type changes struct {
	Cleared, Overwritten, Filled, Reformatted [2]int
}

// summary is the computed content of the Summary sheet, kept apart from the
// rendering so it can be tested without a workbook.
type summary struct {
	Rows                                     int
	Match, Mobile, OtherMobile, Effect, Risk []count
	Changes                                  changes
	Bypass                                   bypassState
	Domains                                  []count // synced users with a difference, by UPN domain
	Synced                                   int     // rows enabling bypass acts on (matched, anchor_conflict)
	Shown                                    int     // of Synced, rows with a difference: those the Gaps sheet lists
	OtherUnknown                             int     // of Synced, other_mobile_state unverifiable
}

// synced reports whether a row pairs one AD user with one cloud user the sync
// engine joins: those are the rows enabling bypass acts on.
func synced(s pipeline.MatchStatus) bool {
	return s == pipeline.Matched || s == pipeline.AnchorConflict
}

func summarize(a *Audit) (*summary, error) {
	match, mob, other := newTally(matchOrder), newTally(stateOrder), newTally(stateOrder)
	eff, risk := newTally(effectOrder), newTally(riskOrder)
	s := &summary{Rows: a.gaps().Len(), Bypass: bypass(a.Tenant)}
	domains := map[string]int{}
	gaps := pipeline.OnlyColumns(a.gaps(), summaryColumns...)
	for _, g := range gaps.All() {
		if showGap(g) {
			domains[domainOf(g.UPN)]++
			s.Shown++
		}
		match.add(string(g.MatchStatus))
		mob.add(string(g.MobileState))
		other.add(string(g.OtherMobileState))
		if synced(g.MatchStatus) && g.Effect == pipeline.NoEffect && g.OtherMobileState == pipeline.Unverifiable {
			// Nothing known changes, but the cloud's otherMobile cannot be
			// read: "none" would claim the switch leaves it alone.
			eff.add(effectUnknown)
		} else {
			eff.add(string(g.Effect))
		}
		risk.add(string(g.Risk))
		if !synced(g.MatchStatus) {
			continue
		}
		s.Synced++
		if g.OtherMobileState == pipeline.Unverifiable {
			s.OtherUnknown++
		}
		s.Changes.add(0, attrEffect(g.MobileState, g.MobileAD == "", g.MobileEntra == ""))
		s.Changes.add(1, attrEffect(g.OtherMobileState, len(g.OtherMobileAD) == 0, len(g.OtherMobileEntra) == 0))
	}
	if err := pipeline.PassErr(gaps); err != nil {
		return nil, err
	}
	s.Match, s.Mobile, s.OtherMobile = match.counts(), mob.counts(), other.counts()
	s.Effect, s.Risk = eff.counts(), risk.counts()
	s.Domains = topCounts(domains, maxDomains)
	return s, nil
}

// summaryColumns are the gaps columns summarize reads.
var summaryColumns = []string{"upn", "match_status", "mobile_state", "other_mobile_state", "effect", "risk",
	"mobile_ad", "mobile_entra", "other_mobile_ad", "other_mobile_entra"}

// maxDomains bounds the domain table; the rest are summed as "(other domains)".
const maxDomains = 12

// domainOf is the lower-case UPN suffix.
func domainOf(upn string) string {
	if i := strings.LastIndexByte(upn, '@'); i >= 0 && i < len(upn)-1 {
		return strings.ToLower(upn[i+1:])
	}
	return "(no domain)"
}

// topCounts is the n largest counts, largest first (ties by name), and one
// line summing the rest.
func topCounts(m map[string]int, n int) []count {
	out := make([]count, 0, len(m))
	for k, v := range m {
		out = append(out, count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Value < out[j].Value
	})
	if len(out) > n {
		rest := 0
		for _, c := range out[n:] {
			rest += c.N
		}
		out = append(out[:n], count{"(other domains)", rest})
	}
	return out
}

func (c *changes) add(attr int, e pipeline.Effect) {
	switch e {
	case pipeline.ClearsCloud:
		c.Cleared[attr]++
	case pipeline.OverwritesCloud:
		c.Overwritten[attr]++
	case pipeline.FillsCloud:
		c.Filled[attr]++
	case pipeline.ReformatsCloud:
		c.Reformatted[attr]++
	}
}

// attrEffect is what enabling bypass does to one attribute's cloud value
// (docs/rules.md, "Classify"): AD wins, so a cloud value without an AD value is cleared. An
// invalid pair is judged by emptiness like the others; unverifiable and
// not_applicable add nothing because the cloud side is not known.
func attrEffect(s pipeline.State, adEmpty, cloudEmpty bool) pipeline.Effect {
	switch s {
	case pipeline.FormatOnly:
		return pipeline.ReformatsCloud
	case pipeline.MissingInEntra:
		return pipeline.FillsCloud
	case pipeline.MissingInAD:
		return pipeline.ClearsCloud
	case pipeline.Mismatch:
		return pipeline.OverwritesCloud
	case pipeline.Invalid:
		switch {
		case adEmpty && !cloudEmpty:
			return pipeline.ClearsCloud
		case !adEmpty && cloudEmpty:
			return pipeline.FillsCloud
		case !adEmpty && !cloudEmpty:
			return pipeline.OverwritesCloud
		}
	}
	return pipeline.NoEffect
}

// bypass finds the BypassDirSyncOverrides flag; Graph property names are
// case-insensitive in the exports people save, so the match is too.
func bypass(flags []pipeline.TenantFlag) bypassState {
	for _, f := range flags {
		if !strings.EqualFold(f.Feature, pipeline.BypassFeature) {
			continue
		}
		st := bypassState{State: "unknown", Source: f.Source}
		if f.Enabled.Valid {
			st.State = onOff(f.Enabled.Bool)
		}
		return st
	}
	return bypassState{State: "unknown", Source: "not in the snapshot (no onPremisesSynchronization input)"}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// otherUnknownShare is the share of synced users with an unverifiable
// otherMobile above which the Summary says no cloud export was given at all.
const otherUnknownShare = 0.5

// notes are the caveats a reviewer must read before trusting the counts.
func (s *summary) notes(a *Audit) []string {
	var out []string
	if s.Bypass.State == "unknown" {
		out = append(out, "The tenant flag bypassDirSyncOverridesEnabled could not be read ("+
			s.Bypass.Source+"); check in the Entra admin center whether it is already on.")
	}
	if s.OtherUnknown > 0 {
		if float64(s.OtherUnknown) >= otherUnknownShare*float64(s.Synced) {
			out = append(out, fmt.Sprintf("No MSOnline/ADSyncTools export given: the cloud otherMobile cannot be compared "+
				"(%d of %d synced users unverifiable, not in sync). Enabling bypass may still change those values.",
				s.OtherUnknown, s.Synced))
		} else {
			out = append(out, fmt.Sprintf("The cloud otherMobile is unknown for %d of %d synced users (not in the "+
				"MSOnline/ADSyncTools export): unverifiable, not in sync.", s.OtherUnknown, s.Synced))
		}
	}
	if a.WeakEvidence {
		out = append(out, "An Entra export without sync flag or immutableId was used: users were joined by UPN "+
			"only, so join evidence is weaker. Check matches before acting on them.")
	}
	return out
}

// line is the one-sentence answer to "what would enabling do"; unknown is
// how many synced users' cloud otherMobile cannot be read.
func (c *changes) line(unknown int) string {
	out := fmt.Sprintf("Enabling BypassDirSyncOverrides would: clear %d cloud values, overwrite %d, fill %d, reformat %d "+
		"(mobile and otherMobile each count as one value per user).",
		c.Cleared[0]+c.Cleared[1], c.Overwritten[0]+c.Overwritten[1],
		c.Filled[0]+c.Filled[1], c.Reformatted[0]+c.Reformatted[1])
	if unknown > 0 {
		out += fmt.Sprintf(" These counts cover only values that can be read: for %d %s the cloud's otherMobile is unknown, "+
			"and so is what the switch does to it.", unknown, plural(unknown, "user", "users"))
	}
	return out
}

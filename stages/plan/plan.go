// Package plan turns a classified snapshot into the actions a change board
// approves (docs/rules.md, "Plan"): under a policy, every difference between AD and the
// cloud becomes an AD write, a decision, a recorded backup or a review item.
//
// The rules, per matched user and attribute (mobile, otherMobile):
//
//	state             entra-wins                review          ad-wins
//	mismatch          write: AD := cloud        decide          record cloud value
//	missing_in_ad     write: add cloud value    decide          record (cleared)
//	missing_in_entra  decide: clear AD value ¹  decide          -
//	format_only       write E.164 ²             write E.164 ²   record (reformatted)
//	invalid           review                    review          review
//	unverifiable      review                    review          review
//
//	¹ --missing-in-entra=keep-ad plans nothing, clear-ad plans a write.
//	² only with --normalize.
//
// Ambiguous and anchor_conflict rows are review items whatever their states.
// Under entra-wins a write whose AD value changed after the last sync
// (timing sync_pending) becomes a decision: AD's value may be the newer one.
// Every AD action carries the values it expects to find (compare-and-swap).
package plan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"syncgap/phone"
	"syncgap/pipeline"
	"syncgap/planfile"
)

// Policy decides who wins where AD and the cloud differ.
type Policy string

// Policies (docs/rules.md, "Plan").
const (
	EntraWins Policy = "entra-wins"
	ADWins    Policy = "ad-wins"
	Review    Policy = "review"
)

// MissingInEntra is what entra-wins does with an AD value the cloud lacks.
type MissingInEntra string

// Choices for missing_in_entra rows under entra-wins.
const (
	MissingDecide MissingInEntra = "decide"   // the board decides per user (default)
	MissingKeepAD MissingInEntra = "keep-ad"  // nothing planned: enabling fills the cloud
	MissingClear  MissingInEntra = "clear-ad" // clear AD: the cloud was cleared on purpose
)

// Config is a planning run's parameters.
type Config struct {
	Policy         Policy         `param:"policy"`
	Normalize      bool           `param:"normalize"`     // also rewrite AD values that differ only in formatting, to E.164; write E.164
	EnableBypass   bool           `param:"enable_bypass"` // end with the tenant action that enables BypassDirSyncOverrides
	MissingInEntra MissingInEntra `param:"missing_in_entra"`
	OnlyOU         string         `param:"only_ou,omitempty"` // plan only users at or under this DN; empty: everyone
	// Exclude are users never planned; nil: none. The list itself is
	// recorded, canonical, so a replay needs no file outside the snapshot.
	Exclude *Exclusions `param:"exclude,omitempty"`
	// ExcludeFile is where the list was read from, for the reader.
	ExcludeFile string `param:"exclude_file,omitempty"`
	// Bypass is the tenant flag as read from the tenant table.
	Bypass pipeline.NullBool `param:"-"`
	// Replace discards the approvals of the plan this one replaces; without
	// it plan refuses to replace an approved plan. Not a planning option,
	// so not recorded: it does not change the plan.
	Replace bool `param:"-"`
}

// Validate refuses option combinations that contradict the policy.
func (c *Config) Validate() error {
	switch c.Policy {
	case EntraWins, ADWins, Review:
	case "":
		return fmt.Errorf("no policy: choose entra-wins, ad-wins or review")
	default:
		return fmt.Errorf("unknown policy %q: choose entra-wins, ad-wins or review", c.Policy)
	}
	switch c.MissingInEntra {
	case "":
		c.MissingInEntra = MissingDecide
	case MissingDecide, MissingKeepAD, MissingClear:
	default:
		return fmt.Errorf("unknown --missing-in-entra %q: choose decide, keep-ad or clear-ad", c.MissingInEntra)
	}
	if c.Policy == ADWins && c.Normalize {
		return fmt.Errorf("--normalize writes to AD, and ad-wins plans no AD writes")
	}
	if c.Policy != EntraWins && c.MissingInEntra != MissingDecide {
		return fmt.Errorf("--missing-in-entra applies to entra-wins only (%s decides every difference)", c.Policy)
	}
	return nil
}

// Stats counts what planning left out, for the summary.
type Stats struct {
	Excluded   int // gaps rows of users on the exclusion list
	OutOfScope int // gaps rows outside --only-ou
	BypassOn   bool
	// UnknownOther counts matched users whose AlternateMobilePhones cannot
	// be read; UnknownOtherWithAD those of them with otherMobile in AD.
	UnknownOther, UnknownOtherWithAD int
}

// Planner builds actions row by row; it keeps the ids it issued to prove
// they are unique, as numbers: a string set of ten million users' ids
// would cost the garbage collector a pointer each to scan.
type Planner struct {
	cfg   Config
	ids   map[uint64]struct{}
	Stats Stats
}

// NewPlanner validates cfg and returns a planner.
func NewPlanner(cfg Config) (*Planner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Planner{cfg: cfg, ids: map[uint64]struct{}{}}, nil
}

// Row appends the actions for one gaps row to out.
func (p *Planner) Row(out []pipeline.Action, g *pipeline.Gap) ([]pipeline.Action, error) {
	switch g.MatchStatus {
	case pipeline.Matched, pipeline.Ambiguous, pipeline.AnchorConflict:
	default:
		return out, nil // nothing in AD to correct, or nothing in the cloud to lose
	}
	if p.cfg.Exclude.Has(g) {
		p.Stats.Excluded++
		return out, nil
	}
	if p.cfg.OnlyOU != "" && !underOU(g.DN, p.cfg.OnlyOU) {
		p.Stats.OutOfScope++
		return out, nil
	}
	start := len(out)
	if g.MatchStatus != pipeline.Matched {
		risk := pipeline.RiskMedium
		if g.MatchStatus == pipeline.AnchorConflict {
			risk = pipeline.RiskHigh
		}
		a := p.base(g, pipeline.KindReview, pipeline.TargetAD, "", "", risk, "never planned: "+g.Reason)
		// Both sides' values, so the board sees what is at stake without
		// opening another sheet.
		a.ADValue = append(one(g.MobileAD), g.OtherMobileAD...)
		a.CloudValue = append(one(g.MobileEntra), g.OtherMobileEntra...)
		out = append(out, a)
	} else {
		out = p.attribute(out, g, mobileSide(g))
		out = p.attribute(out, g, otherMobileSide(g))
	}
	for i := start; i < len(out); i++ {
		if err := p.identify(&out[i]); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Tenant returns the final tenant action, or nil when none is planned.
func (p *Planner) Tenant() (*pipeline.Action, error) {
	if !p.cfg.EnableBypass {
		return nil, nil
	}
	if p.cfg.Bypass.IsTrue() {
		p.Stats.BypassOn = true
		return nil, nil
	}
	a := pipeline.Action{
		Kind: pipeline.KindWrite, Target: pipeline.TargetTenant, Attribute: pipeline.BypassFeature,
		Op: pipeline.OpReplace, Value: []string{"true"}, Risk: pipeline.RiskHigh,
		Reason: "enable BypassDirSyncOverrides, last and only after every approved AD action succeeded: " +
			"from the next sync cycle AD's mobile and otherMobile overwrite the cloud's",
	}
	if p.cfg.Bypass.Valid {
		// The flag as read: the row shows it, not "unknown".
		a.Expected, a.CloudValue = []string{"false"}, []string{"false"}
	} else {
		a.Reason += " (the flag could not be read at plan time: apply reads it first)"
	}
	if err := p.identify(&a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Acknowledge returns the one row that speaks for every matched user whose
// AlternateMobilePhones cannot be read (no supported API reads it since
// MSOnline's retirement in 2025), or nil when there are none. The board
// approves it to accept that the switch sets those cloud values to AD's
// otherMobile, whatever they hold; without it the tenant action cannot be
// approved (docs/rules.md, "Approve").
func (p *Planner) Acknowledge() (*pipeline.Action, error) {
	n, m := p.Stats.UnknownOther, p.Stats.UnknownOtherWithAD
	if n == 0 {
		return nil, nil
	}
	a := pipeline.Action{
		Kind: pipeline.KindAcknowledge, Target: pipeline.TargetTenant, Attribute: "otherMobile", Risk: pipeline.RiskMedium,
		Reason: fmt.Sprintf("AlternateMobilePhones cannot be read for %d users; AD holds otherMobile for %d of them; "+
			"the switch makes the cloud equal AD. No supported API reads AlternateMobilePhones since MSOnline was retired "+
			"in 2025; an MSOnline export made before then (Get-MsolUser AlternateMobilePhones) still shows what the cloud held.", n, m),
	}
	if err := p.identify(&a); err != nil {
		return nil, err
	}
	return &a, nil
}

// junkOverNumber reports whether AD holds text that is no phone number
// where the cloud holds only valid numbers.
func (p *Planner) junkOverNumber(s side) bool {
	if len(s.ad) == 0 || len(s.cloud) == 0 {
		return false
	}
	junk := false
	for _, v := range s.ad {
		if _, ok := phone.E164(v, s.region); !ok {
			junk = true
		}
	}
	for _, v := range s.cloud {
		if _, ok := phone.E164(v, s.region); !ok {
			return false
		}
	}
	return junk
}

// side is one attribute of a gaps row, both ways round.
type side struct {
	attr      string
	state     pipeline.State
	ad        []string // raw AD values, as stored; empty when none
	cloud     []string // raw cloud values; nil when unknown
	adE164    []string // normalised AD values, where known
	cloudE164 []string
	region    string
}

func mobileSide(g *pipeline.Gap) side {
	s := side{attr: "mobile", state: g.MobileState, ad: one(g.MobileAD), cloud: one(g.MobileEntra), region: g.Region}
	s.adE164, s.cloudE164 = one(g.MobileADE164), one(g.MobileEntraE164)
	return s
}

func otherMobileSide(g *pipeline.Gap) side {
	s := side{attr: "otherMobile", state: g.OtherMobileState, ad: g.OtherMobileAD, cloud: g.OtherMobileEntra, region: g.Region}
	if s.ad == nil {
		s.ad = []string{}
	}
	return s
}

// one is a single-valued attribute as a list: empty when there is no value.
func one(v string) []string {
	if v == "" {
		return []string{}
	}
	return []string{v}
}

// attribute appends the action (if any) for one attribute of a matched row.
func (p *Planner) attribute(out []pipeline.Action, g *pipeline.Gap, s side) []pipeline.Action {
	cfg := &p.cfg
	adText, cloudText := pipeline.QuoteValues(s.ad), pipeline.QuoteValues(s.cloud)
	switch s.state {
	case pipeline.Invalid:
		if cfg.Policy != ADWins && p.junkOverNumber(s) {
			// Left alone, the switch would overwrite the good number with
			// AD's junk: propose the cloud's number, for the board to decide.
			return append(out, p.adAction(g, s, pipeline.KindDecide, p.cloudValue(s),
				string(cfg.Policy)+": AD holds "+adText+", which is not a phone number, and the cloud holds the number "+cloudText+
					": approve to write the cloud's number into AD, reject to let the switch copy AD's text to the cloud"))
		}
		return append(out, p.review(g, s, pipeline.RiskHigh, "not a phone number on one side, so never written automatically: "+p.why(g, s)))
	case pipeline.Unverifiable:
		if s.attr == "otherMobile" {
			// One acknowledge row speaks for all of them (Acknowledge).
			p.Stats.UnknownOther++
			if len(s.ad) > 0 {
				p.Stats.UnknownOtherWithAD++
			}
			return out
		}
		return append(out, p.review(g, s, pipeline.RiskMedium, "the cloud value is unknown: "+
			"enabling bypass may overwrite or clear it"))
	case pipeline.FormatOnly:
		switch {
		case cfg.Policy == ADWins:
			return append(out, p.record(g, s, pipeline.OpReplace, pipeline.RiskLow,
				"enabling bypass reformats the cloud value "+cloudText+" to AD's "+adText))
		case cfg.Normalize:
			norm, ok := p.normalize(s.ad, s.region)
			if !ok {
				return out
			}
			return append(out, p.adAction(g, s, pipeline.KindWrite, norm,
				"normalize: same number, AD's "+adText+" rewritten to E.164"))
		}
	case pipeline.Mismatch, pipeline.MissingInAD:
		if cfg.Policy == ADWins {
			op, risk, verb := pipeline.OpReplace, pipeline.RiskMedium, "overwrites"
			if len(s.ad) == 0 {
				op, risk, verb = pipeline.OpDelete, pipeline.RiskHigh, "clears"
			}
			return append(out, p.record(g, s, op, risk,
				"ad-wins: enabling bypass "+verb+" the cloud value "+cloudText+" (AD has "+adText+"); kept here as the backup"))
		}
		value := p.cloudValue(s)
		why := "the cloud has " + cloudText + ", AD has " + adText
		if cfg.Policy == Review {
			return append(out, p.adAction(g, s, pipeline.KindDecide, value, "review: approve to write the cloud value into AD, reject to keep AD's; "+why))
		}
		kind := pipeline.KindWrite
		if g.Timing == pipeline.SyncPending {
			kind = pipeline.KindDecide
			why += "; AD changed after the last sync, so AD's value may be the newer one: decide"
		}
		return append(out, p.adAction(g, s, kind, value, "entra-wins: write the cloud value into AD; "+why))
	case pipeline.MissingInEntra:
		why := "AD has " + adText + ", the cloud is empty (it may have been cleared on purpose)"
		switch {
		case cfg.Policy == ADWins:
			return out // enabling fills the cloud: nothing is lost
		case cfg.Policy == Review:
			return append(out, p.adAction(g, s, pipeline.KindDecide, []string{}, "review: approve to clear AD's value, reject to keep it; "+why))
		case cfg.MissingInEntra == MissingKeepAD:
			return out
		case cfg.MissingInEntra == MissingClear:
			return append(out, p.adAction(g, s, pipeline.KindWrite, []string{}, "entra-wins, --missing-in-entra=clear-ad: clear AD's value; "+why))
		}
		return append(out, p.adAction(g, s, pipeline.KindDecide, []string{}, "entra-wins: approve to clear AD's value, reject to keep it; "+why))
	}
	return out
}

// cloudValue is what an AD write sets: the cloud's values trimmed and
// de-duplicated, or their E.164 forms with --normalize.
func (p *Planner) cloudValue(s side) []string {
	vals := make([]string, 0, len(s.cloud))
	for _, v := range s.cloud {
		if v = phone.Trim(v); v != "" {
			vals = append(vals, v)
		}
	}
	if p.cfg.Normalize {
		if norm, ok := p.normalize(vals, s.region); ok {
			vals = norm
		}
	}
	if s.attr == "otherMobile" {
		slices.Sort(vals)
		vals = slices.Compact(vals)
	}
	return vals
}

// normalize is vals in E.164; ok is false if one of them does not parse.
func (p *Planner) normalize(vals []string, region string) ([]string, bool) {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		e, ok := phone.E164(v, region)
		if !ok {
			return nil, false
		}
		out = append(out, e)
	}
	slices.Sort(out)
	return slices.Compact(out), true
}

// adAction is a compare-and-swap write of value over the AD values s.ad.
func (p *Planner) adAction(g *pipeline.Gap, s side, kind pipeline.ActionKind, value []string, reason string) pipeline.Action {
	op, risk := pipeline.OpReplace, pipeline.RiskMedium
	switch {
	case len(value) == 0:
		op, risk = pipeline.OpDelete, pipeline.RiskHigh
	case len(s.ad) == 0:
		op, risk = pipeline.OpAdd, pipeline.RiskLow
	case s.state == pipeline.FormatOnly:
		risk = pipeline.RiskLow
	}
	a := p.base(g, kind, pipeline.TargetAD, s.attr, op, risk, reason)
	a.State = s.state
	a.Expected, a.Value = slices.Clone(s.ad), value
	a.ADValue, a.CloudValue = s.ad, s.cloud
	return a
}

// record keeps a cloud value enabling bypass will change: the sync engine,
// not syncgap, makes that change, so the target is entra and apply skips it.
func (p *Planner) record(g *pipeline.Gap, s side, op pipeline.Op, risk pipeline.Risk, reason string) pipeline.Action {
	a := p.base(g, pipeline.KindRecord, pipeline.TargetEntra, s.attr, op, risk, reason)
	a.State = s.state
	a.Expected, a.Value = s.cloud, s.ad
	a.ADValue, a.CloudValue = s.ad, s.cloud
	return a
}

func (p *Planner) review(g *pipeline.Gap, s side, risk pipeline.Risk, reason string) pipeline.Action {
	a := p.base(g, pipeline.KindReview, pipeline.TargetAD, s.attr, "", risk, reason)
	a.State = s.state
	a.ADValue, a.CloudValue = s.ad, s.cloud
	return a
}

func (p *Planner) base(g *pipeline.Gap, kind pipeline.ActionKind, target pipeline.Target, attr string, op pipeline.Op, risk pipeline.Risk, reason string) pipeline.Action {
	return pipeline.Action{
		Kind: kind, Target: target, DN: g.DN, UPN: g.UPN, EntraID: g.EntraID,
		Attribute: attr, Op: op, Reason: reason, Risk: risk,
		MatchStatus: g.MatchStatus, Timing: g.Timing,
	}
}

// why is classify's reason for one attribute.
func (p *Planner) why(g *pipeline.Gap, s side) string {
	for _, part := range strings.Split(g.Reason, "; ") {
		if rest, ok := strings.CutPrefix(part, s.attr+": "); ok {
			return rest
		}
	}
	return g.Reason
}

// identify gives a its id and refuses a repeated one.
func (p *Planner) identify(a *pipeline.Action) error {
	a.ActionID = planfile.ID(a)
	n, err := strconv.ParseUint(a.ActionID, 16, 64) // 16 hex digits: one number per id
	if err != nil {
		return fmt.Errorf("plan: action id %q: %w", a.ActionID, err)
	}
	if _, ok := p.ids[n]; ok {
		return fmt.Errorf("plan: two actions share id %s (%s %s): the gaps table holds a duplicate row", a.ActionID, a.DN, a.Attribute)
	}
	p.ids[n] = struct{}{}
	return nil
}

// underOU reports whether dn is ou or below it, comparing RDNs
// case-insensitively and ignoring spaces after commas.
func underOU(dn, ou string) bool {
	d, o := canonDN(dn), canonDN(ou)
	return d == o || strings.HasSuffix(d, ","+o)
}

func canonDN(dn string) string {
	parts := strings.Split(dn, ",")
	for i, p := range parts {
		parts[i] = strings.ToLower(strings.TrimSpace(p))
	}
	return strings.Join(parts, ",")
}

// Package classify decides, for every joined row, how each phone attribute
// differs between AD and Entra and what enabling BypassDirSyncOverrides would
// do to the cloud values (docs/rules.md, "Classify").
package classify

import (
	"fmt"
	"slices"
	"strings"

	"syncgap/phone"
	"syncgap/pipeline"
)

// Config holds the parameters of a classification run.
type Config struct {
	// DefaultRegion (ISO 3166 alpha-2) applies to national-format numbers of
	// users with neither AD c nor usageLocation.
	DefaultRegion string `param:"default_region,omitempty"`
	// BypassEnabled is the tenant flag as read from the tenant table: when
	// it is already on, a difference means sync did not apply AD's value.
	BypassEnabled bool `param:"-"`
}

// Validate normalises the region's case (gb and GB are one region).
func (c *Config) Validate() error {
	c.DefaultRegion = strings.ToUpper(c.DefaultRegion)
	return nil
}

// comparison is the verdict on one attribute pair.
type comparison struct {
	state  pipeline.State
	effect pipeline.Effect
	why    string
}

// Row classifies one joined row. p must be owned by the caller's goroutine.
func (c Config) Row(j *pipeline.Joined, p *phone.Parser) pipeline.Gap {
	g := pipeline.Gap{
		UPN:              j.AD.UPN,
		DN:               j.AD.DN,
		EntraID:          j.Entra.ID,
		MatchStatus:      j.MatchStatus,
		MatchMethod:      j.MatchMethod,
		MobileAD:         j.AD.Mobile,
		MobileEntra:      j.Entra.MobilePhone,
		OtherMobileAD:    j.AD.OtherMobile,
		OtherMobileEntra: j.Entra.AlternateMobilePhones,
	}
	if !j.HasAD() {
		g.UPN = j.Entra.UPN
	}
	if j.MatchStatus != pipeline.Matched && j.MatchStatus != pipeline.AnchorConflict {
		g.MobileState, g.OtherMobileState = pipeline.NotApplicable, pipeline.NotApplicable
		g.Effect, g.Risk = pipeline.NoEffect, pipeline.RiskNone
		g.Reason = string(j.MatchStatus) + ": " + notMatchedReason(j)
		return g
	}
	g.Region = c.region(j)

	mob := c.mobile(phone.Trim(j.AD.Mobile), phone.Trim(j.Entra.MobilePhone), g.Region, p, &g)
	oth := c.otherMobile(j.AD.OtherMobile, j.Entra.AlternateMobilePhones, g.Region, p)
	g.MobileState, g.OtherMobileState = mob.state, oth.state

	g.Effect = mob.effect
	if oth.effect.Severity() > g.Effect.Severity() {
		g.Effect = oth.effect
	}
	switch {
	case g.Effect == pipeline.ClearsCloud || mob.state == pipeline.Invalid || oth.state == pipeline.Invalid:
		g.Risk = pipeline.RiskHigh
	case g.Effect == pipeline.OverwritesCloud:
		g.Risk = pipeline.RiskMedium
	case g.Effect == pipeline.FillsCloud || g.Effect == pipeline.ReformatsCloud:
		g.Risk = pipeline.RiskLow
	default:
		g.Risk = pipeline.RiskNone
	}
	if differs(mob.state) || differs(oth.state) {
		g.Timing = c.timing(j)
	}

	var why []string
	if j.MatchStatus == pipeline.AnchorConflict {
		why = append(why, "anchor_conflict: "+j.Note)
	}
	if mob.why != "" {
		why = append(why, "mobile: "+mob.why)
	}
	if oth.why != "" {
		why = append(why, "otherMobile: "+oth.why)
	}
	switch g.Timing {
	case pipeline.SyncPending:
		why = append(why, "AD changed after the last sync: may resolve by itself")
	case pipeline.SyncNotApplied:
		why = append(why, "bypass is already on yet the values differ: check sync errors or scoping")
	}
	g.Reason = strings.Join(why, "; ")
	return g
}

// region is the user's region for national-format numbers: AD c, else the
// cloud usageLocation, else the default.
func (c Config) region(j *pipeline.Joined) string {
	for _, r := range []string{j.AD.Country, j.Entra.UsageLocation, c.DefaultRegion} {
		if r = strings.ToUpper(phone.Trim(r)); r != "" {
			return r
		}
	}
	return ""
}

func differs(s pipeline.State) bool {
	switch s {
	case pipeline.FormatOnly, pipeline.MissingInEntra, pipeline.MissingInAD, pipeline.Mismatch, pipeline.Invalid:
		return true
	}
	return false
}

// timing explains a difference from the timestamps and the tenant flag.
func (c Config) timing(j *pipeline.Joined) pipeline.Timing {
	switch {
	case c.BypassEnabled:
		return pipeline.SyncNotApplied
	case j.AD.WhenChanged.IsZero() || j.Entra.OnPremisesLastSync.IsZero():
		return ""
	case j.AD.WhenChanged.After(j.Entra.OnPremisesLastSync):
		return pipeline.SyncPending
	}
	return pipeline.OverrideLikely
}

// byEmptiness is the effect of writing AD's value over the cloud's when at
// least one side is not a phone number: what happens depends only on which
// side is empty.
func byEmptiness(adEmpty, cloudEmpty bool) pipeline.Effect {
	switch {
	case adEmpty:
		return pipeline.ClearsCloud
	case cloudEmpty:
		return pipeline.FillsCloud
	}
	return pipeline.OverwritesCloud
}

func (c Config) mobile(a, b, region string, p *phone.Parser, g *pipeline.Gap) comparison {
	if a == b {
		return comparison{state: pipeline.InSync, effect: pipeline.NoEffect}
	}
	var pa, pb phone.Number
	if a != "" {
		pa = p.Parse(a, region)
		g.MobileADE164 = pa.E164
	}
	if b != "" {
		pb = p.Parse(b, region)
		g.MobileEntraE164 = pb.E164
	}
	switch {
	case a != "" && pa.E164 == "":
		return comparison{pipeline.Invalid, byEmptiness(false, b == ""), fmt.Sprintf("AD value %q: %s", a, pa.Why)}
	case b != "" && pb.E164 == "":
		return comparison{pipeline.Invalid, byEmptiness(a == "", false), fmt.Sprintf("cloud value %q: %s", b, pb.Why)}
	case b == "":
		return comparison{pipeline.MissingInEntra, pipeline.FillsCloud, fmt.Sprintf("AD has %q, the cloud is empty", a)}
	case a == "":
		return comparison{pipeline.MissingInAD, pipeline.ClearsCloud, fmt.Sprintf("the cloud has %q, AD is empty: enabling bypass clears it", b)}
	case pa.E164 == pb.E164:
		return comparison{pipeline.FormatOnly, pipeline.ReformatsCloud, fmt.Sprintf("same number %s, formatted %q in AD and %q in the cloud", pa.E164, a, b)}
	}
	return comparison{pipeline.Mismatch, pipeline.OverwritesCloud, fmt.Sprintf("AD has %s (%q), the cloud has %s (%q)", pa.E164, a, pb.E164, b)}
}

func (c Config) otherMobile(adVals, cloudVals []string, region string, p *phone.Parser) comparison {
	if cloudVals == nil {
		return comparison{pipeline.Unverifiable, pipeline.NoEffect, "the cloud value is unknown: no supported API reads AlternateMobilePhones since MSOnline was retired in 2025 (an MSOnline export made before then still shows it)"}
	}
	a, b := phone.TrimSet(adVals), phone.TrimSet(cloudVals)
	if slices.Equal(a, b) {
		return comparison{state: pipeline.InSync, effect: pipeline.NoEffect}
	}
	na, badA := normSet(p, a, region)
	nb, badB := normSet(p, b, region)
	switch {
	case badA != "":
		return comparison{pipeline.Invalid, byEmptiness(false, len(b) == 0), "AD " + badA}
	case badB != "":
		return comparison{pipeline.Invalid, byEmptiness(len(a) == 0, false), "cloud " + badB}
	case len(a) == 0:
		return comparison{pipeline.MissingInAD, pipeline.ClearsCloud, fmt.Sprintf("the cloud has %s, AD is empty: enabling bypass clears it", pipeline.QuoteValues(b))}
	case len(b) == 0:
		return comparison{pipeline.MissingInEntra, pipeline.FillsCloud, fmt.Sprintf("AD has %s, the cloud is empty", pipeline.QuoteValues(a))}
	case slices.Equal(na, nb):
		return comparison{pipeline.FormatOnly, pipeline.ReformatsCloud, fmt.Sprintf("same numbers, formatted %s in AD and %s in the cloud", pipeline.QuoteValues(a), pipeline.QuoteValues(b))}
	}
	return comparison{pipeline.Mismatch, pipeline.OverwritesCloud, fmt.Sprintf("AD has %s, the cloud has %s", strings.Join(na, ", "), strings.Join(nb, ", "))}
}

// normSet normalises a set; bad describes the first value that is not a phone number.
func normSet(p *phone.Parser, vals []string, region string) (norm []string, bad string) {
	norm = make([]string, 0, len(vals))
	for _, v := range vals {
		ph := p.Parse(v, region)
		if ph.E164 == "" {
			return nil, fmt.Sprintf("value %q: %s", v, ph.Why)
		}
		norm = append(norm, ph.E164)
	}
	slices.Sort(norm)
	return slices.Compact(norm), ""
}

func notMatchedReason(j *pipeline.Joined) string {
	switch j.MatchStatus {
	case pipeline.ADOnly:
		return "no cloud user matches this AD user (outside sync scope, or not yet provisioned)"
	case pipeline.Ambiguous:
		return j.Note + "; resolve the duplicate before any change"
	}
	return j.Note
}

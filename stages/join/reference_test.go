package join

// The join as it was before it had to fit a memory budget: a hash join
// over every key and the whole cloud table in memory. Kept as the
// reference the bounded join is held to (TestJoinMatchesReference).

import (
	"fmt"
	"strings"

	"syncgap/pipeline"
)

// refDecision is the outcome of the join rules for one cloud user.
type refDecision struct {
	method pipeline.MatchMethod
	cands  []int32 // AD row indexes
}

// refIndex is the reference's index: every AD row under a key, in AD order.
type refIndex map[string][]int32

func (x refIndex) add(key string, i int32) {
	if key != "" {
		x[key] = append(x[key], i)
	}
}

// refLookup is every AD row under key.
func refLookup(x refIndex, key string) []int32 {
	if key == "" {
		return nil
	}
	return x[key]
}

// refNormUPN is the comparison form of a UPN: trimmed, case-insensitive.
func refNormUPN(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// refADKey is the part of an AD user the join rules look at. The join holds
// keys for every AD user and reads full rows again only to emit them.
type refADKey struct {
	DN           string `parquet:"dn"`
	SourceAnchor string `parquet:"source_anchor"`
	UPN          string `parquet:"upn"`
}

// refCloudRows is random access to the cloud users (a *pipeline.Table in the stage).
type refCloudRows interface {
	Len() int
	Row(i int, dst *pipeline.EntraUser)
}

// refSliceRows is refCloudRows over a slice.
type refSliceRows []pipeline.EntraUser

func (s refSliceRows) Len() int                           { return len(s) }
func (s refSliceRows) Row(i int, dst *pipeline.EntraUser) { *dst = s[i] }

// refPairing is the join of two user sets, ready to be emitted row by row.
type refPairing struct {
	ad        []refADKey
	cloud     refCloudRows
	upns      refIndex
	decisions []refDecision
	claimants [][]int32 // per AD row: cloud rows naming it as a candidate
}

// refCompute applies the join rules. It keeps references to ad and cloud.
func refCompute(ad []refADKey, cloud refCloudRows) *refPairing {
	anchors, upns := refIndex{}, refIndex{}
	for i := range ad {
		anchors.add(ad[i].SourceAnchor, int32(i))
		upns.add(refNormUPN(ad[i].UPN), int32(i))
	}
	p := &refPairing{ad: ad, cloud: cloud, upns: upns, decisions: make([]refDecision, cloud.Len()), claimants: make([][]int32, len(ad))}
	var c pipeline.EntraUser
	for ci := range cloud.Len() {
		cloud.Row(ci, &c)
		d := refDecision{method: pipeline.ByNone}
		if !c.OnPremisesSyncEnabled.IsFalse() {
			// The first rule that yields a candidate decides.
			if cands := refLookup(anchors, c.OnPremisesImmutableID); len(cands) > 0 {
				d = refDecision{pipeline.ByAnchor, cands}
			} else if cands := refLookup(upns, refNormUPN(c.OnPremisesUPN)); len(cands) > 0 {
				d = refDecision{pipeline.ByOnPremisesUPN, cands}
			} else if cands := refLookup(upns, refNormUPN(c.UPN)); len(cands) > 0 {
				d = refDecision{pipeline.ByUPN, cands}
			}
		}
		p.decisions[ci] = d
		for _, a := range d.cands {
			p.claimants[a] = append(p.claimants[a], int32(ci))
		}
	}
	return p
}

// Emit calls fn for every joined row in a stable order: AD users in table
// order, each followed by the cloud users naming it (in cloud table order) or
// alone as ad_only; then the cloud users no rule matched. nextAD must fill
// the AD users in the order of the keys given to refCompute. fn must not keep
// the row.
func (p *refPairing) Emit(nextAD func(*pipeline.ADUser) error, fn func(*pipeline.Joined) error) error {
	var row pipeline.Joined
	var ad pipeline.ADUser
	for ai := range p.ad {
		if err := nextAD(&ad); err != nil {
			return fmt.Errorf("AD user %d: %w", ai, err)
		}
		if ad.DN != p.ad[ai].DN {
			return fmt.Errorf("AD users changed between reads (row %d: %q, then %q)", ai, p.ad[ai].DN, ad.DN)
		}
		if len(p.claimants[ai]) == 0 {
			row = pipeline.Joined{MatchStatus: pipeline.ADOnly, MatchMethod: pipeline.ByNone, AD: ad}
			if err := fn(&row); err != nil {
				return err
			}
			continue
		}
		for _, ci := range p.claimants[ai] {
			row = pipeline.Joined{AD: ad}
			p.cloud.Row(int(ci), &row.Entra)
			row.MatchStatus, row.MatchMethod, row.Note = p.verdict(int32(ai), ci)
			if err := fn(&row); err != nil {
				return err
			}
		}
	}
	for ci := range p.cloud.Len() {
		if len(p.decisions[ci].cands) > 0 {
			continue
		}
		row = pipeline.Joined{MatchStatus: pipeline.CloudOnly, MatchMethod: pipeline.ByNone}
		p.cloud.Row(ci, &row.Entra)
		c := &row.Entra
		switch {
		case c.OnPremisesSyncEnabled.IsTrue():
			row.MatchStatus = pipeline.OrphanedSynced
			row.Note = "synced from AD, but no AD user in the extract matches it (sync scope narrower than the extract, or deleted on-premises)"
		case c.OnPremisesSyncEnabled.IsFalse():
			row.Note = "cloud-only user (onPremisesSyncEnabled is false)"
		default:
			row.Note = "no AD user matches and the sync flag is not set"
		}
		if err := fn(&row); err != nil {
			return err
		}
	}
	return nil
}

// Join joins in-memory tables; for tests and small data.
func refJoin(ad []pipeline.ADUser, cloud []pipeline.EntraUser, fn func(*pipeline.Joined) error) error {
	keys := make([]refADKey, len(ad))
	for i := range ad {
		keys[i] = refADKey{DN: ad[i].DN, SourceAnchor: ad[i].SourceAnchor, UPN: ad[i].UPN}
	}
	i := 0
	return refCompute(keys, refSliceRows(cloud)).Emit(func(u *pipeline.ADUser) error {
		*u = ad[i]
		i++
		return nil
	}, fn)
}

// verdict decides the status of the pair (AD row ai, cloud row ci).
func (p *refPairing) verdict(ai, ci int32) (pipeline.MatchStatus, pipeline.MatchMethod, string) {
	d := p.decisions[ci]
	if len(d.cands) > 1 {
		return pipeline.Ambiguous, d.method, fmt.Sprintf("%s rule found %d AD users for this cloud user", d.method, len(d.cands))
	}
	if n := len(p.claimants[ai]); n > 1 {
		return pipeline.Ambiguous, d.method, fmt.Sprintf("%d cloud users claim this AD user", n)
	}
	if d.method == pipeline.ByAnchor {
		var c pipeline.EntraUser
		p.cloud.Row(int(ci), &c)
		for _, key := range []string{c.UPN, c.OnPremisesUPN} {
			for _, other := range refLookup(p.upns, refNormUPN(key)) {
				if other != ai {
					return pipeline.AnchorConflict, d.method, fmt.Sprintf("matched by sourceAnchor, but cloud UPN %q names a different AD user (%s)", strings.TrimSpace(key), p.ad[other].DN)
				}
			}
		}
	}
	return pipeline.Matched, d.method, ""
}

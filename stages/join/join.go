// Package join pairs cloud users with AD users the way Entra Connect does:
// by sourceAnchor, then on-premises UPN, then UPN (docs/rules.md, "Join"). Every user on
// either side ends up in exactly the rows that explain it; nobody is dropped.
package join

import (
	"fmt"
	"strings"

	"syncgap/pipeline"
)

// decision is the outcome of the join rules for one cloud user.
type decision struct {
	method pipeline.MatchMethod
	cands  []int32 // AD row indexes
}

// keyIndex maps a key to AD rows without allocating a slice per key:
// almost every key is unique, duplicates go to a side map.
type keyIndex struct {
	first map[string]int32
	more  map[string][]int32
}

func newKeyIndex(n int) *keyIndex {
	return &keyIndex{first: make(map[string]int32, n), more: map[string][]int32{}}
}

func (x *keyIndex) add(key string, i int32) {
	if key == "" {
		return
	}
	if _, ok := x.first[key]; !ok {
		x.first[key] = i
		return
	}
	x.more[key] = append(x.more[key], i)
}

func (x *keyIndex) lookup(key string) []int32 {
	if key == "" {
		return nil
	}
	i, ok := x.first[key]
	if !ok {
		return nil
	}
	return append([]int32{i}, x.more[key]...)
}

// NormUPN is the comparison form of a UPN: trimmed, case-insensitive.
func NormUPN(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ADKey is the part of an AD user the join rules look at. The join holds
// keys for every AD user and reads full rows again only to emit them.
type ADKey struct {
	DN           string `parquet:"dn"`
	SourceAnchor string `parquet:"source_anchor"`
	UPN          string `parquet:"upn"`
}

// CloudRows is random access to the cloud users (a *pipeline.Table in the stage).
type CloudRows interface {
	Len() int
	Row(i int, dst *pipeline.EntraUser)
}

// sliceRows is CloudRows over a slice.
type sliceRows []pipeline.EntraUser

func (s sliceRows) Len() int                           { return len(s) }
func (s sliceRows) Row(i int, dst *pipeline.EntraUser) { *dst = s[i] }

// Pairing is the join of two user sets, ready to be emitted row by row.
type Pairing struct {
	ad        []ADKey
	cloud     CloudRows
	upns      *keyIndex
	decisions []decision
	claimants [][]int32 // per AD row: cloud rows naming it as a candidate
}

// Compute applies the join rules. It keeps references to ad and cloud.
func Compute(ad []ADKey, cloud CloudRows) *Pairing {
	anchors := newKeyIndex(len(ad))
	upns := newKeyIndex(len(ad))
	for i := range ad {
		anchors.add(ad[i].SourceAnchor, int32(i))
		upns.add(NormUPN(ad[i].UPN), int32(i))
	}
	p := &Pairing{ad: ad, cloud: cloud, upns: upns, decisions: make([]decision, cloud.Len()), claimants: make([][]int32, len(ad))}
	var c pipeline.EntraUser
	for ci := range cloud.Len() {
		cloud.Row(ci, &c)
		d := decision{method: pipeline.ByNone}
		if !c.OnPremisesSyncEnabled.IsFalse() {
			// The first rule that yields a candidate decides.
			if cands := anchors.lookup(c.OnPremisesImmutableID); len(cands) > 0 {
				d = decision{pipeline.ByAnchor, cands}
			} else if cands := upns.lookup(NormUPN(c.OnPremisesUPN)); len(cands) > 0 {
				d = decision{pipeline.ByOnPremisesUPN, cands}
			} else if cands := upns.lookup(NormUPN(c.UPN)); len(cands) > 0 {
				d = decision{pipeline.ByUPN, cands}
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
// the AD users in the order of the keys given to Compute. fn must not keep
// the row.
func (p *Pairing) Emit(nextAD func(*pipeline.ADUser) error, fn func(*pipeline.Joined) error) error {
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
func Join(ad []pipeline.ADUser, cloud []pipeline.EntraUser, fn func(*pipeline.Joined) error) error {
	keys := make([]ADKey, len(ad))
	for i := range ad {
		keys[i] = ADKey{DN: ad[i].DN, SourceAnchor: ad[i].SourceAnchor, UPN: ad[i].UPN}
	}
	i := 0
	return Compute(keys, sliceRows(cloud)).Emit(func(u *pipeline.ADUser) error {
		*u = ad[i]
		i++
		return nil
	}, fn)
}

// verdict decides the status of the pair (AD row ai, cloud row ci).
func (p *Pairing) verdict(ai, ci int32) (pipeline.MatchStatus, pipeline.MatchMethod, string) {
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
			for _, other := range p.upns.lookup(NormUPN(key)) {
				if other != ai {
					return pipeline.AnchorConflict, d.method, fmt.Sprintf("matched by sourceAnchor, but cloud UPN %q names a different AD user (%s)", strings.TrimSpace(key), p.ad[other].DN)
				}
			}
		}
	}
	return pipeline.Matched, d.method, ""
}

// Package join pairs cloud users with AD users the way Entra Connect does:
// by sourceAnchor, then on-premises UPN, then UPN (docs/rules.md, "Join").
// Every user on either side ends up in exactly the rows that explain it;
// nobody is dropped.
//
// It works within a memory budget whatever the directory's size
// (docs/architecture.md, "Memory"), in four passes:
//
//  1. the key lookups: AD keys are indexed a chunk at a time and every
//     cloud user's keys are looked up in each chunk; each hit is an edge
//     (cloud user, rule, AD user), collected in sorted runs;
//  2. the decisions: the cloud table is read in order beside the merged
//     edges, which are in the same order; the first rule with a candidate
//     decides, and each (AD user, cloud user) pair goes, with the whole
//     cloud row, into an external sort by AD row;
//  3. the DNs of the AD users an anchor conflict names, if any;
//  4. the emit: AD rows are read in order beside the sorted pairs; the
//     cloud users no rule matched come last, in cloud order.
package join

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"syncgap/pipeline"
)

// pairRow is a cloud user on its way to the AD user its deciding rule
// named: the external sort puts these in AD order.
type pairRow struct {
	AD     int64                `parquet:"ad"` // AD row; the AD row count for a cloud user no rule matched
	Cloud  int64                `parquet:"cloud"`
	Method pipeline.MatchMethod `parquet:"method"`
	Cands  int64                `parquet:"cands"` // AD users the deciding rule found
	// Other is, for an anchor-decided pair with one candidate, the first
	// other AD user the cloud UPN (OtherBy kindUPN) or on-premises UPN
	// (kindOnPremUPN) names; -1 when none does.
	Other   int64 `parquet:"other"`
	OtherBy int64 `parquet:"other_by"`
	// EntraID and Entra are the cloud user, Entra packed
	// (pipeline.AppendPackedEntra): a million pairs then hold two
	// pointers each for the collector to scan, not fifteen, and the sort
	// buffer holds four times as many.
	EntraID string `parquet:"entra_id"`
	Entra   string `parquet:"entra"`
}

// packPair sets p's cloud user to c, packed; buf is scratch space,
// returned for the next call.
func packPair(p *pairRow, c *pipeline.EntraUser, buf []byte) []byte {
	b := append(buf[:0], c.ID...)
	b = pipeline.AppendPackedEntra(b, c, "")
	s := string(b)
	p.EntraID, p.Entra = s[:len(c.ID)], s[len(c.ID):]
	return b
}

// entra is p's cloud user; its strings are p's.
func (p *pairRow) entra() (pipeline.EntraUser, error) {
	u, _, err := pipeline.UnpackEntra(p.EntraID, p.Entra)
	if err != nil {
		return u, fmt.Errorf("join: cloud user %d: %w", p.Cloud, err)
	}
	return u, nil
}

// pairKey orders pairs by AD row, then cloud row: an AD user's claimants
// come in cloud table order.
func pairKey(p *pairRow) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(p.AD)<<32|uint64(p.Cloud))
	return string(b[:])
}

func noTie(*pairRow, *pairRow) int { return 0 }

// pairBytes is what a buffered pair's strings hold, and its 8-byte key.
func pairBytes(p *pairRow) int64 { return int64(len(p.EntraID)+len(p.Entra)) + 8 }

// Budget shares (docs/architecture.md, "Memory"): the key indexes and the
// pair sort are never held at once; the edge buffer sits beside both.
const (
	keyShare  = 2 // budget/keyShare for one chunk of AD keys
	edgeShare = 8
	pairShare = 2
)

// Stats says how the join used its budget.
type Stats struct {
	Chunks   int // passes over the cloud keys, one per chunk of AD keys
	EdgeRuns int // edge runs spilled
	PairRuns int // pair runs spilled
}

// Spilled reports whether anything went to disk.
func (s Stats) Spilled() bool { return s.Chunks > 1 || s.EdgeRuns > 0 || s.PairRuns > 0 }

// joinRows joins src within budget bytes, spilling under spillParent,
// and calls fn for every joined row in a stable order: AD users in table
// order, each followed by the cloud users naming it (in cloud table
// order) or alone as ad_only; then the cloud users no rule matched, in
// cloud table order. fn must not keep the row.
func joinRows(ctx context.Context, src source, budget int64, spillParent string, fn func(*pipeline.Joined) error) (Stats, error) {
	var st Stats
	spill := pipeline.NewSpillDir(spillParent)
	defer spill.Remove()

	edges := newEdgeRuns(budget/edgeShare, spill.Path)
	adRows, chunks, err := findEdges(ctx, src, budget/keyShare, edges)
	st.Chunks = chunks
	if err != nil {
		return st, err
	}
	st.EdgeRuns = edges.Spilled()
	it, err := edges.sorted()
	if err != nil {
		return st, err
	}
	defer it.close()

	pairs := pipeline.NewSorter(spillParent, budget/pairShare, pairKey, noTie, pairBytes)
	defer pairs.Close()
	others, err := decide(ctx, src, it, adRows, pairs)
	if err != nil {
		return st, err
	}
	it.close()
	if len(others) > 0 {
		err := src.adDNs(func(ai int32, dn string) error {
			if _, ok := others[ai]; ok {
				others[ai] = strings.Clone(dn) // not the whole batch behind it
			}
			return nil
		})
		if err != nil {
			return st, err
		}
	}
	err = emit(ctx, src, adRows, pairs, others, fn)
	st.PairRuns = pairs.Runs()
	return st, err
}

// decide reads the cloud users in order beside their edges, applies the
// rules and adds a pair per candidate (or one unmatched row) to pairs. It
// returns the AD rows an anchor conflict may name, for their DNs.
func decide(ctx context.Context, src source, it *edgeIter, adRows int32, pairs *pipeline.Sorter[pairRow]) (map[int32]string, error) {
	others := map[int32]string{}
	var byRule [3][]int32
	var buf []byte
	err := src.cloudRows(func(ci int32, c *pipeline.EntraUser) error {
		if ci%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		for k := range byRule {
			byRule[k] = byRule[k][:0]
		}
		for e, ok := it.peek(); ok && e.cloud() == ci; e, ok = it.peek() {
			byRule[e.kind()] = append(byRule[e.kind()], e.ad())
			it.advance()
		}
		if it.err != nil {
			return it.err
		}
		if e, ok := it.peek(); ok && e.cloud() < ci {
			return fmt.Errorf("join: cloud user %d out of order", e.cloud())
		}
		p := pairRow{AD: int64(adRows), Cloud: int64(ci), Method: pipeline.ByNone, Other: -1}
		buf = packPair(&p, c, buf)
		// The first rule that yields a candidate decides.
		var cands []int32
		for k, m := range []pipeline.MatchMethod{pipeline.ByAnchor, pipeline.ByOnPremisesUPN, pipeline.ByUPN} {
			if len(byRule[k]) > 0 {
				p.Method, cands = m, byRule[k]
				break
			}
		}
		if len(cands) == 0 {
			return pairs.Add(&p)
		}
		p.Cands = int64(len(cands))
		if p.Method == pipeline.ByAnchor && len(cands) == 1 {
			// The cloud UPN first, then the on-premises UPN, as the
			// conflict note names them (docs/rules.md, "Join").
			for _, k := range []int{kindUPN, kindOnPremUPN} {
				if other, ok := firstOther(byRule[k], cands[0]); ok {
					p.Other, p.OtherBy = int64(other), int64(k)
					others[other] = ""
					break
				}
			}
		}
		for _, ai := range cands {
			p.AD = int64(ai)
			if err := pairs.Add(&p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if e, ok := it.peek(); ok {
		return nil, fmt.Errorf("join: edge for cloud user %d beyond the cloud table", e.cloud())
	}
	return others, it.err
}

func firstOther(ads []int32, self int32) (int32, bool) {
	for _, a := range ads {
		if a != self {
			return a, true
		}
	}
	return 0, false
}

// emit reads the AD users in order beside the sorted pairs and writes
// every joined row.
func emit(ctx context.Context, src source, adRows int32, pairs *pipeline.Sorter[pairRow], others map[int32]string, fn func(*pipeline.Joined) error) error {
	r, err := src.adRows()
	if err != nil {
		return err
	}
	defer r.Close()
	var (
		next  int32 // the AD row r reads next
		ad    pipeline.ADUser
		row   pipeline.Joined
		group []pairRow // the pairs of one AD user
	)
	readAD := func() error {
		if err := r.Next(&ad); err == io.EOF {
			return fmt.Errorf("AD users changed between reads: %d rows, then %d", adRows, next)
		} else if err != nil {
			return fmt.Errorf("AD user %d: %w", next, err)
		}
		next++
		return nil
	}
	adOnlyUpTo := func(end int32) error {
		for next < end {
			if err := readAD(); err != nil {
				return err
			}
			row = pipeline.Joined{MatchStatus: pipeline.ADOnly, MatchMethod: pipeline.ByNone, AD: ad}
			if err := fn(&row); err != nil {
				return err
			}
		}
		return nil
	}
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		if err := adOnlyUpTo(int32(group[0].AD)); err != nil {
			return err
		}
		if err := readAD(); err != nil {
			return err
		}
		for i := range group {
			g := &group[i]
			u, err := g.entra()
			if err != nil {
				return err
			}
			row = pipeline.Joined{AD: ad, Entra: u, MatchMethod: g.Method}
			row.MatchStatus, row.Note = verdict(g, &row.Entra, len(group), others)
			if err := fn(&row); err != nil {
				return err
			}
		}
		group = group[:0]
		return nil
	}
	err = pairs.Sorted(ctx, func(p *pairRow) error {
		if len(group) > 0 && group[0].AD != p.AD {
			if err := flush(); err != nil {
				return err
			}
		}
		if p.AD < int64(adRows) {
			// A copy of the struct is enough: the strings of a decoded row
			// are never reused.
			group = append(group, *p)
			return nil
		}
		if err := adOnlyUpTo(adRows); err != nil {
			return err
		}
		u, err := p.entra()
		if err != nil {
			return err
		}
		row = pipeline.Joined{MatchMethod: pipeline.ByNone, Entra: u}
		row.MatchStatus, row.Note = unmatched(&row.Entra)
		return fn(&row)
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = adOnlyUpTo(adRows)
	}
	if err != nil {
		return err
	}
	if err := r.Next(&ad); err != io.EOF {
		return fmt.Errorf("AD users changed between reads: more than %d rows (%v)", adRows, err)
	}
	return nil
}

// verdict decides the status of one pair of an AD user with claimants
// cloud users naming it (docs/rules.md, "Join").
func verdict(p *pairRow, c *pipeline.EntraUser, claimants int, others map[int32]string) (pipeline.MatchStatus, string) {
	switch {
	case p.Cands > 1:
		return pipeline.Ambiguous, fmt.Sprintf("%s rule found %d AD users for this cloud user", p.Method, p.Cands)
	case claimants > 1:
		return pipeline.Ambiguous, fmt.Sprintf("%d cloud users claim this AD user", claimants)
	case p.Other >= 0:
		key := c.UPN
		if p.OtherBy == kindOnPremUPN {
			key = c.OnPremisesUPN
		}
		return pipeline.AnchorConflict, fmt.Sprintf("matched by sourceAnchor, but cloud UPN %q names a different AD user (%s)",
			strings.TrimSpace(key), others[int32(p.Other)])
	}
	return pipeline.Matched, ""
}

// unmatched is the status and note of a cloud user no rule matched.
func unmatched(c *pipeline.EntraUser) (pipeline.MatchStatus, string) {
	switch {
	case c.OnPremisesSyncEnabled.IsTrue():
		return pipeline.OrphanedSynced, "synced from AD, but no AD user in the extract matches it (sync scope narrower than the extract, or deleted on-premises)"
	case c.OnPremisesSyncEnabled.IsFalse():
		return pipeline.CloudOnly, "cloud-only user (onPremisesSyncEnabled is false)"
	}
	return pipeline.CloudOnly, "no AD user matches and the sync flag is not set"
}

// Join joins in-memory tables with the default budget; for tests and
// small data.
func Join(ad []pipeline.ADUser, cloud []pipeline.EntraUser, fn func(*pipeline.Joined) error) error {
	_, err := joinRows(context.Background(), memTables{ad, cloud}, pipeline.DefaultMemory, "", fn)
	return err
}

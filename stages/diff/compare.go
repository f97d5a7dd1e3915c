package diff

import (
	"cmp"
	"context"
	"iter"
	"slices"
	"strings"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// Table is one snapshot's gaps rows read by row number: a
// pipeline.Table in a run, a slice in tests.
type Table interface {
	Len() int
	Row(i int, dst *pipeline.DiffSide)
}

var _ Table = (*pipeline.Table[pipeline.DiffSide])(nil)

// Result is two gaps tables compared: the counts, and the rows of the
// users that changed, appeared or disappeared, in diff order. Its rows
// read the tables, which must stay open while they are used.
type Result struct {
	before, after Table
	entries       []entry
	Counts        workbook.DiffCounts
}

var _ pipeline.Rows[pipeline.DiffRow] = (*Result)(nil)

// entry is one diff row before it is decoded: the rows it compares
// (-1 for the side the user is missing from), the rule that paired them
// and the change kinds found, bit i standing for pipeline.ChangeKinds[i].
type entry struct {
	b, a  int32
	key   pipeline.DiffKey
	kinds uint16
}

// checkEvery is how many rows pass between checks for cancellation.
const checkEvery = 1 << 16

// stopped is ctx's error at every checkEvery-th row i, else nil.
func stopped(ctx context.Context, i int) error {
	if i%checkEvery != 0 {
		return nil
	}
	return ctx.Err()
}

// Compare pairs the users of two gaps tables (docs/rules.md, "Diff"):
// by cloud object id, then by DN, then by UPN, and compares each pair.
// It returns ctx's error if cancelled.
func Compare(ctx context.Context, before, after Table) (*Result, error) {
	m := newMatcher(before, after)
	m.pairByEntraID()
	m.pairBy(pipeline.KeyDN, func(k *rowKeys) string { return strings.ToLower(k.dn) })
	m.pairBy(pipeline.KeyUPN, func(k *rowKeys) string { return strings.ToLower(strings.TrimSpace(k.upn)) })

	res := &Result{before: before, after: after, Counts: workbook.NewDiffCounts()}
	c := &res.Counts
	var b, a pipeline.DiffSide
	for i := range m.sides[0].keys {
		if err := stopped(ctx, i); err != nil {
			return nil, err
		}
		before.Row(i, &b)
		c.CountBefore(&b)
		j := m.sides[0].partner[i]
		if j < 0 {
			res.entries = append(res.entries, entry{b: int32(i), a: -1, kinds: bit(pipeline.Disappeared)})
			c.Add(pipeline.Disappeared)
			continue
		}
		after.Row(int(j), &a)
		key := m.sides[0].by[i]
		kinds := changes(&b, &a)
		c.Pair(key, &b, &a, kinds != 0)
		if kinds == 0 {
			continue
		}
		res.entries = append(res.entries, entry{b: int32(i), a: j, key: key, kinds: kinds})
		for _, k := range pipeline.ChangeKinds {
			if kinds&bit(k) != 0 {
				c.Add(k)
			}
		}
	}
	for j := range m.sides[1].keys {
		if err := stopped(ctx, j); err != nil {
			return nil, err
		}
		after.Row(j, &a)
		c.CountAfter(&a)
		if m.sides[1].partner[j] < 0 {
			res.entries = append(res.entries, entry{b: -1, a: int32(j), kinds: bit(pipeline.Appeared)})
			c.Add(pipeline.Appeared)
		}
	}
	res.sort(m)
	return res, nil
}

// bit is k's bit in entry.kinds.
func bit(k pipeline.ChangeKind) uint16 {
	return 1 << slices.Index(pipeline.ChangeKinds, k)
}

// changes compares one user's rows in the two snapshots (docs/rules.md,
// "Diff"). A value is compared only where both rows have the user it
// belongs to: an AD user linked to a cloud user, or deleted, is a match
// change, not an edit of its values. A cloud otherMobile unknown in either
// snapshot is not compared; the state change says what became known.
func changes(b, a *pipeline.DiffSide) uint16 {
	var k uint16
	if b.UPN != "" && a.UPN != "" && b.UPN != a.UPN {
		k |= bit(pipeline.UPNChanged)
	}
	bothAD, bothCloud := b.HasAD() && a.HasAD(), b.HasEntra() && a.HasEntra()
	if bothAD && b.DN != a.DN {
		k |= bit(pipeline.DNChanged)
	}
	if bothCloud && b.EntraID != a.EntraID {
		k |= bit(pipeline.EntraIDChanged)
	}
	if b.MatchStatus != a.MatchStatus {
		k |= bit(pipeline.MatchChanged)
	}
	if bothAD && (b.MobileAD != a.MobileAD || !pipeline.SameValues(b.OtherMobileAD, a.OtherMobileAD)) {
		k |= bit(pipeline.ADChanged)
	}
	if bothCloud && (b.MobileEntra != a.MobileEntra || !sameKnown(b.OtherMobileEntra, a.OtherMobileEntra)) {
		k |= bit(pipeline.CloudChanged)
	}
	if b.MobileState != a.MobileState || b.OtherMobileState != a.OtherMobileState {
		k |= bit(pipeline.StateChanged)
	}
	if b.Effect != a.Effect {
		k |= bit(pipeline.EffectChanged)
	}
	return k
}

// sameKnown is SameValues for lists that may be unknown (nil): an
// unknown list equals anything, since nobody can tell whether it changed.
func sameKnown(x, y []string) bool {
	return x == nil || y == nil || pipeline.SameValues(x, y)
}

// Len is the number of diff rows.
func (r *Result) Len() int { return len(r.entries) }

// All yields the diff rows in order, each decoded into one value the
// iteration reuses; its strings point into the tables.
func (r *Result) All() iter.Seq2[int, *pipeline.DiffRow] {
	return func(yield func(int, *pipeline.DiffRow) bool) {
		var row pipeline.DiffRow
		var kinds []string
		for n, e := range r.entries {
			row.Before, row.After = pipeline.DiffSide{}, pipeline.DiffSide{}
			if e.b >= 0 {
				r.before.Row(int(e.b), &row.Before)
			}
			if e.a >= 0 {
				r.after.Row(int(e.a), &row.After)
			}
			id := &row.After
			if e.a < 0 {
				id = &row.Before
			}
			row.UPN, row.DN, row.EntraID, row.MatchKey = id.UPN, id.DN, id.EntraID, e.key
			kinds = kinds[:0]
			for _, k := range pipeline.ChangeKinds {
				if e.kinds&bit(k) != 0 {
					kinds = append(kinds, string(k))
				}
			}
			row.Changes = kinds
			if !yield(n, &row) {
				return
			}
		}
	}
}

// sortKey orders diff rows: by UPN ignoring case (how people look a user
// up), then exactly, then by object id and DN, then by the BEFORE row's
// id and DN. The snapshot row identifiers at the end make the order
// total, so the table's bytes depend on the rows only.
type sortKey struct {
	upnFold, upn, id, dn string
	beforeID, beforeDN   string
}

func (s *sortKey) compare(t *sortKey) int {
	return cmp.Or(
		strings.Compare(s.upnFold, t.upnFold), strings.Compare(s.upn, t.upn),
		strings.Compare(s.id, t.id), strings.Compare(s.dn, t.dn),
		strings.Compare(s.beforeID, t.beforeID), strings.Compare(s.beforeDN, t.beforeDN),
	)
}

// sort puts the entries in diff order.
func (r *Result) sort(m *matcher) {
	type keyed struct {
		k sortKey
		e entry
	}
	ks := make([]keyed, len(r.entries))
	for i, e := range r.entries {
		var k sortKey
		if e.b >= 0 {
			bk := &m.sides[0].keys[e.b]
			k = sortKey{upn: bk.upn, id: bk.id, dn: bk.dn, beforeID: bk.id, beforeDN: bk.dn}
		}
		if e.a >= 0 {
			ak := &m.sides[1].keys[e.a]
			k.upn, k.id, k.dn = ak.upn, ak.id, ak.dn
		}
		k.upnFold = strings.ToLower(k.upn)
		ks[i] = keyed{k, e}
	}
	slices.SortFunc(ks, func(x, y keyed) int { return x.k.compare(&y.k) })
	for i := range ks {
		r.entries[i] = ks[i].e
	}
}

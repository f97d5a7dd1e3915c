package diff

import (
	"cmp"
	"slices"
	"strings"

	"syncgap/pipeline"
)

// rowKeys are the identifiers of one gaps row that a diff pairs by.
type rowKeys struct{ id, dn, upn string }

// side is one snapshot's rows as the matcher sees them.
type side struct {
	keys    []rowKeys
	partner []int32            // the other snapshot's row paired with this one; -1: none yet
	by      []pipeline.DiffKey // the rule that paired it
}

func newSide(t Table) side {
	n := t.Len()
	s := side{keys: make([]rowKeys, n), partner: make([]int32, n), by: make([]pipeline.DiffKey, n)}
	var row pipeline.DiffSide
	for i := 0; i < n; i++ {
		t.Row(i, &row)
		s.keys[i] = rowKeys{id: row.EntraID, dn: row.DN, upn: row.UPN}
		s.partner[i] = -1
	}
	return s
}

// matcher pairs the rows of two snapshots, rule by rule; a rule sees
// only the rows the rules before it left unpaired.
type matcher struct {
	sides [2]side // BEFORE, AFTER
}

func newMatcher(before, after Table) *matcher {
	return &matcher{sides: [2]side{newSide(before), newSide(after)}}
}

func (m *matcher) pair(b, a int32, key pipeline.DiffKey) {
	m.sides[0].partner[b], m.sides[1].partner[a] = a, b
	m.sides[0].by[b], m.sides[1].by[a] = key, key
}

// pairByEntraID pairs rows with the same cloud object id. Several rows
// share an id where a cloud user is ambiguous (one row per AD
// candidate): those pair by DN within the id, and what is left pairs
// only if it is one row on each side.
func (m *matcher) pairByEntraID() {
	m.groups(func(k *rowKeys) string { return k.id }, func(bs, as []int32) {
		if len(bs) > 1 || len(as) > 1 {
			bs, as = m.pairWithin(bs, as)
		}
		if len(bs) == 1 && len(as) == 1 {
			m.pair(bs[0], as[0], pipeline.KeyEntraID)
		}
	})
}

// pairWithin pairs the rows of one id group that have the same DN (in
// comparison form; a DN unique on both sides of the group) and returns
// the rows left.
func (m *matcher) pairWithin(bs, as []int32) (restB, restA []int32) {
	dnOf := func(s int, i int32) string { return strings.ToLower(m.sides[s].keys[i].dn) }
	count := map[string][2]int{}
	at := map[string]int32{} // the AFTER row of a DN
	for _, i := range bs {
		c := count[dnOf(0, i)]
		c[0]++
		count[dnOf(0, i)] = c
	}
	for _, j := range as {
		dn := dnOf(1, j)
		c := count[dn]
		c[1]++
		count[dn] = c
		at[dn] = j
	}
	for _, i := range bs {
		dn := dnOf(0, i)
		if c := count[dn]; dn != "" && c == [2]int{1, 1} {
			m.pair(i, at[dn], pipeline.KeyEntraID)
			continue
		}
		restB = append(restB, i)
	}
	for _, j := range as {
		if m.sides[1].partner[j] < 0 {
			restA = append(restA, j)
		}
	}
	return restB, restA
}

// pairBy pairs the unpaired rows whose key (keyOf; empty: none) is held
// by exactly one unpaired row on each side. Several rows with one key
// (two AD users sharing a UPN) are left unpaired rather than guessed.
func (m *matcher) pairBy(key pipeline.DiffKey, keyOf func(*rowKeys) string) {
	m.groups(keyOf, func(bs, as []int32) {
		if len(bs) == 1 && len(as) == 1 {
			m.pair(bs[0], as[0], key)
		}
	})
}

// keyed is a row under a key.
type keyed struct {
	k string
	i int32
}

// groups calls each with the unpaired rows of both sides that share a
// non-empty key, key by key in byte order: sorted lists merged, rather
// than a map of a million keys.
func (m *matcher) groups(keyOf func(*rowKeys) string, each func(bs, as []int32)) {
	var lists [2][]keyed
	for s := range m.sides {
		sd := &m.sides[s]
		for i := range sd.keys {
			if sd.partner[i] >= 0 {
				continue
			}
			if k := keyOf(&sd.keys[i]); k != "" {
				lists[s] = append(lists[s], keyed{k, int32(i)})
			}
		}
		slices.SortFunc(lists[s], func(x, y keyed) int { return cmp.Or(strings.Compare(x.k, y.k), cmp.Compare(x.i, y.i)) })
	}
	b, a := lists[0], lists[1]
	var bs, as []int32
	for len(b) > 0 && len(a) > 0 {
		nb, na := runLen(b), runLen(a)
		switch c := strings.Compare(b[0].k, a[0].k); {
		case c < 0:
			b = b[nb:]
		case c > 0:
			a = a[na:]
		default:
			bs, as = bs[:0], as[:0]
			for _, r := range b[:nb] {
				bs = append(bs, r.i)
			}
			for _, r := range a[:na] {
				as = append(as, r.i)
			}
			each(bs, as)
			b, a = b[nb:], a[na:]
		}
	}
}

// runLen is the number of leading rows of l with l[0]'s key.
func runLen(l []keyed) int {
	n := 1
	for n < len(l) && l[n].k == l[0].k {
		n++
	}
	return n
}

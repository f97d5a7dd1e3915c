package extractentra

import (
	"cmp"
	"context"
	"encoding/binary"
	"log/slog"
	"strings"

	"syncgap/pipeline"
)

// mergeSpooled is Merge followed by the write of the users in table order,
// for exports whose users did not fit in memory (spool.go): the same
// users, the same Unmatched and UnmatchedUPNs on each export, the same
// duplicate errors, from streaming passes over sorted spools.
//
// When no user of the primary export and no row of a later one goes by a
// UPN id (the ADSyncTools CSVs' users), every later row can only fill the
// user with its object id, and one pass merges the spools by id (byID).
// Otherwise the rows matched by UPN or on-premises UPN need the passes of
// byUPN, which replay Merge's order of events exactly.
func (s *ExportSet) mergeSpooled(ctx context.Context, g *gauge, write func(*pipeline.EntraUser) error) error {
	if len(s.Exports) == 0 {
		_, err := Merge(nil)
		return err
	}
	if err := checkPrimary(s.Exports[0]); err != nil {
		return err
	}
	m := &spoolMerge{ctx: ctx, g: g}
	defer m.close()
	for _, e := range s.Exports {
		if e.sp == nil {
			// Read in memory before the gauge said to spool: already
			// checked for duplicates (see ExportSet.read).
			if err := e.spoolUsers(g, true); err != nil {
				return err
			}
		}
		m.sp = append(m.sp, e.sp)
	}
	n := len(m.sp)
	m.ids, m.upns, m.unmatched = make([]idDups, n), make([]upnDups, n), make([]unmatched, n)
	for x, sp := range m.sp {
		if !sp.checked {
			if err := sp.checkUPNs(ctx, &m.upns[x]); err != nil {
				return err
			}
		}
	}
	byUPN := false
	for _, sp := range m.sp {
		byUPN = byUPN || sp.upnIDs > 0
	}
	var err error
	if byUPN {
		err = m.byUPN(write)
	} else {
		err = m.byID(write)
	}
	if err != nil {
		return err
	}
	for x, sp := range m.sp {
		if sp.checked {
			continue
		}
		m.ids[x].end()
		if err := sp.dupError(ctx, &m.ids[x], &m.upns[x]); err != nil {
			return err
		}
	}
	var users int64
	runs := m.runs()
	for x, e := range s.Exports {
		users += m.sp[x].n
		runs += m.sp[x].runs()
		if x == 0 {
			continue
		}
		e.Unmatched, e.UnmatchedUPNs = m.unmatched[x].n, m.unmatched[x].upns()
		if e.Unmatched > 0 {
			slog.Warn("rows of a secondary export match no user of the primary export and were not added",
				"export", e.Path, "format", string(e.Format), "unmatched", e.Unmatched,
				"examples", strings.Join(e.UnmatchedUPNs, ", "))
		}
	}
	if runs > 0 {
		slog.Info("merged the exports within the memory budget, spilling to disk", "users", users, "runs", runs,
			"budget", pipeline.SizeText(g.budget))
	}
	return nil
}

// spoolUsers moves an export's users, read in memory, into a spool.
func (e *Export) spoolUsers(g *gauge, checked bool) error {
	sp := newSpool(g, e.Path)
	sp.checked = checked
	e.sp = sp
	c := collector{sp: sp}
	if err := c.take(e.Users, nil); err != nil {
		return err
	}
	e.Users, e.dropped = nil, e.dropped+int(sp.n)
	return nil
}

// spoolMerge is one run of mergeSpooled.
type spoolMerge struct {
	ctx       context.Context
	g         *gauge
	sp        []*spool // per export, the primary first
	ids       []idDups
	upns      []upnDups
	unmatched []unmatched
	// The sorters of the UPN passes, closed at the end.
	rowSorts []*pipeline.Sorter[packedRow]
	buf      []byte // for pack
	keySorts []*pipeline.Sorter[keyRow]
	// byUPN's state, per primary user in id order: whether its id is
	// still a UPN id, and whether it has no on-premises UPN yet.
	upnID, noOnPrem rankSet
	adopted         bool // a user took an object id from a later export
}

func (m *spoolMerge) close() {
	for _, s := range m.rowSorts {
		s.Close()
	}
	for _, s := range m.keySorts {
		s.Close()
	}
}

func (m *spoolMerge) runs() int {
	n := 0
	for _, s := range m.rowSorts {
		n += s.Runs()
	}
	for _, s := range m.keySorts {
		n += s.Runs()
	}
	return n
}

// Shares of the budget for the sorters of the UPN passes: rows, and keys.
const (
	rowSortShare = 1.0 / 8
	keySortShare = 1.0 / 16
)

func (m *spoolMerge) rowSorter(key func(*packedRow) string, tie func(a, b *packedRow) int) *pipeline.Sorter[packedRow] {
	if tie == nil {
		tie = func(a, b *packedRow) int { return 0 }
	}
	s := pipeline.NewSorter(m.g.dir, int64(float64(m.g.budget)*rowSortShare), key, tie, packedBytes)
	m.rowSorts = append(m.rowSorts, s)
	return s
}

// add packs r into s.
func (m *spoolMerge) add(s *pipeline.Sorter[packedRow], r *spoolRow) error {
	var p packedRow
	p, m.buf = pack(r, m.buf)
	return s.Add(&p)
}

func (m *spoolMerge) keySorter(key func(*keyRow) string, tie func(a, b *keyRow) int) *pipeline.Sorter[keyRow] {
	if tie == nil {
		tie = func(a, b *keyRow) int { return 0 }
	}
	s := pipeline.NewSorter(m.g.dir, int64(float64(m.g.budget)*keySortShare), key, tie, func(r *keyRow) int64 { return int64(len(r.Key)) })
	m.keySorts = append(m.keySorts, s)
	return s
}

// byID merges the spools in one pass by object id: every later row fills
// the primary user with its id, or none. The primary's users come in table
// order, so each is written as soon as the later exports' rows of its id
// are in.
func (m *spoolMerge) byID(write func(*pipeline.EntraUser) error) error {
	p := m.sp[0]
	a := pullRows(m.ctx, p.rows)
	defer a.stop()
	later := make([]*rowStream, len(m.sp))
	cur := make([]*spoolRow, len(m.sp))
	for x := 1; x < len(m.sp); x++ {
		later[x] = pullRows(m.ctx, m.sp[x].rows)
		defer later[x].stop()
		cur[x] = later[x].next()
	}
	advance := func(x int) {
		m.ids[x].feed(cur[x])
		cur[x] = later[x].next()
	}
	for r := a.next(); r != nil; r = a.next() {
		m.ids[0].feed(r)
		u := r.user(p.order)
		for x := 1; x < len(m.sp); x++ {
			for cur[x] != nil && cur[x].ID < u.ID {
				m.unmatched[x].add(cur[x].Seq, cur[x].UPN)
				advance(x)
			}
			for cur[x] != nil && cur[x].ID == u.ID {
				v := cur[x].user(m.sp[x].order)
				fill(&u, &v)
				advance(x)
			}
		}
		if err := write(&u); err != nil {
			return err
		}
	}
	if err := a.stop(); err != nil {
		return err
	}
	for x := 1; x < len(m.sp); x++ {
		for cur[x] != nil {
			m.unmatched[x].add(cur[x].Seq, cur[x].UPN)
			advance(x)
		}
		if err := later[x].stop(); err != nil {
			return err
		}
	}
	return nil
}

// keyRow is a row of the UPN passes' indexes and notes.
type keyRow struct {
	Key  string `parquet:"key"`
	Seq  int64  `parquet:"seq"`
	A    int64  `parquet:"a"`
	B    int64  `parquet:"b"`
	Kind int64  `parquet:"kind"`
}

// Kinds of keyRow among a later export's UPN probes and notes.
const (
	// kindReader: the row has no id match and its UPN may match a user;
	// as a note, A is the user of that cloud UPN and B of that on-premises
	// UPN (or noUser, ambiguousUser).
	kindReader = iota
	// kindFiller: the row has an on-premises UPN; as a note, a later row
	// of the export may look that UPN up (see fills).
	kindFiller
)

// A user reference that is none, or an on-premises UPN of several users.
const (
	noUser        = -1
	ambiguousUser = -2
)

func byKey(r *keyRow) string { return r.Key }

// seqKey orders positions as strings: big-endian, so bytewise is numeric.
func seqKey(n int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return string(b[:])
}

func realID(id string) bool { return id != "" && !isUPNID(id) }

// byUPN replays Merge for exports with UPN ids. Users are known by rank,
// their place in the primary spool's order. Per later export, in three
// sorted passes:
//
//  1. its rows by id against the users' object ids (those the primary
//     had, and those taken from an earlier export), for the id match;
//  2. the UPNs of the rows without one, and the on-premises UPNs of all
//     rows, against the primary's cloud UPNs (the first user of each, as
//     Merge's index) and the users' on-premises UPNs as the export
//     starts;
//  3. the rows in file order, deciding each as Merge's find does. What
//     Merge changes as it goes, and a later row of the same export would
//     see, is held here: per user, whether its id is still a UPN id (a
//     row with an object id fills only such a user by UPN, and gives it
//     the id) and whether it still lacks an on-premises UPN (the first
//     row that has one fills it, and from then on that UPN finds the
//     user). Which rows of the export bring an on-premises UPN that a
//     later row of it looks up is known from pass 2, so only those are
//     remembered.
//
// The rows each export matched are then sorted by rank and merged into
// the users in one last pass; if any user took an object id, which moves
// it in table order, the users are sorted once more.
func (m *spoolMerge) byUPN(write func(*pipeline.EntraUser) error) error {
	p := m.sp[0]
	m.upnID, m.noOnPrem = newRankSet(p.n), newRankSet(p.n)
	idIdx := m.keySorter(byKey, nil)
	upnIdx := m.keySorter(byKey, func(a, b *keyRow) int { return cmp.Compare(a.Seq, b.Seq) })
	onIdx := m.keySorter(byKey, nil)
	a := pullRows(m.ctx, p.rows)
	defer a.stop()
	var rank int64
	for r := a.next(); r != nil; r = a.next() {
		m.ids[0].feed(r)
		if realID(r.ID) {
			if err := idIdx.Add(&keyRow{Key: strings.Clone(r.ID), A: rank}); err != nil {
				return err
			}
		}
		if k := upnKey(r.UPN); k != "" {
			if err := upnIdx.Add(&keyRow{Key: strings.Clone(k), A: rank, Seq: r.Seq}); err != nil {
				return err
			}
		}
		if k := upnKey(r.OnPremisesUPN); k != "" {
			if err := onIdx.Add(&keyRow{Key: strings.Clone(k), A: rank}); err != nil {
				return err
			}
		}
		m.upnID.set(rank, isUPNID(r.ID))
		m.noOnPrem.set(rank, r.OnPremisesUPN == "")
		rank++
	}
	if err := a.stop(); err != nil {
		return err
	}
	ids, ons := []*pipeline.Sorter[keyRow]{idIdx}, []*pipeline.Sorter[keyRow]{onIdx}
	matched := make([]*pipeline.Sorter[packedRow], len(m.sp))
	for x := 1; x < len(m.sp); x++ {
		adopted, filled, rows, err := m.later(x, ids, upnIdx, ons)
		if err != nil {
			return err
		}
		ids, ons, matched[x] = append(ids, adopted), append(ons, filled), rows
	}
	return m.fillUsers(matched, write)
}

// later runs the passes of byUPN for later export x. It returns the ids
// users took from it and the on-premises UPNs it filled in (both for the
// exports after it), and its matched rows by rank.
func (m *spoolMerge) later(x int, ids []*pipeline.Sorter[keyRow], upnIdx *pipeline.Sorter[keyRow],
	ons []*pipeline.Sorter[keyRow]) (adopted, filled *pipeline.Sorter[keyRow], matched *pipeline.Sorter[packedRow], err error) {
	e := m.sp[x]
	bySeq := m.rowSorter(func(r *packedRow) string { return seqKey(r.Seq) }, nil)
	probes := m.keySorter(byKey, func(a, b *keyRow) int { return cmp.Compare(b.Seq, a.Seq) }) // each UPN's rows last first
	if err := m.matchIDs(e, x, ids, bySeq, probes); err != nil {
		return nil, nil, nil, err
	}
	notes := m.keySorter(func(r *keyRow) string { return seqKey(r.Seq) }, nil)
	if err := m.lookUpUPNs(probes, upnIdx, ons, notes); err != nil {
		return nil, nil, nil, err
	}
	adopted, filled = m.keySorter(byKey, nil), m.keySorter(byKey, nil)
	matched = m.rowSorter(func(r *packedRow) string { return seqKey(r.Target) }, nil)
	err = m.decide(x, bySeq, notes, adopted, filled, matched)
	return adopted, filled, matched, err
}

// matchIDs is pass 1: each row of export x with the rank of the user of
// its object id (Target, or noUser) into bySeq, and into probes what pass
// 2 looks up.
func (m *spoolMerge) matchIDs(e *spool, x int, ids []*pipeline.Sorter[keyRow], bySeq *pipeline.Sorter[packedRow],
	probes *pipeline.Sorter[keyRow]) error {
	b := pullRows(m.ctx, e.rows)
	defer b.stop()
	idx := m.heads(ids)
	defer idx.stop()
	for r := b.next(); r != nil; r = b.next() {
		m.ids[x].feed(r)
		row := *r
		row.Target = noUser
		if realID(r.ID) {
			for h := idx.peek(); h != nil && h.Key < r.ID; h = idx.peek() {
				idx.advance()
			}
			if h := idx.peek(); h != nil && h.Key == r.ID {
				row.Target = h.A
			}
		}
		if err := m.add(bySeq, &row); err != nil {
			return err
		}
		if k := upnKey(r.UPN); k != "" && row.Target == noUser {
			if err := probes.Add(&keyRow{Key: strings.Clone(k), Seq: r.Seq, Kind: kindReader}); err != nil {
				return err
			}
		}
		if k := upnKey(r.OnPremisesUPN); k != "" {
			if err := probes.Add(&keyRow{Key: strings.Clone(k), Seq: r.Seq, Kind: kindFiller}); err != nil {
				return err
			}
		}
	}
	if err := b.stop(); err != nil {
		return err
	}
	return idx.stop()
}

// lookUpUPNs is pass 2: for each UPN a row looks up, the first primary
// user with that cloud UPN and the users with that on-premises UPN; for
// each on-premises UPN a row brings, whether a later row looks it up.
func (m *spoolMerge) lookUpUPNs(probes, upnIdx *pipeline.Sorter[keyRow], ons []*pipeline.Sorter[keyRow], notes *pipeline.Sorter[keyRow]) error {
	st := pull(m.ctx, probes)
	defer st.stop()
	cloud := m.heads([]*pipeline.Sorter[keyRow]{upnIdx})
	defer cloud.stop()
	onPrem := m.heads(ons)
	defer onPrem.stop()
	started, key := false, ""
	var byCloud, byOnPrem int64
	looked := false // a row after this one in the export looks the key up
	for r := st.next(); r != nil; r = st.next() {
		if !started || r.Key != key {
			started, key, looked = true, r.Key, false
			byCloud, byOnPrem = noUser, noUser
			for h := cloud.peek(); h != nil && h.Key < key; h = cloud.peek() {
				cloud.advance()
			}
			if h := cloud.peek(); h != nil && h.Key == key {
				byCloud = h.A // the first of the key's users in the primary export
			}
			for h := onPrem.peek(); h != nil && h.Key <= key; h = onPrem.peek() {
				if h.Key == key {
					if byOnPrem == noUser {
						byOnPrem = h.A
					} else {
						byOnPrem = ambiguousUser
					}
				}
				onPrem.advance()
			}
		}
		var note *keyRow
		switch r.Kind {
		case kindReader:
			note, looked = &keyRow{Seq: r.Seq, Kind: kindReader, A: byCloud, B: byOnPrem}, true
		case kindFiller:
			if looked {
				note = &keyRow{Seq: r.Seq, Kind: kindFiller}
			}
		}
		if note != nil {
			if err := notes.Add(note); err != nil {
				return err
			}
		}
	}
	if err := st.stop(); err != nil {
		return err
	}
	if err := cloud.stop(); err != nil {
		return err
	}
	return onPrem.stop()
}

// onPremFills are the users of one on-premises UPN filled in by the
// export being decided: how many, and the first.
type onPremFills struct {
	n     int
	first int64
}

// over is the user an on-premises UPN finds, given byOnPrem, what it
// found as the export started, and the fills since.
func (f onPremFills) over(byOnPrem int64) int64 {
	switch {
	case f.n == 0:
		return byOnPrem
	case f.n == 1 && byOnPrem == noUser:
		return f.first
	}
	return ambiguousUser
}

// decide is pass 3: export x's rows in file order, each matched as
// Merge's find would at that point, into matched with the user's rank as
// Target; the ids users take and the on-premises UPNs filled in go to
// adopted and filled.
func (m *spoolMerge) decide(x int, bySeq *pipeline.Sorter[packedRow], notes, adopted, filled *pipeline.Sorter[keyRow],
	matched *pipeline.Sorter[packedRow]) error {
	rows := pullRows(m.ctx, bySeq)
	defer rows.stop()
	ns := pull(m.ctx, notes)
	defer ns.stop()
	fills := map[string]onPremFills{}
	note := ns.next()
	for r := rows.next(); r != nil; r = rows.next() {
		var look *keyRow
		var reader keyRow
		looked := false
		for ; note != nil && note.Seq == r.Seq; note = ns.next() {
			if note.Kind == kindReader {
				reader, look = *note, &reader
			} else {
				looked = true
			}
		}
		real := realID(r.ID)
		agree := func(j int64) bool { return j >= 0 && (!real || m.upnID.get(j)) }
		t := r.Target
		if t == noUser && look != nil {
			switch byOnPrem := look.B; {
			case agree(look.A):
				t = look.A
			default:
				if len(fills) > 0 {
					if f, ok := fills[upnKey(r.UPN)]; ok {
						byOnPrem = f.over(byOnPrem)
					}
				}
				if agree(byOnPrem) {
					t = byOnPrem
				}
			}
		}
		if t == noUser {
			m.unmatched[x].add(r.Seq, r.UPN)
			continue
		}
		if real && m.upnID.get(t) {
			m.upnID.set(t, false)
			m.adopted = true
			if err := adopted.Add(&keyRow{Key: strings.Clone(r.ID), A: t}); err != nil {
				return err
			}
		}
		if r.OnPremisesUPN != "" && m.noOnPrem.get(t) {
			m.noOnPrem.set(t, false)
			if k := upnKey(r.OnPremisesUPN); k != "" {
				k = strings.Clone(k)
				if err := filled.Add(&keyRow{Key: k, A: t}); err != nil {
					return err
				}
				if looked {
					f := fills[k]
					if f.n++; f.n == 1 {
						f.first = t
					}
					fills[k] = f
				}
			}
		}
		row := *r
		row.Target = t
		if err := m.add(matched, &row); err != nil {
			return err
		}
	}
	if err := rows.stop(); err != nil {
		return err
	}
	return ns.stop()
}

// fillUsers is byUPN's last pass: the users in rank order, each filled by
// its matched rows, export by export in file order.
func (m *spoolMerge) fillUsers(matched []*pipeline.Sorter[packedRow], write func(*pipeline.EntraUser) error) error {
	p := m.sp[0]
	out := func(u *pipeline.EntraUser, _ int64) error { return write(u) }
	var final *pipeline.Sorter[packedRow]
	if m.adopted {
		// Table order, as sortByID: id, UPN, then place in the primary export.
		final = m.rowSorter(func(r *packedRow) string { return r.ID }, func(a, b *packedRow) int {
			if c := comparePackedUPN(a, b); c != 0 {
				return c
			}
			return cmp.Compare(a.Seq, b.Seq)
		})
		out = func(u *pipeline.EntraUser, seq int64) error {
			return m.add(final, &spoolRow{EntraUser: *u, Seq: seq})
		}
	}
	a := pullRows(m.ctx, p.rows)
	defer a.stop()
	later := make([]*rowStream, len(m.sp))
	cur := make([]*spoolRow, len(m.sp))
	for x := 1; x < len(m.sp); x++ {
		later[x] = pullRows(m.ctx, matched[x])
		defer later[x].stop()
		cur[x] = later[x].next()
	}
	var rank int64
	for r := a.next(); r != nil; r = a.next() {
		u := r.user(p.order)
		for x := 1; x < len(m.sp); x++ {
			for ; cur[x] != nil && cur[x].Target == rank; cur[x] = later[x].next() {
				v := cur[x].user(m.sp[x].order)
				if isUPNID(u.ID) && realID(v.ID) {
					u.ID = v.ID
				}
				fill(&u, &v)
			}
		}
		if err := out(&u, r.Seq); err != nil {
			return err
		}
		rank++
	}
	if err := a.stop(); err != nil {
		return err
	}
	for x := 1; x < len(m.sp); x++ {
		if err := later[x].stop(); err != nil {
			return err
		}
	}
	if final == nil {
		return nil
	}
	rows := pullRows(m.ctx, final)
	defer rows.stop()
	for r := rows.next(); r != nil; r = rows.next() {
		if err := write(&r.EntraUser); err != nil {
			return err
		}
	}
	return rows.stop()
}

// unmatched counts a later export's rows that matched no user and keeps
// the UPNs of the first few in file order, whatever order they come in.
type unmatched struct {
	n     int
	first []unmatchedRow // by seq, at most unmatchedExamples
}

type unmatchedRow struct {
	seq int64
	upn string
}

func (u *unmatched) add(seq int64, upn string) {
	u.n++
	i := len(u.first)
	for i > 0 && u.first[i-1].seq > seq {
		i--
	}
	if i >= unmatchedExamples {
		return
	}
	if len(u.first) < unmatchedExamples {
		u.first = append(u.first, unmatchedRow{})
	}
	copy(u.first[i+1:], u.first[i:])
	u.first[i] = unmatchedRow{seq, strings.Clone(strings.TrimSpace(upn))}
}

func (u *unmatched) upns() []string {
	var out []string
	for _, r := range u.first {
		out = append(out, r.upn)
	}
	return out
}

// heads merges sorted key streams into one by key.
type heads struct {
	s []*stream[keyRow]
	h []*keyRow
}

func (m *spoolMerge) heads(sorters []*pipeline.Sorter[keyRow]) *heads {
	k := &heads{}
	for _, s := range sorters {
		st := pull(m.ctx, s)
		k.s, k.h = append(k.s, st), append(k.h, st.next())
	}
	return k
}

// peek is the least row, nil at the end; valid until advance.
func (k *heads) peek() *keyRow {
	var least *keyRow
	for _, h := range k.h {
		if h != nil && (least == nil || h.Key < least.Key) {
			least = h
		}
	}
	return least
}

// advance moves past the least row.
func (k *heads) advance() {
	best := -1
	for i, h := range k.h {
		if h != nil && (best < 0 || h.Key < k.h[best].Key) {
			best = i
		}
	}
	if best >= 0 {
		k.h[best] = k.s[best].next()
	}
}

func (k *heads) stop() error {
	var err error
	for _, st := range k.s {
		if e := st.stop(); err == nil {
			err = e
		}
	}
	return err
}

// rankSet is a set of ranks.
type rankSet []uint64

func newRankSet(n int64) rankSet { return make(rankSet, (n+63)/64) }

func (b rankSet) get(i int64) bool { return b[i>>6]&(1<<(i&63)) != 0 }

func (b rankSet) set(i int64, v bool) {
	if v {
		b[i>>6] |= 1 << (i & 63)
	} else {
		b[i>>6] &^= 1 << (i & 63)
	}
}

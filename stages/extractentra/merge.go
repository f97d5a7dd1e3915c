package extractentra

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"strings"

	"syncgap/pipeline"
)

// Merge combines exports of one tenant into one user list sorted by id.
//
// The first export is primary: it alone says which users exist. Every
// later (secondary) export only fills fields of users it matches: null or
// empty fields, never a value the primary or an earlier export already
// has. This is how an MSOnline CSV adds AlternateMobilePhones to a Graph
// export. A secondary row is matched, in this order:
//
//  1. by object id, when it has one;
//  2. by its userPrincipalName against the users' cloud UPNs;
//  3. by its userPrincipalName against the users' on-premises UPNs
//     (onPremisesUserPrincipalName), which is how a 2025 ADSyncTools
//     Compare CSV keyed by AD's UPN finds a user whose cloud UPN is
//     …@tenant.onmicrosoft.com.
//
// UPNs compare trimmed and ignoring case. A row whose UPN is one user's
// cloud UPN and another's on-premises UPN fills the first: the cloud UPN
// is unique in the tenant, an on-premises UPN only by convention. A row
// with an object id never fills a user with a different object id (a
// UPN match then is another object of the same name). An on-premises UPN
// two users share matches neither.
//
// A secondary row that matches no user is never added: Merge counts such
// rows per export in Export.Unmatched, keeps the first few UPNs in
// Export.UnmatchedUPNs, and logs one warning per export that had any.
//
// An ADSyncTools Compare CSV (ADSyncToolsCompareCSV) given first is
// refused with ErrNotPrimary: it has no object ids, anchors or otherMobile.
//
// Merge takes ownership of the exports' Users slices: it reuses the
// primary's storage, which at a million users saves a copy of 230 MB, and
// drops the secondaries' (their Users are nil after).
func Merge(exports []*Export) ([]pipeline.EntraUser, error) {
	if len(exports) == 0 || exports[0] == nil {
		return nil, errors.New("merge entra exports: no export given")
	}
	if err := checkPrimary(exports[0]); err != nil {
		return nil, err
	}
	users := exports[0].Users
	if len(exports) > 1 {
		for _, e := range exports[1:] {
			if e == nil {
				return nil, errors.New("merge entra exports: nil export")
			}
		}
		m := newMerger(users)
		for _, e := range exports[1:] {
			m.merge(e)
			// Merged: its rows are garbage now (what they filled in is
			// shared), which at a million rows frees 230 MB of structs
			// before the tables are written.
			e.Users, e.dropped = nil, e.dropped+len(e.Users)
			if e.Unmatched > 0 {
				slog.Warn("rows of a secondary export match no user of the primary export and were not added",
					"export", e.Path, "format", string(e.Format), "unmatched", e.Unmatched,
					"examples", strings.Join(e.UnmatchedUPNs, ", "))
			}
		}
	}
	sortByID(users)
	return users, nil
}

// ErrNotPrimary is wrapped by the error for an export that can only fill
// users (an ADSyncTools Compare CSV) given as the first, primary export.
var ErrNotPrimary = errors.New("cannot be the primary export")

// checkPrimary refuses an export that cannot define the users.
func checkPrimary(e *Export) error {
	if e.Format != ADSyncToolsCompareCSV {
		return nil
	}
	return fmt.Errorf("%s: %s (%s) %w: it has no object ids, sync anchors or otherMobile, so it cannot say which "+
		"users exist; use it after a Graph export (--export <Graph pages> --export %s)",
		e.Path, e.Format, e.Format.Description(), ErrNotPrimary, e.Path)
}

// unmatchedExamples is how many unmatched UPNs an export keeps for the
// message and the manifest.
const unmatchedExamples = 5

// ambiguous marks an on-premises UPN more than one user has.
const ambiguous = -1

// merger indexes the users of the primary export. The id index is built
// at once: an MSOnline or Get-MgUser CSV matches every row by id. The two
// UPN indexes only when a row first needs them (a row without an id, or
// with one no user has), which saves two maps of a million strings in the
// common case. Building them late from the users as they are then gives
// the same indexes as building them first and updating them along the
// way: a cloud UPN is never indexed after the start (so the ones Merge
// filled in are left out), and an on-premises UPN maps to its one user or
// to ambiguous whatever the order the users came in.
type merger struct {
	users    []pipeline.EntraUser
	byID     idIndex        // real object ids only
	byUPN    map[string]int // upnKey(cloud UPN) → first user with it; nil until needed
	byOnPrem map[string]int // upnKey(on-premises UPN) → user, or ambiguous; nil until needed
	// upnFilled are the users whose cloud UPN Merge filled in before
	// byUPN was built; only a primary user without one can be.
	upnFilled map[int]bool
}

func newMerger(users []pipeline.EntraUser) *merger {
	m := &merger{users: users, byID: newIDIndex(len(users))}
	for i := range users {
		if id := users[i].ID; id != "" && !isUPNID(id) {
			m.byID.put(users, id, i)
		}
	}
	return m
}

// upnKey is a UPN as Merge compares them: trimmed, lower-cased.
func upnKey(upn string) string { return strings.ToLower(strings.TrimSpace(upn)) }

func isUPNID(id string) bool { return strings.HasPrefix(id, UPNIDPrefix) }

// indexUPNs builds the UPN indexes, once.
func (m *merger) indexUPNs() {
	if m.byUPN != nil {
		return
	}
	m.byUPN, m.byOnPrem = make(map[string]int, len(m.users)), make(map[string]int, len(m.users))
	for i := range m.users {
		u := &m.users[i]
		if k := upnKey(u.UPN); k != "" && !m.upnFilled[i] {
			if _, ok := m.byUPN[k]; !ok {
				m.byUPN[k] = i
			}
		}
		m.indexOnPrem(u.OnPremisesUPN, i)
	}
}

func (m *merger) indexOnPrem(upn string, i int) {
	k := upnKey(upn)
	if k == "" {
		return
	}
	if j, ok := m.byOnPrem[k]; ok && j != i {
		m.byOnPrem[k] = ambiguous
		return
	}
	m.byOnPrem[k] = i
}

// find is the user v fills, or -1.
func (m *merger) find(v *pipeline.EntraUser) int {
	users := m.users
	realID := v.ID != "" && !isUPNID(v.ID)
	if realID {
		if j := m.byID.get(users, v.ID); j >= 0 {
			return j
		}
	}
	k := upnKey(v.UPN)
	if k == "" {
		return -1
	}
	m.indexUPNs()
	// By UPN only where the ids cannot disagree: v has none, or the user
	// has none (a primary without ids adopts v's).
	agree := func(j int) bool { return !realID || isUPNID(users[j].ID) }
	if j, ok := m.byUPN[k]; ok && agree(j) {
		return j
	}
	if j, ok := m.byOnPrem[k]; ok && j != ambiguous && agree(j) {
		return j
	}
	return -1
}

// merge fills users from the secondary export e and records on e what
// matched nothing.
func (m *merger) merge(e *Export) {
	e.Unmatched, e.UnmatchedUPNs = 0, nil
	for i := range e.Users {
		v := &e.Users[i]
		j := m.find(v)
		if j < 0 {
			e.Unmatched++
			if len(e.UnmatchedUPNs) < unmatchedExamples {
				e.UnmatchedUPNs = append(e.UnmatchedUPNs, strings.TrimSpace(v.UPN))
			}
			continue
		}
		u := &m.users[j]
		if isUPNID(u.ID) && v.ID != "" && !isUPNID(v.ID) {
			u.ID = v.ID
			m.byID.put(m.users, v.ID, j)
		}
		hadOnPrem := u.OnPremisesUPN != ""
		if u.UPN == "" && v.UPN != "" && m.byUPN == nil {
			if m.upnFilled == nil {
				m.upnFilled = map[int]bool{}
			}
			m.upnFilled[j] = true
		}
		fill(u, v)
		if !hadOnPrem && m.byOnPrem != nil {
			// A later export may be keyed by the on-premises UPN this one
			// brought (an admin center CSV, then a Get-MgUser CSV, then
			// the ADSyncTools Compare CSV).
			m.indexOnPrem(u.OnPremisesUPN, j)
		}
	}
}

// idIndex maps object ids to user indexes: an open-addressing table of
// one uint64 per slot, the id's hash in the high half and the index (+1)
// in the low half, the id itself read from the user. At a million users
// that is 16 MB the garbage collector need not scan, where a
// map[string]int costs about twice that in string headers it must.
type idIndex struct {
	seed  maphash.Seed
	slots []uint64 // 0 is empty
	mask  uint64
}

func newIDIndex(n int) idIndex {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return idIndex{seed: maphash.MakeSeed(), slots: make([]uint64, size), mask: uint64(size - 1)}
}

// slot finds id: the slot holding it, or the empty slot where it goes.
func (x *idIndex) slot(users []pipeline.EntraUser, id string) (pos uint64, found bool) {
	h := maphash.String(x.seed, id)
	tag := h >> 32
	for pos = h & x.mask; ; pos = (pos + 1) & x.mask {
		s := x.slots[pos]
		if s == 0 {
			return pos, false
		}
		if s>>32 == tag && users[s&0xFFFFFFFF-1].ID == id {
			return pos, true
		}
	}
}

// put maps id, which must be users[i].ID, to i (the last put wins, as in
// a map).
func (x *idIndex) put(users []pipeline.EntraUser, id string, i int) {
	pos, _ := x.slot(users, id)
	x.slots[pos] = maphash.String(x.seed, id)>>32<<32 | uint64(i+1)
}

// get is the user with id, or -1.
func (x *idIndex) get(users []pipeline.EntraUser, id string) int {
	pos, found := x.slot(users, id)
	if !found {
		return -1
	}
	return int(x.slots[pos]&0xFFFFFFFF) - 1
}

// fill copies into u what it does not know from v.
func fill(u, v *pipeline.EntraUser) {
	str := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	list := func(dst *[]string, src []string) {
		if *dst == nil {
			*dst = src
		}
	}
	flag := func(dst *pipeline.NullBool, src pipeline.NullBool) {
		if !dst.Valid {
			*dst = src
		}
	}
	str(&u.UPN, v.UPN)
	str(&u.MobilePhone, v.MobilePhone)
	list(&u.AlternateMobilePhones, v.AlternateMobilePhones)
	list(&u.BusinessPhones, v.BusinessPhones)
	str(&u.UsageLocation, v.UsageLocation)
	flag(&u.OnPremisesSyncEnabled, v.OnPremisesSyncEnabled)
	str(&u.OnPremisesImmutableID, v.OnPremisesImmutableID)
	str(&u.OnPremisesUPN, v.OnPremisesUPN)
	str(&u.OnPremisesSamAccountName, v.OnPremisesSamAccountName)
	str(&u.OnPremisesDN, v.OnPremisesDN)
	if u.OnPremisesLastSync.IsZero() {
		u.OnPremisesLastSync = v.OnPremisesLastSync
	}
	flag(&u.AccountEnabled, v.AccountEnabled)
}

// sortByID sorts users by id (then UPN, which only matters for ids a
// corrupted merge might repeat, then input order). Graph usually returns
// users in id order, so the common case is one pass to confirm that.
// Otherwise a key per user is sorted and the permutation applied in
// place: moving 230-byte structs around inside the sort would cost more
// than the comparisons. Each key holds the id's first 8 bytes as a
// big-endian number, which orders as the bytes do, so most comparisons
// are one integer compare in a small, pointer-free slice instead of two
// strings fetched from random places in the users (a cache miss each:
// a million random ids took 1.9 s of CPU sorted that way, 0.3 s so).
func sortByID(users []pipeline.EntraUser) {
	cmp := func(a, b *pipeline.EntraUser) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.UPN, b.UPN)
	}
	sorted := true
	for i := 1; i < len(users); i++ {
		if cmp(&users[i-1], &users[i]) > 0 {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	type key struct {
		prefix uint64 // the id's first 8 bytes, zero-padded
		i      int32
	}
	keys := make([]key, len(users))
	for i := range users {
		keys[i] = key{idPrefix(users[i].ID), int32(i)}
	}
	// Unstable pdqsort with the index as the last key gives the same order
	// as a stable sort, at O(n log n) instead of the stable sort's
	// O(n log² n) merging (seconds at a million users). Equal prefixes
	// (ids sharing 8 bytes, or shorter ids, whose zero padding may tie
	// with real zero bytes) fall back to the full compare, so the order is
	// exactly cmp's.
	slices.SortFunc(keys, func(a, b key) int {
		if a.prefix != b.prefix {
			if a.prefix < b.prefix {
				return -1
			}
			return 1
		}
		if c := cmp(&users[a.i], &users[b.i]); c != 0 {
			return c
		}
		return int(a.i) - int(b.i)
	})
	// users[i] must become old users[keys[i].i]; follow each cycle once,
	// marking visited entries with -1.
	for i := range keys {
		if keys[i].i < 0 {
			continue
		}
		tmp := users[i]
		j := i
		for {
			k := int(keys[j].i)
			keys[j].i = -1
			if k == i {
				users[j] = tmp
				break
			}
			users[j] = users[k]
			j = k
		}
	}
}

// idPrefix is the first 8 bytes of id as a big-endian number, zero-padded:
// a < b as numbers implies id a < id b as strings.
func idPrefix(id string) uint64 {
	var b [8]byte
	copy(b[:], id)
	return binary.BigEndian.Uint64(b[:])
}

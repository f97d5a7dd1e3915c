package extractentra

import (
	"errors"
	"fmt"
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
// primary's storage, which at a million users saves a copy of 230 MB.
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
		m := merger{byID: make(map[string]int, len(users)), byUPN: make(map[string]int, len(users)),
			byOnPrem: make(map[string]int, len(users))}
		for i := range users {
			m.index(users, i)
		}
		for _, e := range exports[1:] {
			m.merge(users, e)
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

// merger indexes the users of the primary export.
type merger struct {
	byID     map[string]int // real object ids only
	byUPN    map[string]int // upnKey(cloud UPN) → first user with it
	byOnPrem map[string]int // upnKey(on-premises UPN) → user, or ambiguous
}

// upnKey is a UPN as Merge compares them: trimmed, lower-cased.
func upnKey(upn string) string { return strings.ToLower(strings.TrimSpace(upn)) }

func isUPNID(id string) bool { return strings.HasPrefix(id, UPNIDPrefix) }

func (m *merger) index(users []pipeline.EntraUser, i int) {
	u := &users[i]
	if u.ID != "" && !isUPNID(u.ID) {
		m.byID[u.ID] = i
	}
	if k := upnKey(u.UPN); k != "" {
		if _, ok := m.byUPN[k]; !ok {
			m.byUPN[k] = i
		}
	}
	m.indexOnPrem(u.OnPremisesUPN, i)
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
func (m *merger) find(users []pipeline.EntraUser, v *pipeline.EntraUser) int {
	realID := v.ID != "" && !isUPNID(v.ID)
	if realID {
		if j, ok := m.byID[v.ID]; ok {
			return j
		}
	}
	k := upnKey(v.UPN)
	if k == "" {
		return -1
	}
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
func (m *merger) merge(users []pipeline.EntraUser, e *Export) {
	e.Unmatched, e.UnmatchedUPNs = 0, nil
	for i := range e.Users {
		v := &e.Users[i]
		j := m.find(users, v)
		if j < 0 {
			e.Unmatched++
			if len(e.UnmatchedUPNs) < unmatchedExamples {
				e.UnmatchedUPNs = append(e.UnmatchedUPNs, strings.TrimSpace(v.UPN))
			}
			continue
		}
		u := &users[j]
		if isUPNID(u.ID) && v.ID != "" && !isUPNID(v.ID) {
			u.ID = v.ID
			m.byID[v.ID] = j
		}
		hadOnPrem := u.OnPremisesUPN != ""
		fill(u, v)
		if !hadOnPrem {
			// A later export may be keyed by the on-premises UPN this one
			// brought (an admin center CSV, then a Get-MgUser CSV, then
			// the ADSyncTools Compare CSV).
			m.indexOnPrem(u.OnPremisesUPN, j)
		}
	}
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
// corrupted merge might repeat). Graph usually returns users in id order,
// so the common case is one pass to confirm that. Otherwise an index is
// sorted and the permutation applied in place: moving 230-byte structs
// around inside the sort would cost more than the comparisons.
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
	perm := make([]int32, len(users))
	for i := range perm {
		perm[i] = int32(i)
	}
	// Unstable pdqsort with the index as the last key gives the same order
	// as a stable sort, at O(n log n) instead of the stable sort's
	// O(n log² n) merging (seconds at a million users).
	slices.SortFunc(perm, func(a, b int32) int {
		if c := cmp(&users[a], &users[b]); c != 0 {
			return c
		}
		return int(a) - int(b)
	})
	// users[i] must become old users[perm[i]]; follow each cycle once,
	// marking visited entries with -1.
	for i := range perm {
		if perm[i] < 0 {
			continue
		}
		tmp := users[i]
		j := i
		for {
			k := int(perm[j])
			perm[j] = -1
			if k == i {
				users[j] = tmp
				break
			}
			users[j] = users[k]
			j = k
		}
	}
}

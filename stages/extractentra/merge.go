package extractentra

import (
	"errors"
	"slices"
	"strings"

	"syncgap/pipeline"
)

// Merge combines exports of one tenant into one user list sorted by id.
// The first export is primary. A user of a later export is matched by id,
// or by UPN (ignoring case) when that export has no object ids; the match
// fills what the primary lacks (null or empty fields) and never overrides a
// value the primary has. This is how an MSOnline CSV adds
// AlternateMobilePhones to a Graph export. Users only a later export has
// are added.
//
// Merge takes ownership of the exports' Users slices: it reuses the
// primary's storage, which at a million users saves a copy of 230 MB.
func Merge(exports []*Export) ([]pipeline.EntraUser, error) {
	if len(exports) == 0 || exports[0] == nil {
		return nil, errors.New("merge entra exports: no export given")
	}
	users := exports[0].Users
	if len(exports) > 1 {
		m := merger{byID: make(map[string]int, len(users)), byUPN: make(map[string]int, len(users))}
		for i := range users {
			m.index(users, i)
		}
		for _, e := range exports[1:] {
			if e == nil {
				return nil, errors.New("merge entra exports: nil export")
			}
			users = m.merge(users, e.Users)
		}
	}
	sortByID(users)
	return users, nil
}

// merger indexes the users merged so far.
type merger struct {
	byID  map[string]int // real object ids only
	byUPN map[string]int // lower-cased UPN → first user with it
}

func (m *merger) index(users []pipeline.EntraUser, i int) {
	u := &users[i]
	if !strings.HasPrefix(u.ID, UPNIDPrefix) {
		m.byID[u.ID] = i
	}
	if k := strings.ToLower(u.UPN); k != "" {
		if _, ok := m.byUPN[k]; !ok {
			m.byUPN[k] = i
		}
	}
}

func (m *merger) merge(users, later []pipeline.EntraUser) []pipeline.EntraUser {
	hasIDs := false
	for i := range later {
		if !strings.HasPrefix(later[i].ID, UPNIDPrefix) {
			hasIDs = true
			break
		}
	}
	for i := range later {
		v := &later[i]
		j, ok := -1, false
		if hasIDs {
			j, ok = m.byID[v.ID]
		}
		if !ok && (!hasIDs || strings.HasPrefix(v.ID, UPNIDPrefix)) {
			j, ok = m.byUPN[strings.ToLower(v.UPN)]
		}
		if !ok {
			// The primary may lack ids too (an ADSyncTools CSV given first):
			// match a later real id by UPN then, and adopt its id.
			if k, found := m.byUPN[strings.ToLower(v.UPN)]; found && strings.HasPrefix(users[k].ID, UPNIDPrefix) {
				j, ok = k, true
			}
		}
		if !ok {
			users = append(users, *v)
			m.index(users, len(users)-1)
			continue
		}
		if strings.HasPrefix(users[j].ID, UPNIDPrefix) && !strings.HasPrefix(v.ID, UPNIDPrefix) {
			users[j].ID = v.ID
			m.byID[v.ID] = j
		}
		fill(&users[j], v)
	}
	return users
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

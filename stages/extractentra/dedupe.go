package extractentra

import (
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"

	"syncgap/pipeline"
)

// dedupe finds a second user with the same id, or the same UPN ignoring
// case. Entra guarantees both are unique, so a duplicate means pages were
// saved twice or files concatenated, and counting those users twice would
// skew every number in the report.
//
// The indexes map a 64-bit hash to the first user's position instead of
// holding the strings: at a million users that is a third of the memory.
// A hash hit is confirmed by comparing the strings; a true collision (two
// different keys, one hash) goes to a small exact map.
type dedupe struct {
	seed  maphash.Seed
	ids   map[uint64]int32
	upns  map[uint64]int32
	exact map[string]int32 // keys "i:"+id or "u:"+lower(upn) whose hash collided
}

// check indexes users[from:], comparing each with every user before it.
// file names the file users[from:] came from, for the error.
func (d *dedupe) check(users []pipeline.EntraUser, from int, file string) error {
	if d.ids == nil {
		d.seed = maphash.MakeSeed()
		d.ids = make(map[uint64]int32, len(users))
		d.upns = make(map[uint64]int32, len(users))
	}
	for i := from; i < len(users); i++ {
		u := &users[i]
		if j, dup := d.add(d.ids, "i:", u.ID, users, i, func(o *pipeline.EntraUser) bool { return o.ID == u.ID }); dup {
			return dupError(file, u, "id", u.ID, &users[j])
		}
		upn := d.lower(u.UPN)
		if j, dup := d.add(d.upns, "u:", upn, users, i, func(o *pipeline.EntraUser) bool { return strings.EqualFold(o.UPN, u.UPN) }); dup {
			return dupError(file, u, "userPrincipalName", u.UPN, &users[j])
		}
	}
	return nil
}

// add records key for users[i]; it returns the earlier user's index when
// the key was seen before.
func (d *dedupe) add(m map[uint64]int32, kind, key string, users []pipeline.EntraUser, i int, same func(*pipeline.EntraUser) bool) (int, bool) {
	h := maphash.String(d.seed, key)
	j, ok := m[h]
	if !ok {
		m[h] = int32(i)
		return 0, false
	}
	if same(&users[j]) {
		return int(j), true
	}
	if d.exact == nil {
		d.exact = map[string]int32{}
	}
	if j, ok := d.exact[kind+key]; ok {
		return int(j), true
	}
	d.exact[kind+key] = int32(i)
	return 0, false
}

// lower lower-cases an ASCII UPN without allocating when it already is.
func (d *dedupe) lower(s string) string {
	upper := false
	for k := 0; k < len(s); k++ {
		c := s[k]
		if c >= 0x80 {
			return strings.ToLower(s)
		}
		upper = upper || ('A' <= c && c <= 'Z')
	}
	if !upper {
		return s
	}
	return strings.ToLower(s)
}

func dupError(file string, u *pipeline.EntraUser, what, value string, first *pipeline.EntraUser) error {
	return &pipeline.ParseError{File: file, Line: originLine(u.Origin),
		Err: fmt.Errorf("%w: %s %q was already seen at %s (a corrupted or concatenated export?)", errDuplicate, what, value, first.Origin)}
}

// originLine recovers the line from an origin "file:LINE".
func originLine(origin string) int {
	n, _ := strconv.Atoi(origin[strings.LastIndexByte(origin, ':')+1:])
	return n
}

package extractentra

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"syncgap/pipeline"
)

// checkDuplicates finds a second user with the same id, or the same UPN
// ignoring case. Entra guarantees both are unique, so a duplicate means
// pages were saved twice or files concatenated, and counting those users
// twice would skew every number in the report.
//
// It reports the duplicate that comes first in file order (ids before UPNs
// on the same user), naming where the first one was. Rather than a hash
// map, which at a million users costs about 40 MB and its growth garbage,
// it sorts one uint64 per user holding a hash in the high bits and the
// user's index in the low bits: 8 MB a pass, and equal keys end up adjacent with
// the first occurrence first. Equal hashes are confirmed by comparing the
// strings, so a hash collision can never report a false duplicate.
// fileOf names the file a user index came from, for the error.
func checkDuplicates(users []pipeline.EntraUser, fileOf func(i int) string) error {
	if len(users) < 2 {
		return nil
	}
	seed := maphash.MakeSeed()
	idxBits := uint(bits.Len(uint(len(users))))
	firstDup := func(key func(u *pipeline.EntraUser) string, same func(a, b *pipeline.EntraUser) bool) (later, first int) {
		keys := make([]uint64, len(users))
		for i := range users {
			keys[i] = maphash.String(seed, key(&users[i]))>>idxBits<<idxBits | uint64(i)
		}
		slices.Sort(keys)
		mask := uint64(1)<<idxBits - 1
		later, first = -1, -1
		for g := 0; g < len(keys); {
			h := keys[g] &^ mask
			end := g + 1
			for end < len(keys) && keys[end]&^mask == h {
				end++
			}
			// Within a group of equal hashes (indexes ascending), the first
			// user that repeats an earlier key is a duplicate; collisions of
			// different keys make groups of more than one key, hence the
			// pairwise compare, which is cheap for the tiny groups hashing
			// gives.
			for a := g + 1; a < end; a++ {
				j := int(keys[a] & mask)
				if later >= 0 && j >= later {
					break
				}
				for b := g; b < a; b++ {
					if k := int(keys[b] & mask); same(&users[k], &users[j]) {
						later, first = j, k
						break
					}
				}
			}
			g = end
		}
		return later, first
	}
	// The two passes are independent: ids on a second goroutine, for the
	// second core, at the cost of a second keys slice.
	var idLater, idFirst int
	done := make(chan struct{})
	go func() {
		defer close(done)
		idLater, idFirst = firstDup(func(u *pipeline.EntraUser) string { return u.ID },
			func(a, b *pipeline.EntraUser) bool { return a.ID == b.ID })
	}()
	upnLater, upnFirst := firstDup(func(u *pipeline.EntraUser) string { return lowerASCII(u.UPN) },
		func(a, b *pipeline.EntraUser) bool { return strings.EqualFold(a.UPN, b.UPN) })
	<-done
	switch {
	case idLater >= 0 && (upnLater < 0 || idLater <= upnLater):
		return dupError(fileOf(idLater), &users[idLater], "id", users[idLater].ID, &users[idFirst])
	case upnLater >= 0:
		return dupError(fileOf(upnLater), &users[upnLater], "userPrincipalName", users[upnLater].UPN, &users[upnFirst])
	}
	return nil
}

// lowerASCII lower-cases s, without allocating when it already is.
func lowerASCII(s string) string {
	for k := 0; k < len(s); k++ {
		if c := s[k]; c >= 0x80 || ('A' <= c && c <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
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

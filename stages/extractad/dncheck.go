package extractad

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"strings"
	"unicode"
	"unicode/utf8"

	"syncgap/pipeline"
)

// dnCheck finds a DN that repeats among a source's entries, compared by a
// 128-bit hash of their lower-cased text: at millions of entries, keeping
// the DNs themselves would cost far more memory, and a false repeat is as
// likely as a random 128-bit collision.
//
// The hashes go into a map, which finds a repeat the moment it is read,
// as long as the map stays within its share of the memory budget
// (docs/architecture.md, "Memory"); past that, every hash goes into an
// external sort instead and a repeat is found once the whole source is
// read (repeated). Either way the repeat reported is the one whose second
// occurrence comes first, with its first occurrence.
type dnCheck struct {
	seeds   [2]maphash.Seed
	seen    map[[2]uint64]int // hash → position of the DN; nil once sorting
	limit   int               // entries the map may hold; 0: no limit
	parent  string            // where the sort spills
	budget  int64
	sorted  *pipeline.Sorter[dnRow]
	scratch []byte
}

// dnRow is one DN in the external sort.
type dnRow struct {
	Hash string `parquet:"hash"` // the 128-bit hash, big-endian
	Pos  int64  `parquet:"pos"`  // line (LDIF) or entry number (LDAP)
}

// dnEntryBytes is what one DN costs in the map (its slot and its share of
// the map's growth) or in the sort's buffer.
const dnEntryBytes = 64

// newDNCheck returns a check whose map holds at most budget bytes before
// it sorts into parent; a budget of 0 never sorts.
func newDNCheck(parent string, budget int64) *dnCheck {
	x := &dnCheck{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, seen: map[[2]uint64]int{}, parent: parent, budget: budget}
	if budget > 0 {
		x.limit = int(max(budget/dnEntryBytes, 1))
	}
	return x
}

// add records dn at pos; for a DN the map holds it returns the earlier
// position and true.
func (x *dnCheck) add(dn string, pos int) (int, bool, error) {
	x.scratch = appendLower(x.scratch[:0], dn)
	k := [2]uint64{maphash.Bytes(x.seeds[0], x.scratch), maphash.Bytes(x.seeds[1], x.scratch)}
	if x.sorted != nil {
		return 0, false, x.sort(k, pos)
	}
	if first, ok := x.seen[k]; ok {
		return first, true, nil
	}
	x.seen[k] = pos
	if x.limit > 0 && len(x.seen) >= x.limit {
		// Full: from here on every DN goes through the sort, the ones held
		// first.
		x.sorted = pipeline.NewSorter(x.parent, x.budget, func(r *dnRow) string { return r.Hash },
			func(a, b *dnRow) int { return int(a.Pos - b.Pos) }, func(*dnRow) int64 { return dnEntryBytes })
		for k, p := range x.seen {
			if err := x.sort(k, p); err != nil {
				return 0, false, err
			}
		}
		x.seen = nil
	}
	return 0, false, nil
}

func (x *dnCheck) sort(k [2]uint64, pos int) error {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], k[0])
	binary.BigEndian.PutUint64(b[8:], k[1])
	return x.sorted.Add(&dnRow{Hash: string(b[:]), Pos: int64(pos)})
}

// spilled reports whether the check went to the external sort.
func (x *dnCheck) spilled() bool { return x.sorted != nil }

// repeated is, after the last add, the repeat add could not see: the
// second occurrence that comes first, and the first occurrence of that DN.
func (x *dnCheck) repeated(ctx context.Context) (later, first int, found bool, err error) {
	if x.sorted == nil {
		return 0, 0, false, nil
	}
	var prev string
	var groupFirst int64
	inGroup := false
	err = x.sorted.Sorted(ctx, func(r *dnRow) error {
		switch {
		case r.Hash != prev:
			prev, groupFirst, inGroup = strings.Clone(r.Hash), r.Pos, false
		case !inGroup:
			// Rows of one DN come by position: this is its second.
			inGroup = true
			if !found || int(r.Pos) < later {
				later, first, found = int(r.Pos), int(groupFirst), true
			}
		}
		return nil
	})
	return later, first, found, err
}

// close removes what the sort spilled.
func (x *dnCheck) close() error {
	if x.sorted == nil {
		return nil
	}
	return x.sorted.Close()
}

// appendLower appends s lower-cased; unlike strings.ToLower it reuses dst.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	return dst
}

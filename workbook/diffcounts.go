package workbook

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"syncgap/pipeline"
)

// DiffSnapshot identifies one of the two snapshots a diff compares, as
// the workbook and the terminal name it.
type DiffSnapshot struct {
	Name        string    // the directory's base name
	ID          string    // SnapshotID: the short hash of its extraction tables
	ADReadAt    time.Time // when extract-ad finished reading AD (zero: unknown)
	CloudReadAt time.Time // when extract-entra finished reading Entra ID
}

// ReadTimes are when AD and Entra ID were read, as the workbook shows them.
func (s DiffSnapshot) ReadTimes() (ad, cloud string) {
	return utcTime(s.ADReadAt), utcTime(s.CloudReadAt)
}

// The gaps columns whose values a diff follows from one snapshot to the
// other (Move.Field).
const (
	FieldMatch       = "match_status"
	FieldMobile      = "mobile_state"
	FieldOtherMobile = "other_mobile_state"
	FieldEffect      = "effect"
)

// MoveFields are the Move fields in the order reports list them.
var MoveFields = []string{FieldMobile, FieldOtherMobile, FieldEffect, FieldMatch}

// Move is one user's value of an enum column going from one value to
// another between the snapshots, e.g. mobile_state mismatch → in_sync.
type Move struct {
	Field, From, To string
}

// MoveCount is a Move and how many users made it.
type MoveCount struct {
	Move
	N int
}

// DiffCounts are the totals of a diff: the Summary sheet and the terminal
// show them. Compare fills them with CountBefore, CountAfter, Pair and Add.
type DiffCounts struct {
	Before, After int // users (gaps rows) in each snapshot
	Paired        int // users found in both
	Changed       int // of Paired, users with a change
	ByKind        map[pipeline.ChangeKind]int
	ByKey         map[pipeline.DiffKey]int // Paired users by the rule that paired them
	Moves         map[Move]int
	// EffectBefore and EffectAfter count every user of each snapshot by
	// what enabling bypass does to them.
	EffectBefore, EffectAfter map[pipeline.Effect]int
	// Better and Worse count the paired users whose effect became less or
	// more harmful (pipeline.Effect.Severity), among those whose cloud
	// otherMobile was known in both snapshots or in neither: an effect
	// that drops because a value became unknown is no improvement.
	Better, Worse int
	// UnknownBefore and UnknownAfter count the users whose cloud
	// otherMobile is unknown (other_mobile_state unverifiable).
	UnknownBefore, UnknownAfter int
}

// NewDiffCounts returns empty counts.
func NewDiffCounts() DiffCounts {
	return DiffCounts{
		ByKind: map[pipeline.ChangeKind]int{}, ByKey: map[pipeline.DiffKey]int{}, Moves: map[Move]int{},
		EffectBefore: map[pipeline.Effect]int{}, EffectAfter: map[pipeline.Effect]int{},
	}
}

// Unchanged is the number of users in both snapshots with no change.
func (c *DiffCounts) Unchanged() int { return c.Paired - c.Changed }

// CountBefore counts one user of the earlier snapshot.
func (c *DiffCounts) CountBefore(s *pipeline.DiffSide) {
	c.Before++
	addEffect(c.EffectBefore, s.Effect)
	if s.OtherMobileState == pipeline.Unverifiable {
		c.UnknownBefore++
	}
}

// CountAfter counts one user of the later snapshot.
func (c *DiffCounts) CountAfter(s *pipeline.DiffSide) {
	c.After++
	addEffect(c.EffectAfter, s.Effect)
	if s.OtherMobileState == pipeline.Unverifiable {
		c.UnknownAfter++
	}
}

// addEffect counts e. Values read from a table point into its memory,
// which the counts outlive: a new key is copied.
func addEffect(m map[pipeline.Effect]int, e pipeline.Effect) {
	if _, ok := m[e]; !ok {
		e = pipeline.Effect(strings.Clone(string(e)))
	}
	m[e]++
}

// Pair counts one user found in both snapshots, paired by key: changed
// says whether Compare found a change, and the moves of its enum columns
// are counted.
func (c *DiffCounts) Pair(key pipeline.DiffKey, b, a *pipeline.DiffSide, changed bool) {
	c.Paired++
	c.ByKey[key]++
	if !changed {
		return
	}
	c.Changed++
	c.move(FieldMatch, string(b.MatchStatus), string(a.MatchStatus))
	c.move(FieldMobile, string(b.MobileState), string(a.MobileState))
	c.move(FieldOtherMobile, string(b.OtherMobileState), string(a.OtherMobileState))
	c.move(FieldEffect, string(b.Effect), string(a.Effect))
	if (b.OtherMobileState == pipeline.Unverifiable) != (a.OtherMobileState == pipeline.Unverifiable) {
		return
	}
	switch sb, sa := b.Effect.Severity(), a.Effect.Severity(); {
	case sa < sb:
		c.Better++
	case sa > sb:
		c.Worse++
	}
}

func (c *DiffCounts) move(field, from, to string) {
	if from == to {
		return
	}
	mv := Move{field, from, to}
	if _, ok := c.Moves[mv]; !ok {
		mv = Move{field, strings.Clone(from), strings.Clone(to)}
	}
	c.Moves[mv]++
}

// Add counts one user with change k.
func (c *DiffCounts) Add(k pipeline.ChangeKind) { c.ByKind[k]++ }

// MovesOf lists the moves of one field, most users first, ties by from
// and to value: an order that does not depend on the map's.
func (c *DiffCounts) MovesOf(field string) []MoveCount {
	var out []MoveCount
	for mv, n := range c.Moves {
		if mv.Field == field {
			out = append(out, MoveCount{mv, n})
		}
	}
	slices.SortFunc(out, func(x, y MoveCount) int {
		return cmp.Or(cmp.Compare(y.N, x.N), strings.Compare(x.From, y.From), strings.Compare(x.To, y.To))
	})
	return out
}

package pipeline

import "slices"

// DiffTable is the table `syncgap diff` writes: what changed per user
// between two audited snapshots (docs/tables.md, "diff").
const DiffTable = "diff"

// ChangeKind is one kind of change a diff row records.
type ChangeKind string

// Change kinds, exactly as docs/tables.md spells them, in the order a
// row lists them.
const (
	Appeared       ChangeKind = "appeared"         // only in AFTER
	Disappeared    ChangeKind = "disappeared"      // only in BEFORE
	UPNChanged     ChangeKind = "upn_changed"      // both have a UPN, and it differs
	DNChanged      ChangeKind = "dn_changed"       // both have an AD user, with another DN
	EntraIDChanged ChangeKind = "entra_id_changed" // both have a cloud user, with another object id
	MatchChanged   ChangeKind = "match_changed"    // match_status differs
	ADChanged      ChangeKind = "ad_changed"       // both have an AD user; its mobile or otherMobile differs
	CloudChanged   ChangeKind = "cloud_changed"    // both have a cloud user; its known mobile or otherMobile differs
	StateChanged   ChangeKind = "state_changed"    // mobile_state or other_mobile_state differs
	EffectChanged  ChangeKind = "effect_changed"   // effect differs
)

// ChangeKinds lists every kind in the order rows and reports list them.
var ChangeKinds = []ChangeKind{
	Appeared, Disappeared, UPNChanged, DNChanged, EntraIDChanged,
	MatchChanged, ADChanged, CloudChanged, StateChanged, EffectChanged,
}

// DiffKey names the rule that paired a user across the two snapshots
// (docs/rules.md, "Diff").
type DiffKey string

// Diff keys, exactly as docs/tables.md spells them; rows of users in one
// snapshot only have none.
const (
	KeyEntraID DiffKey = "entra_id"
	KeyDN      DiffKey = "dn"
	KeyUPN     DiffKey = "upn"
)

// DiffSide is one snapshot's side of a diff row: the gaps columns a diff
// compares, under their gaps names. Reading gaps.parquet as DiffSide asks
// Parquet for these columns only.
type DiffSide struct {
	UPN              string      `parquet:"upn"`
	DN               string      `parquet:"dn"`
	EntraID          string      `parquet:"entra_id"`
	MatchStatus      MatchStatus `parquet:"match_status"`
	MobileState      State       `parquet:"mobile_state"`
	OtherMobileState State       `parquet:"other_mobile_state"`
	MobileAD         string      `parquet:"mobile_ad"`
	MobileEntra      string      `parquet:"mobile_entra"`
	OtherMobileAD    []string    `parquet:"other_mobile_ad"`
	OtherMobileEntra []string    `parquet:"other_mobile_entra"` // null when the cloud side is unknown
	Effect           Effect      `parquet:"effect"`
}

// Present reports whether the side holds a user (every gaps row has a DN
// or an object id); the absent side of an appeared or disappeared user is
// all null.
func (s *DiffSide) Present() bool { return s.DN != "" || s.EntraID != "" }

// HasAD reports whether the side's row has an AD user.
func (s *DiffSide) HasAD() bool { return s.DN != "" }

// HasEntra reports whether the side's row has a cloud user.
func (s *DiffSide) HasEntra() bool { return s.EntraID != "" }

// DiffRow is one row of diff: a user that changed between two snapshots,
// appeared in the later or disappeared from it.
type DiffRow struct {
	UPN      string   `parquet:"upn"`       // AFTER's, else BEFORE's
	DN       string   `parquet:"dn"`        // AFTER's, else BEFORE's
	EntraID  string   `parquet:"entra_id"`  // AFTER's, else BEFORE's
	MatchKey DiffKey  `parquet:"match_key"` // null for users in one snapshot only
	Changes  []string `parquet:"changes"`   // ChangeKind values in ChangeKinds order
	Before   DiffSide `parquet:",prefix=before_"`
	After    DiffSide `parquet:",prefix=after_"`
}

// Has reports whether the row records change k.
func (r *DiffRow) Has(k ChangeKind) bool { return slices.Contains(r.Changes, string(k)) }

// SameValues reports whether two lists of directory values hold the same
// texts, in any order, duplicates counted: AD returns a multi-valued
// attribute in no guaranteed order, so a new order alone is no change.
// Callers decide what a nil (unknown) list means.
func SameValues(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if slices.Equal(a, b) {
		return true
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

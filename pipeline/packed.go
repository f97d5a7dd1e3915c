package pipeline

import (
	"encoding/binary"
	"errors"
	"time"
)

// A packed user is an EntraUser or ADUser, except its id or DN, as the
// bytes of one string: a flags byte, then length-prefixed texts, then the
// lists, then the one timestamp. The external sorts that carry whole users
// (extract-ad's sort by DN, extract-entra's merge, join's pairs) hold them
// this way: a sorter's buffer then holds a fraction of the struct's
// memory, the garbage collector scans one pointer a user instead of a
// dozen or more, and a Parquet spill run has one column instead of twelve
// or fourteen (docs/architecture.md, "Memory"). The layout is private to a
// run: runs never outlive a stage.

// Flags of a packed user, its first byte.
const (
	packAlt         = 1 << iota // AlternateMobilePhones is known (not nil); for AD, OtherMobile is not nil
	packBusiness                // BusinessPhones is known
	packSync                    // OnPremisesSyncEnabled is known; for AD, Enabled is known
	packSyncTrue                // and true
	packEnabled                 // AccountEnabled is known
	packEnabledTrue             // and true
	packLastSync                // OnPremisesLastSync (for AD, WhenChanged) is set: seconds and nanoseconds follow
)

// ErrPacked says a packed user read back from a spill run is damaged.
var ErrPacked = errors.New("a spilled user is damaged")

func boolFlags(v NullBool, known, isTrue byte) byte {
	switch {
	case !v.Valid:
		return 0
	case v.Bool:
		return known | isTrue
	}
	return known
}

func boolOf(flags, known, isTrue byte) NullBool {
	if flags&known == 0 {
		return NullBool{}
	}
	return Known(flags&isTrue != 0)
}

func appendPackedText(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendPackedList(b []byte, l []string) []byte {
	if l == nil {
		return b
	}
	b = binary.AppendUvarint(b, uint64(len(l)))
	for _, s := range l {
		b = appendPackedText(b, s)
	}
	return b
}

// The time is kept to the nanosecond: IsZero, which callers ask, must see
// what the reader saw.
func appendPackedTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// unpacker reads a packed user; ok turns false at the first damage.
type unpacker struct {
	s  string
	ok bool
}

func (u *unpacker) num() uint64 {
	var n uint64
	for shift := 0; shift < 64 && u.ok; shift += 7 {
		if len(u.s) == 0 {
			break
		}
		c := u.s[0]
		u.s = u.s[1:]
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return n
		}
	}
	u.ok = false
	return 0
}

func (u *unpacker) text() string {
	n := u.num()
	if !u.ok || n > uint64(len(u.s)) {
		u.ok = false
		return ""
	}
	v := u.s[:n]
	u.s = u.s[n:]
	return v
}

func (u *unpacker) list(known bool) []string {
	if !known {
		return nil
	}
	n := u.num()
	if !u.ok || n > uint64(len(u.s)) {
		u.ok = false
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = u.text()
	}
	return l
}

func (u *unpacker) time(set bool) time.Time {
	if !set {
		return time.Time{}
	}
	sec := u.num()
	return time.Unix(int64(sec>>1)^-int64(sec&1), int64(u.num())).UTC()
}

// flags starts reading s, a packed user: its flags byte.
func (u *unpacker) flags(s string) byte {
	if s == "" {
		u.ok = false
		return 0
	}
	u.s, u.ok = s[1:], true
	return s[0]
}

// AppendPackedEntra appends u, all but its ID, to b, with extra, a text
// the caller carries beside the user (extract-entra's pending culture
// date).
func AppendPackedEntra(b []byte, u *EntraUser, extra string) []byte {
	flags := boolFlags(u.OnPremisesSyncEnabled, packSync, packSyncTrue) | boolFlags(u.AccountEnabled, packEnabled, packEnabledTrue)
	if u.AlternateMobilePhones != nil {
		flags |= packAlt
	}
	if u.BusinessPhones != nil {
		flags |= packBusiness
	}
	if !u.OnPremisesLastSync.IsZero() {
		flags |= packLastSync
	}
	b = append(b, flags)
	for _, s := range [...]string{u.UPN, u.MobilePhone, u.UsageLocation, u.OnPremisesImmutableID, u.OnPremisesUPN,
		u.OnPremisesSamAccountName, u.OnPremisesDN, u.Origin, extra} {
		b = appendPackedText(b, s)
	}
	b = appendPackedList(b, u.AlternateMobilePhones)
	b = appendPackedList(b, u.BusinessPhones)
	return appendPackedTime(b, u.OnPremisesLastSync)
}

// UnpackEntra is the user AppendPackedEntra packed into s, with id as its
// ID, and the extra text; the user's strings are s's.
func UnpackEntra(id, s string) (EntraUser, string, error) {
	var r unpacker
	flags := r.flags(s)
	u := EntraUser{ID: id}
	u.UPN, u.MobilePhone, u.UsageLocation, u.OnPremisesImmutableID = r.text(), r.text(), r.text(), r.text()
	u.OnPremisesUPN, u.OnPremisesSamAccountName, u.OnPremisesDN, u.Origin = r.text(), r.text(), r.text(), r.text()
	extra := r.text()
	u.AlternateMobilePhones, u.BusinessPhones = r.list(flags&packAlt != 0), r.list(flags&packBusiness != 0)
	u.OnPremisesSyncEnabled = boolOf(flags, packSync, packSyncTrue)
	u.AccountEnabled = boolOf(flags, packEnabled, packEnabledTrue)
	u.OnPremisesLastSync = r.time(flags&packLastSync != 0)
	if !r.ok || r.s != "" {
		return EntraUser{}, "", ErrPacked
	}
	return u, extra, nil
}

// PackedEntraUPN is the UPN of a packed user, read without unpacking it.
func PackedEntraUPN(s string) string {
	if s == "" {
		return ""
	}
	n, k := binary.Uvarint([]byte(s[1:min(len(s), 11)]))
	if k <= 0 || uint64(len(s)-1-k) < n {
		return ""
	}
	return s[1+k : 1+k+int(n)]
}

// AppendPackedAD appends u, all but its DN, to b.
func AppendPackedAD(b []byte, u *ADUser) []byte {
	flags := boolFlags(u.Enabled, packSync, packSyncTrue)
	if u.OtherMobile != nil {
		flags |= packAlt
	}
	if !u.WhenChanged.IsZero() {
		flags |= packLastSync
	}
	b = append(b, flags)
	for _, s := range [...]string{u.ObjectGUID, u.ConsistencyGUID, u.SourceAnchor, u.SamAccountName, u.UPN,
		u.Mobile, u.Country, u.Origin} {
		b = appendPackedText(b, s)
	}
	b = appendPackedList(b, u.OtherMobile)
	return appendPackedTime(b, u.WhenChanged)
}

// UnpackAD is the user AppendPackedAD packed into s, with dn as its DN;
// the user's strings are s's.
func UnpackAD(dn, s string) (ADUser, error) {
	var r unpacker
	flags := r.flags(s)
	u := ADUser{DN: dn}
	u.ObjectGUID, u.ConsistencyGUID, u.SourceAnchor, u.SamAccountName = r.text(), r.text(), r.text(), r.text()
	u.UPN, u.Mobile, u.Country, u.Origin = r.text(), r.text(), r.text(), r.text()
	u.OtherMobile = r.list(flags&packAlt != 0)
	u.Enabled = boolOf(flags, packSync, packSyncTrue)
	u.WhenChanged = r.time(flags&packLastSync != 0)
	if !r.ok || r.s != "" {
		return ADUser{}, ErrPacked
	}
	return u, nil
}

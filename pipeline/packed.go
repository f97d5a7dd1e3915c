package pipeline

import (
	"encoding/binary"
	"errors"
	"time"
)

// A packed EntraUser is the user, except its id, as the bytes of one
// string: a flags byte, then length-prefixed texts, then the lists, then
// the last-sync time. The external sorts that carry whole cloud users
// (extract-entra's merge, join's pairs) hold them this way: a sorter's
// buffer then holds a fifth of EntraUser's 232-byte struct per user, the
// garbage collector scans one pointer instead of fifteen, and a Parquet
// spill run has one column instead of fourteen (docs/architecture.md,
// "Memory"). The layout is private to a run: runs never outlive a stage.

// Flags of a packed user, its first byte.
const (
	packAlt         = 1 << iota // AlternateMobilePhones is known (not nil)
	packBusiness                // BusinessPhones is known
	packSync                    // OnPremisesSyncEnabled is known
	packSyncTrue                // and true
	packEnabled                 // AccountEnabled is known
	packEnabledTrue             // and true
	packLastSync                // OnPremisesLastSync is set: seconds and nanoseconds follow
)

// ErrPacked says a packed user read back from a spill run is damaged.
var ErrPacked = errors.New("a spilled user is damaged")

// AppendPackedEntra appends u, all but its ID, to b, with extra, a text
// the caller carries beside the user (extract-entra's pending culture
// date). The time is kept to the nanosecond: IsZero, which callers ask,
// must see what the reader saw.
func AppendPackedEntra(b []byte, u *EntraUser, extra string) []byte {
	var flags byte
	if u.AlternateMobilePhones != nil {
		flags |= packAlt
	}
	if u.BusinessPhones != nil {
		flags |= packBusiness
	}
	if u.OnPremisesSyncEnabled.Valid {
		flags |= packSync
		if u.OnPremisesSyncEnabled.Bool {
			flags |= packSyncTrue
		}
	}
	if u.AccountEnabled.Valid {
		flags |= packEnabled
		if u.AccountEnabled.Bool {
			flags |= packEnabledTrue
		}
	}
	if !u.OnPremisesLastSync.IsZero() {
		flags |= packLastSync
	}
	b = append(b, flags)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, s := range [...]string{u.UPN, u.MobilePhone, u.UsageLocation, u.OnPremisesImmutableID, u.OnPremisesUPN,
		u.OnPremisesSamAccountName, u.OnPremisesDN, u.Origin, extra} {
		str(s)
	}
	for _, l := range [...][]string{u.AlternateMobilePhones, u.BusinessPhones} {
		if l != nil {
			b = binary.AppendUvarint(b, uint64(len(l)))
			for _, s := range l {
				str(s)
			}
		}
	}
	if flags&packLastSync != 0 {
		t := u.OnPremisesLastSync
		b = binary.AppendVarint(b, t.Unix())
		b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	}
	return b
}

// UnpackEntra is the user AppendPackedEntra packed into s, with id as its
// ID, and the extra text; the user's strings are s's.
func UnpackEntra(id, s string) (EntraUser, string, error) {
	if s == "" {
		return EntraUser{}, "", ErrPacked
	}
	flags := s[0]
	s = s[1:]
	ok := true
	num := func() uint64 {
		var n uint64
		for shift := 0; shift < 64 && ok; shift += 7 {
			if len(s) == 0 {
				break
			}
			c := s[0]
			s = s[1:]
			n |= uint64(c&0x7f) << shift
			if c < 0x80 {
				return n
			}
		}
		ok = false
		return 0
	}
	str := func() string {
		n := num()
		if !ok || n > uint64(len(s)) {
			ok = false
			return ""
		}
		v := s[:n]
		s = s[n:]
		return v
	}
	list := func(known bool) []string {
		if !known {
			return nil
		}
		n := num()
		if !ok || n > uint64(len(s)) {
			ok = false
			return nil
		}
		l := make([]string, n)
		for i := range l {
			l[i] = str()
		}
		return l
	}
	u := EntraUser{ID: id}
	u.UPN, u.MobilePhone, u.UsageLocation, u.OnPremisesImmutableID = str(), str(), str(), str()
	u.OnPremisesUPN, u.OnPremisesSamAccountName, u.OnPremisesDN, u.Origin = str(), str(), str(), str()
	extra := str()
	u.AlternateMobilePhones, u.BusinessPhones = list(flags&packAlt != 0), list(flags&packBusiness != 0)
	if flags&packSync != 0 {
		u.OnPremisesSyncEnabled = Known(flags&packSyncTrue != 0)
	}
	if flags&packEnabled != 0 {
		u.AccountEnabled = Known(flags&packEnabledTrue != 0)
	}
	if flags&packLastSync != 0 {
		sec := num()
		u.OnPremisesLastSync = time.Unix(int64(sec>>1)^-int64(sec&1), int64(num())).UTC()
	}
	if !ok || s != "" {
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

package extractentra

import (
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"syncgap/pipeline"
)

// spoolRow is a spooled user as the merge reads it: the user, its position
// in its export, and where the merge sends it.
type spoolRow struct {
	pipeline.EntraUser
	// Seq is the user's position in its export, from 0.
	Seq int64
	// PendingDate is a CSV culture date whose day/month order only the
	// whole file tells (parseCulture); user sets OnPremisesLastSync from it.
	PendingDate string
	// Target is the merge's: the rank of the primary user the row fills
	// (extmerge.go).
	Target int64
}

// packedRow is a spooled user as its sorter holds it: the id it sorts by,
// and the rest of it packed into one string (pack). That costs a fifth of
// EntraUser's 232-byte struct in the sorter's buffer, gives the collector
// two pointers to scan instead of fifteen, and a Parquet run four columns
// instead of eighteen, each of which a merge holds a page of per run.
type packedRow struct {
	ID     string `parquet:"id"`
	User   string `parquet:"user"`
	Seq    int64  `parquet:"seq"`
	Target int64  `parquet:"target"`
}

func packedBytes(r *packedRow) int64 { return int64(len(r.ID) + len(r.User)) }

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

// pack is r as its sorter holds it, its strings copied into one; buf is
// scratch space, returned for the next call. The time is kept to the
// nanosecond: IsZero, which the merge asks, must see what the reader saw.
func pack(r *spoolRow, buf []byte) (packedRow, []byte) {
	u := &r.EntraUser
	b := append(buf[:0], u.ID...)
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
		u.OnPremisesSamAccountName, u.OnPremisesDN, u.Origin, r.PendingDate} {
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
	s := string(b)
	return packedRow{ID: s[:len(u.ID)], User: s[len(u.ID):], Seq: r.Seq, Target: r.Target}, b
}

var errPacked = errors.New("a spilled user is damaged")

// unpack fills r from p; r's strings are p's.
func (p *packedRow) unpack(r *spoolRow) error {
	s := p.User
	if s == "" {
		return errPacked
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
	u := pipeline.EntraUser{ID: p.ID}
	u.UPN, u.MobilePhone, u.UsageLocation, u.OnPremisesImmutableID = str(), str(), str(), str()
	u.OnPremisesUPN, u.OnPremisesSamAccountName, u.OnPremisesDN, u.Origin = str(), str(), str(), str()
	pending := str()
	u.AlternateMobilePhones, u.BusinessPhones = list(flags&packAlt != 0), list(flags&packBusiness != 0)
	if flags&packSync != 0 {
		u.OnPremisesSyncEnabled = pipeline.Known(flags&packSyncTrue != 0)
	}
	if flags&packEnabled != 0 {
		u.AccountEnabled = pipeline.Known(flags&packEnabledTrue != 0)
	}
	if flags&packLastSync != 0 {
		sec := num()
		u.OnPremisesLastSync = time.Unix(int64(sec>>1)^-int64(sec&1), int64(num())).UTC()
	}
	if !ok || s != "" {
		return errPacked
	}
	*r = spoolRow{EntraUser: u, Seq: p.Seq, PendingDate: pending, Target: p.Target}
	return nil
}

// packedUPN is the UPN of a packed user, for the primary's tie-break.
func packedUPN(user string) string {
	if user == "" {
		return ""
	}
	n, k := binary.Uvarint([]byte(user[1:min(len(user), 11)]))
	if k <= 0 || uint64(len(user)-1-k) < n {
		return ""
	}
	return user[1+k : 1+k+int(n)]
}

// comparePackedUPN orders two packed users of one id by UPN, as sortByID does.
func comparePackedUPN(a, b *packedRow) int {
	return strings.Compare(packedUPN(a.User), packedUPN(b.User))
}

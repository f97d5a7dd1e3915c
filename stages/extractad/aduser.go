package extractad

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"syncgap/ldif"
	"syncgap/pipeline"
)

// uacAccountDisable is the ACCOUNTDISABLE bit of userAccountControl.
const uacAccountDisable = 0x2

// Attributes ToADUser reads, as lower-case keys.
const (
	keyObjectGUID      = "objectguid"
	keyConsistencyGUID = "ms-ds-consistencyguid"
	keySAM             = "samaccountname"
	keyUPN             = "userprincipalname"
	keyMobile          = "mobile"
	keyOtherMobile     = "othermobile"
	keyCountry         = "c"
	keyUAC             = "useraccountcontrol"
	keyWhenChanged     = "whenchanged"
	keyObjectClass     = "objectclass"
)

// ToADUser maps an entry to an ad_users row; ok is false for entries that are
// not user accounts (computers, groups, containers), which are skipped, not errors.
func ToADUser(e *ldif.Entry, origin string) (u pipeline.ADUser, ok bool, err error) {
	var hasClass, isUser, isComputer, hasName bool
	nOther := 0
	var kb [32]byte
	for i := range e.Attrs {
		a := &e.Attrs[i]
		switch lowerKey(&kb, a.Name) {
		case keyObjectClass:
			hasClass = true
			isUser = isUser || bytes.EqualFold(a.Value, []byte("user"))
			isComputer = isComputer || bytes.EqualFold(a.Value, []byte("computer"))
		case keySAM, keyUPN:
			hasName = true
		case keyOtherMobile:
			nOther++
		}
	}
	// A computer account is objectClass user too; an export of selected
	// attributes may lack objectClass, and then a logon name marks a user.
	if hasClass && (!isUser || isComputer) || !hasClass && !hasName {
		return pipeline.ADUser{}, false, nil
	}

	u = pipeline.ADUser{DN: e.DN, Origin: origin, OtherMobile: make([]string, 0, nOther)}
	var guid, cguid [16]byte
	var haveGUID, haveCGUID bool
	var seen uint16 // one bit per single-valued attribute, see singleBit
	for i := range e.Attrs {
		a := &e.Attrs[i]
		key := lowerKey(&kb, a.Name)
		bit := singleBit(key)
		if bit == 0 && key != keyOtherMobile {
			continue
		}
		if seen&bit != 0 {
			return fail(e, origin, a, errors.New("several values for a single-valued attribute"))
		}
		seen |= bit
		switch key {
		case keyObjectGUID, keyConsistencyGUID:
			b, err := guidBytes(a.Value)
			if err != nil {
				return fail(e, origin, a, err)
			}
			if key == keyObjectGUID {
				guid, haveGUID, u.ObjectGUID = b, true, guidText(b)
			} else {
				cguid, haveCGUID, u.ConsistencyGUID = b, true, guidText(b)
			}
			continue
		case keyUAC:
			n, err := strconv.ParseInt(string(a.Value), 10, 64)
			if err != nil {
				return fail(e, origin, a, fmt.Errorf("not a decimal integer: %q", pipeline.ShortText(a.Value)))
			}
			u.Enabled = pipeline.Known(n&uacAccountDisable == 0)
			continue
		case keyWhenChanged:
			t, err := parseGeneralizedTime(a.Value)
			if err != nil {
				return fail(e, origin, a, err)
			}
			u.WhenChanged = t
			continue
		}
		// The reader leaves base64 values as octets, so text is checked here.
		if !utf8.Valid(a.Value) {
			return fail(e, origin, a, errors.New("value is not valid UTF-8"))
		}
		s := string(a.Value)
		switch key {
		case keySAM:
			u.SamAccountName = s
		case keyUPN:
			u.UPN = s
		case keyMobile:
			u.Mobile = s
		case keyCountry:
			u.Country = s
		case keyOtherMobile:
			u.OtherMobile = append(u.OtherMobile, s) // range chunks arrive in directory order
		}
	}
	// Entra's immutableId is the octets AD stores, consistency GUID first.
	switch {
	case haveCGUID:
		u.SourceAnchor = base64.StdEncoding.EncodeToString(cguid[:])
	case haveGUID:
		u.SourceAnchor = base64.StdEncoding.EncodeToString(guid[:])
	}
	return u, true, nil
}

// fail builds the error for a bad attribute. ToADUser only knows the origin
// ("file:line"), so File is its file part; ReadLDIF puts back the name as given.
func fail(e *ldif.Entry, origin string, a *ldif.Attr, err error) (pipeline.ADUser, bool, error) {
	file := origin
	if i := strings.LastIndexByte(origin, ':'); i >= 0 {
		if _, perr := strconv.Atoi(origin[i+1:]); perr == nil {
			file = origin[:i]
		}
	}
	line := a.Line
	if line == 0 {
		line = e.Line
	}
	return pipeline.ADUser{}, false, &pipeline.ParseError{File: file, Line: line, Err: fmt.Errorf("%s: %w", a.Name, err)}
}

// singleBit numbers the single-valued attributes ToADUser reads; 0 for any other.
func singleBit(key string) uint16 {
	switch key {
	case keyObjectGUID:
		return 1 << 0
	case keyConsistencyGUID:
		return 1 << 1
	case keySAM:
		return 1 << 2
	case keyUPN:
		return 1 << 3
	case keyMobile:
		return 1 << 4
	case keyCountry:
		return 1 << 5
	case keyUAC:
		return 1 << 6
	case keyWhenChanged:
		return 1 << 7
	}
	return 0
}

// lowerKey lower-cases an ASCII attribute name into buf without allocating;
// names longer than buf cannot be one ToADUser reads.
func lowerKey(buf *[32]byte, name string) string {
	if len(name) > len(buf) {
		return ""
	}
	for i := range len(name) {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return string(buf[:len(name)])
}

// guidMSOrder maps text position to stored byte: Microsoft stores the first
// three GUID fields little-endian. The permutation is its own inverse.
var guidMSOrder = [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}

// guidBytes returns the 16 octets AD stores, from binary or from GUID text.
func guidBytes(v []byte) ([16]byte, error) {
	var b [16]byte
	switch len(v) {
	case 16:
		copy(b[:], v)
		return b, nil
	case 36:
		j := 0
		for i := 0; i < 36; {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if v[i] != '-' {
					return b, fmt.Errorf("not a GUID: %q", v)
				}
				i++
				continue
			}
			hi, ok1 := unhex(v[i])
			lo, ok2 := unhex(v[i+1])
			if !ok1 || !ok2 {
				return b, fmt.Errorf("not a GUID: %q", v)
			}
			b[guidMSOrder[j]] = hi<<4 | lo
			i += 2
			j++
		}
		return b, nil
	}
	return b, fmt.Errorf("want 16 bytes or 36-character GUID text, got %d bytes", len(v))
}

// guidText renders stored GUID octets as canonical lower-case text.
func guidText(b [16]byte) string {
	const hexDigits = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, k := range guidMSOrder {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[b[k]>>4], hexDigits[b[k]&0xf]
		j += 2
	}
	return string(out[:])
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseGeneralizedTime parses RFC 4517 GeneralizedTime with seconds, as AD
// writes it ("20240115103000.0Z"), and returns it in UTC. A time without a
// zone is refused: it would be the DC's local time, which the file does not say.
func parseGeneralizedTime(v []byte) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("bad GeneralizedTime %q: %s", pipeline.ShortText(v), why)
	}
	if len(v) < 15 {
		return bad("want YYYYMMDDHHMMSS[.fraction] and Z or +hhmm")
	}
	var f [6]int
	widths := [6]int{4, 2, 2, 2, 2, 2}
	i := 0
	for k, w := range widths {
		n, ok := digits(v[i : i+w])
		if !ok {
			return bad("want YYYYMMDDHHMMSS[.fraction] and Z or +hhmm")
		}
		f[k] = n
		i += w
	}
	year, month, day, hour, minute, sec := f[0], f[1], f[2], f[3], f[4], f[5]
	nsec := 0
	if v[i] == '.' || v[i] == ',' {
		i++
		start := i
		scale := 100_000_000
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			nsec += int(v[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return bad("empty fraction")
		}
	}
	offset := 0
	switch {
	case i < len(v) && v[i] == 'Z' && i+1 == len(v):
	case i < len(v) && (v[i] == '+' || v[i] == '-') && (len(v)-i == 3 || len(v)-i == 5):
		hh, ok1 := digits(v[i+1 : i+3])
		mm, ok2 := 0, true
		if len(v)-i == 5 {
			mm, ok2 = digits(v[i+3 : i+5])
		}
		if !ok1 || !ok2 || hh > 23 || mm > 59 {
			return bad("bad zone offset")
		}
		offset = (hh*60 + mm) * 60
		if v[i] == '-' {
			offset = -offset
		}
	default:
		return bad("want Z or +hhmm after the time")
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 60 {
		return bad("field out of range")
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.FixedZone("", offset)).UTC(), nil
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

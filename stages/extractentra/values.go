package extractentra

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"syncgap/pipeline"
)

// dateOrder is the day/month order of a d/m/y or m/d/y date. Export-Csv
// writes dates in the exporting machine's culture, and en-GB's 03/04/2023
// is en-US's 4 March, so the order is settled per file (see csvDates).
type dateOrder uint8

const (
	orderUnknown dateOrder = iota
	orderDMY
	orderMDY
)

// errAmbiguousDate is a slash date whose day and month are both ≤ 12 in a
// file where no other date settles the order.
var errAmbiguousDate = errors.New("ambiguous date: day/month order unknown")

// parseTime parses the timestamp forms Entra exports contain: ISO 8601 (with
// or without zone; no zone means UTC, which is what Graph and MSOnline
// return), PowerShell 5.1's /Date(ms[+hhmm])/, and Export-Csv's culture
// formats. proved is the order an unambiguous slash date shows, so a CSV can
// resolve its ambiguous ones.
func parseTime(s string, order dateOrder) (t time.Time, proved dateOrder, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, orderUnknown, nil
	}
	if t, ok := fastISO(s); ok {
		return t, orderUnknown, nil
	}
	if strings.HasPrefix(s, "/Date(") || strings.HasPrefix(s, `\/Date(`) {
		t, err := parseMSDate(s)
		return t, orderUnknown, err
	}
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		for _, layout := range isoLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), orderUnknown, nil
			}
		}
	}
	return parseCulture(s, order)
}

var isoLayouts = []string{
	time.RFC3339,                // fractional seconds are accepted when parsing
	"2006-01-02T15:04:05",       // PowerShell 7 DateTime of Kind Unspecified
	"2006-01-02 15:04:05Z07:00", // sv-SE culture and SQL-ish tools
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
}

// fastISO parses Graph's own form, 2023-11-14T22:13:20Z, without time.Parse:
// it is on the path of every user of a million-user export.
func fastISO[S ~string | ~[]byte](s S) (time.Time, bool) {
	if len(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	n := func(i, w int) int {
		v := 0
		for k := i; k < i+w; k++ {
			c := s[k]
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, se := n(0, 4), n(5, 2), n(8, 2), n(11, 2), n(14, 2), n(17, 2)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 31 April and the like: let time.Parse word the error
	}
	return t, true
}

// parseMSDate parses /Date(1700000000000)/ and /Date(1700000000000+0100)/.
// The milliseconds are UTC whatever the offset says; the offset only records
// the zone PowerShell displayed, so it is checked and ignored.
func parseMSDate(s string) (time.Time, error) {
	in := strings.TrimPrefix(strings.TrimPrefix(s, `\`), "/Date(")
	in = strings.TrimSuffix(strings.TrimSuffix(in, `/`), `\`)
	in, ok := strings.CutSuffix(in, ")")
	if !ok {
		return time.Time{}, fmt.Errorf("invalid /Date()/ timestamp %q", s)
	}
	if i := strings.LastIndexAny(in, "+-"); i > 0 {
		off := in[i+1:]
		if _, err := strconv.Atoi(off); err != nil || len(off) != 4 {
			return time.Time{}, fmt.Errorf("invalid /Date()/ offset in %q", s)
		}
		in = in[:i]
	}
	ms, err := strconv.ParseInt(in, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid /Date()/ timestamp %q", s)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// parseCulture parses DateTime.ToString() output of the common cultures:
// en-US 11/14/2023 10:13:20 PM, en-GB/fr-FR 14/11/2023 22:13:20, de-DE
// 14.11.2023 22:13:20, nl-NL 14-11-2023 22:13:20, ja-JP 2023/11/14 22:13:20.
// The time is taken as UTC: Graph and MSOnline hand PowerShell UTC values.
func parseCulture(s string, order dateOrder) (time.Time, dateOrder, error) {
	// Built only when needed: an MSOnline CSV has a date on every row, and
	// an error made eagerly cost a third of the time of reading it.
	bad := func() error {
		return fmt.Errorf("unrecognised date %q (use ISO 8601, e.g. 2023-11-14T22:13:20Z)", s)
	}
	datePart, clock, _ := strings.Cut(s, " ")
	sep := byte(0)
	for _, c := range []byte("/.-") {
		if strings.IndexByte(datePart, c) > 0 {
			sep = c
			break
		}
	}
	// Exactly three parts, as strings.Split would give, without its slice.
	var parts [3]string
	rest, ok := strings.TrimSuffix(datePart, "."), sep != 0
	for i := 0; i < 2 && ok; i++ {
		var k int
		if k = strings.IndexByte(rest, sep); k < 0 {
			ok = false
			break
		}
		parts[i], rest = rest[:k], rest[k+1:]
	}
	if !ok || strings.IndexByte(rest, sep) >= 0 {
		return time.Time{}, orderUnknown, bad()
	}
	parts[2] = rest
	var num [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return time.Time{}, orderUnknown, bad()
		}
		num[i] = v
	}
	ampm := ""
	clock = strings.TrimSpace(clock)
	if up := strings.ToUpper(clock); strings.HasSuffix(up, "AM") || strings.HasSuffix(up, "PM") {
		ampm = up[len(up)-2:]
		clock = strings.TrimSpace(clock[:len(clock)-2])
	}
	var y, m, d int
	proved := orderUnknown
	switch {
	case len(parts[0]) == 4: // year first: ISO-like cultures
		y, m, d = num[0], num[1], num[2]
	case len(parts[2]) != 4:
		return time.Time{}, orderUnknown, bad()
	case ampm != "": // 12-hour clocks are US style: month first
		y, m, d = num[2], num[0], num[1]
	case sep != '/': // dotted and dashed cultures put the day first
		y, m, d = num[2], num[1], num[0]
	case num[0] > 12:
		y, m, d, proved = num[2], num[1], num[0], orderDMY
	case num[1] > 12:
		y, m, d, proved = num[2], num[0], num[1], orderMDY
	case num[0] == num[1] || order == orderDMY:
		y, m, d = num[2], num[1], num[0]
	case order == orderMDY:
		y, m, d = num[2], num[0], num[1]
	default:
		return time.Time{}, orderUnknown, errAmbiguousDate
	}
	h, mi, se, ok := parseClock(clock, ampm)
	if !ok || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, orderUnknown, bad()
	}
	t := time.Date(y, time.Month(m), d, h, mi, se, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, orderUnknown, bad()
	}
	return t, proved, nil
}

// parseClock parses H:mm[:ss[.fff]] with an optional AM/PM already split off.
func parseClock(clock, ampm string) (h, m, s int, ok bool) {
	if clock == "" {
		return 0, 0, 0, ampm == ""
	}
	// Two or three fields, as strings.Split would give, without its slice.
	var buf [3]string
	f := buf[:0]
	for rest := clock; ; {
		p, r, more := strings.Cut(rest, ":")
		if len(f) == len(buf) {
			return 0, 0, 0, false
		}
		f, rest = append(f, p), r
		if !more {
			break
		}
	}
	if len(f) < 2 {
		return 0, 0, 0, false
	}
	if len(f) == 3 {
		f[2], _, _ = strings.Cut(f[2], ".") // sub-second precision does not matter for timing
	}
	var v [3]int
	for i, p := range f {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, 0, 0, false
		}
		v[i] = n
	}
	h, m, s = v[0], v[1], v[2]
	switch ampm {
	case "AM", "PM":
		if h < 1 || h > 12 {
			return 0, 0, 0, false
		}
		h %= 12
		if ampm == "PM" {
			h += 12
		}
	}
	return h, m, s, h < 24 && m < 60 && s < 60
}

// parseBool reads True/False as Export-Csv writes them, and the yes/no and
// 1/0 other tools use; empty is unknown.
func parseBool(s string) (pipeline.NullBool, error) {
	switch t := strings.TrimSpace(s); {
	case t == "":
		return pipeline.NullBool{}, nil
	case strings.EqualFold(t, "true"), strings.EqualFold(t, "yes"), t == "1":
		return pipeline.Known(true), nil
	case strings.EqualFold(t, "false"), strings.EqualFold(t, "no"), t == "0":
		return pipeline.Known(false), nil
	}
	return pipeline.NullBool{}, fmt.Errorf("invalid boolean %q (want True or False)", s)
}

// unexpanded reports a cell holding a .NET type name instead of values:
// Export-Csv calls ToString() on collections, which prints the type.
func unexpanded(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "System.") && strings.HasSuffix(t, "]")
}

// splitMulti splits a multi-valued cell. People join with ';' (the documented
// way), '|' or newlines; PowerShell's own rendering of a small collection is
// "{a, b}". The result is never nil: a present but empty cell is a known,
// empty list.
func splitMulti(s string) []string {
	t := strings.TrimSpace(s)
	sep := func(c byte) bool { return c == ';' || c == '|' || c == '\n' || c == '\r' }
	if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
		t, sep = t[1:len(t)-1], func(c byte) bool { return c == ',' }
	}
	// Two passes over the parts, so the result is one allocation of the
	// right size: a million rows of an MSOnline CSV each have the cell.
	parts := func(yield func(string)) {
		for start, i := 0, 0; i <= len(t); i++ {
			if i < len(t) && !sep(t[i]) {
				continue
			}
			if p := strings.TrimSpace(t[start:i]); p != "" {
				yield(p)
			}
			start = i + 1
		}
	}
	n := 0
	parts(func(string) { n++ })
	out := make([]string, 0, n)
	parts(func(p string) { out = append(out, p) })
	return out
}

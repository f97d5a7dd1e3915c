package pipeline

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ShortHash is the first 12 hex digits of a SHA-256, for messages.
func ShortHash(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

// QuoteValues renders directory values for messages and reasons: each
// quoted, joined by commas; "nothing" for an empty list and "(unknown)"
// for nil (a side whose values were never read).
func QuoteValues(vals []string) string {
	switch {
	case vals == nil:
		return "(unknown)"
	case len(vals) == 0:
		return "nothing"
	}
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// ShortText keeps a message to one readable line for huge or binary input:
// the first 40 bytes and "...".
func ShortText(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// maxMessage bounds one line a person reads: a 5 MB directory value must
// not become a 5 MB error line.
const maxMessage = 2000

// TerminalText makes s safe to print as one terminal line: control
// characters (a Graph error body or a UPN can carry escape sequences) are
// written as Go escapes, and a very long text is cut, saying how much was.
func TerminalText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxMessage {
			fmt.Fprintf(&b, "… (%d more bytes)", len(s)-b.Len())
			break
		}
		switch {
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// EditDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours, the slips
// of typing (for "did you mean").
func EditDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

package pipeline

import (
	"strconv"
	"strings"
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

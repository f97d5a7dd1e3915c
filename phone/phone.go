// Package phone normalises the phone numbers classify compares and plan
// writes: trimming, parsing with libphonenumber, E.164 with extensions, and
// a bounded cache (docs/rules.md, "Classify"). The libphonenumber built in
// is a patched copy in phone/libphonenumber (docs/dependencies.md,
// "nyaruka/phonenumbers").
package phone

import (
	"errors"
	"slices"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Trim removes surrounding Unicode white space, including no-break and
// zero-width spaces, which directory values pick up from copy and paste.
func Trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || r == '\u2060'
	})
}

// TrimSet is vals trimmed, without empty texts, sorted and unique: how a
// multi-valued attribute is compared.
func TrimSet(vals []string) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if v = Trim(v); v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Number is the outcome of parsing one text.
type Number struct {
	E164 string // E.164, plus ";ext=N" when the text has an extension; empty when not a phone number
	Why  string // why it is not a phone number
}

// phoneKey caches by text and region: the same text can mean different
// numbers in different regions.
type phoneKey struct{ text, region string }

// Parser normalises phone numbers with a cache. Parsing costs several
// microseconds, so it only happens where two texts differ. Not safe for
// concurrent use: each worker has its own.
type Parser struct {
	cache map[phoneKey]Number
}

// NewParser returns a Parser with an empty cache.
func NewParser() *Parser { return &Parser{cache: make(map[phoneKey]Number, 1024)} }

// maxCache bounds memory: numbers are mostly unique per user, so a cache of
// everything would grow with the directory.
const maxCache = 1 << 16

// Parse normalises a trimmed, non-empty text. A text is a phone number when
// libphonenumber parses it and calls it possible (not "valid": validity
// rejects test ranges and newly allocated ranges).
func (p *Parser) Parse(text, region string) Number {
	k := phoneKey{text, region}
	if r, ok := p.cache[k]; ok {
		return r
	}
	r := parse(text, region)
	if len(p.cache) >= maxCache {
		clear(p.cache)
	}
	p.cache[k] = r
	return r
}

func parse(text, region string) Number {
	num, err := phonenumbers.Parse(text, region)
	if err != nil {
		switch {
		case errors.Is(err, phonenumbers.ErrInvalidCountryCode) && region == "":
			return Number{Why: "a national number and no region for the user (set AD c, usageLocation or --default-region)"}
		case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
			return Number{Why: "not a phone number in region " + region}
		}
		return Number{Why: "not a phone number"}
	}
	if !phonenumbers.IsPossibleNumber(num) {
		return Number{Why: "not a possible phone number (wrong length)"}
	}
	e := phonenumbers.Format(num, phonenumbers.E164)
	if ext := num.GetExtension(); ext != "" {
		e += ";ext=" + ext
	}
	return Number{E164: e}
}

// E164 normalises one text the way classify compares it: trimmed, parsed for
// region, E.164 with ";ext=N". ok is false when it is not a phone number.
func E164(text, region string) (e164 string, ok bool) {
	text = Trim(text)
	if text == "" {
		return "", false
	}
	n := parse(text, region)
	return n.E164, n.E164 != ""
}

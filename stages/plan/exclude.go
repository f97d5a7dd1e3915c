package plan

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"syncgap/pipeline"
)

// Exclusions are users a change board has ruled out of the plan (VIPs,
// shared phones, users under litigation hold): by UPN, DN or Entra object id,
// one per line in the exclusion file.
type Exclusions struct {
	keys map[string]bool
}

// ReadExclusions parses an exclusion list: one UPN, DN or object id per
// line; blank lines and lines starting with # are ignored. name is used in
// errors.
func ReadExclusions(r io.Reader, name string) (*Exclusions, error) {
	e := &Exclusions{keys: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if strings.ContainsAny(text, "\x00\t") {
			return nil, &pipeline.ParseError{File: name, Line: line, Err: fmt.Errorf("a control character in %q: one UPN, DN or object id per line", text)}
		}
		e.keys[key(text)] = true
	}
	if err := sc.Err(); err != nil {
		return nil, &pipeline.ParseError{File: name, Line: line + 1, Err: err}
	}
	return e, nil
}

// key is the comparison form of a UPN, DN or id.
func key(s string) string {
	if strings.Contains(s, "=") {
		return "dn:" + canonDN(s)
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// Has reports whether g's user is excluded; a nil list excludes nobody.
func (e *Exclusions) Has(g *pipeline.Gap) bool {
	if e == nil || len(e.keys) == 0 {
		return false
	}
	return (g.UPN != "" && e.keys[key(g.UPN)]) ||
		(g.DN != "" && e.keys["dn:"+canonDN(g.DN)]) ||
		(g.EntraID != "" && e.keys[strings.ToLower(g.EntraID)])
}

// Len is the number of entries.
func (e *Exclusions) Len() int {
	if e == nil {
		return 0
	}
	return len(e.keys)
}

// String is the canonical list, one entry a line in sorted order: what the
// manifest records, so a replay needs no file outside the snapshot.
func (e *Exclusions) String() string {
	if e == nil {
		return ""
	}
	keys := make([]string, 0, len(e.keys))
	for k := range e.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, "\n")
}

// MarshalText is String, for the manifest's parameters.
func (e *Exclusions) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText reads back what MarshalText wrote.
func (e *Exclusions) UnmarshalText(b []byte) error {
	e.keys = map[string]bool{}
	for _, k := range strings.Split(string(b), "\n") {
		if k != "" {
			e.keys[k] = true
		}
	}
	return nil
}

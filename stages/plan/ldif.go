package plan

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"syncgap/pipeline"
)

// WriteChanges writes the AD actions among actions as an LDIF change file
// (RFC 2849) that ldapmodify and ldifde accept, in compare-and-swap form: an
// action deletes the exact values it expects and adds the new ones in one
// modify, so it fails (noSuchAttribute) instead of overwriting a value that
// changed since the plan. Adding a value where AD had none relies on mobile
// being single-valued; otherMobile adds are checked by apply, which reads
// first. keep selects the actions to write (all decidable ones, or the
// approved ones).
func WriteChanges(w io.Writer, header string, actions []pipeline.Action, keep func(*pipeline.Action) bool) error {
	bw := bufio.NewWriter(w)
	for _, line := range strings.Split(header, "\n") {
		fmt.Fprintf(bw, "# %s\n", comment(line))
	}
	bw.WriteString("version: 1\n")
	for i := range actions {
		a := &actions[i]
		if a.Target != pipeline.TargetAD || !a.Kind.Decidable() || !keep(a) {
			continue
		}
		fmt.Fprintf(bw, "\n# action %s (%s, risk %s): %s\n", a.ActionID, a.Kind, a.Risk, comment(a.Reason))
		attrValue(bw, "dn", a.DN)
		bw.WriteString("changetype: modify\n")
		if len(a.Expected) > 0 {
			fmt.Fprintf(bw, "delete: %s\n", a.Attribute)
			for _, v := range a.Expected {
				attrValue(bw, a.Attribute, v)
			}
			bw.WriteString("-\n")
		}
		if len(a.Value) > 0 {
			fmt.Fprintf(bw, "add: %s\n", a.Attribute)
			for _, v := range a.Value {
				attrValue(bw, a.Attribute, v)
			}
			bw.WriteString("-\n")
		}
	}
	return bw.Flush()
}

// attrValue writes "name: value", or "name:: base64" where RFC 2849 does
// not allow the value as a SAFE-STRING: a leading space, colon or "<", a
// trailing space (tools strip it), any control character or non-ASCII byte.
// A directory value can so never inject a line, a URL reference or a
// changetype into the file.
func attrValue(w *bufio.Writer, name, v string) {
	if safeString(v) {
		fmt.Fprintf(w, "%s: %s\n", name, v)
		return
	}
	fmt.Fprintf(w, "%s:: %s\n", name, base64.StdEncoding.EncodeToString([]byte(v)))
}

func safeString(v string) bool {
	if v == "" {
		return true
	}
	switch v[0] {
	case ' ', ':', '<':
		return false
	}
	if v[len(v)-1] == ' ' {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// comment makes s safe inside a "# …" line: control characters become
// spaces, so a reason quoting a directory value cannot end the comment.
func comment(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
}

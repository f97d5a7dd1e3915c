package ldif

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Writer writes an LDIF change file (RFC 2849) that ldapmodify and ldifde
// accept. Like encoding/csv's Writer it buffers: call Flush at the end and
// check its error.
type Writer struct {
	bw *bufio.Writer
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{bw: bufio.NewWriter(w)} }

// Header writes text as comment lines, then the "version: 1" line.
func (w *Writer) Header(text string) {
	for _, line := range strings.Split(text, "\n") {
		w.bw.WriteString("# ")
		w.bw.WriteString(Comment(line))
		w.bw.WriteByte('\n')
	}
	w.bw.WriteString("version: 1\n")
}

// Modify writes one modify record in compare-and-swap form, after a comment
// line: delete the exact values del (when any), add the values add (when
// any), in one record, so the directory refuses the change
// (noSuchAttribute) when a value it deletes is no longer there.
func (w *Writer) Modify(comment, dn, attr string, del, add []string) {
	w.bw.WriteString("\n# ")
	w.bw.WriteString(Comment(comment))
	w.bw.WriteByte('\n')
	w.value("dn", dn)
	w.bw.WriteString("changetype: modify\n")
	for _, op := range []struct {
		name string
		vals []string
	}{{"delete", del}, {"add", add}} {
		if len(op.vals) == 0 {
			continue
		}
		w.bw.WriteString(op.name + ": " + attr + "\n")
		for _, v := range op.vals {
			w.value(attr, v)
		}
		w.bw.WriteString("-\n")
	}
}

// Flush writes what is buffered and returns the first write error.
func (w *Writer) Flush() error { return w.bw.Flush() }

// value writes "name: value", or "name:: base64" where RFC 2849 does not
// allow the value as a SAFE-STRING: a leading space, colon or "<", a
// trailing space (tools strip it), any control character or non-ASCII byte.
// A directory value can so never inject a line, a URL reference or a
// changetype into the file.
func (w *Writer) value(name, v string) {
	w.bw.WriteString(name)
	if safeString(v) {
		w.bw.WriteString(": ")
		w.bw.WriteString(v)
	} else {
		w.bw.WriteString(":: ")
		w.bw.WriteString(base64.StdEncoding.EncodeToString([]byte(v)))
	}
	w.bw.WriteByte('\n')
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

// Comment makes s safe inside a "# …" line: control characters become
// spaces, so text quoting a directory value cannot end the comment, and any
// other character outside ASCII becomes a \u escape. Values outside ASCII
// are base64 already, so the whole file is ASCII and reads the same in
// every code page: ldifde takes a file without a byte-order mark as ANSI
// (README.md, "Windows").
func Comment(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085':
			b.WriteByte(' ')
		case r < 0x80:
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			fmt.Fprintf(&b, "\\U%08x", r)
		}
	}
	return b.String()
}

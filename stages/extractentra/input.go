package extractentra

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"syncgap/pipeline"
)

// MaxExportBytes bounds one export file (a CSV, a JSON file, one file of a
// page directory). A million users are about 500 MB of Graph pages, and
// the users are held in memory anyway; a bigger file is a mistake (a disk
// image, a sparse file), not an export, and is refused before it is read.
// extractad.MaxLDIFBytes is the same bound for the AD side; within a file,
// a JSON value and a CSV record are bounded at 64 MiB like an LDIF line.
const MaxExportBytes = 16 << 30

// maxRecord bounds one CSV record: an unclosed quote would otherwise make
// the rest of the file one field, held in memory.
const maxRecord = 64 << 20

// openRegular opens an export file (pipeline.OpenInput: a regular file of
// a sane size), read through a limit that fails should it grow past the
// bound while it is read.
func openRegular(path string) (*os.File, io.Reader, error) {
	f, _, r, err := pipeline.OpenInput(path, "an Entra export", MaxExportBytes)
	return f, r, err
}

// notAnExport says what the start of a file that is neither JSON nor a CSV
// export shows it to be, when that is plain: the AD side's LDIF, or a
// table of a snapshot. "" leaves the file to the CSV reader.
func notAnExport(head []byte) string {
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return "is a Parquet table (from a syncgap snapshot?), not an Entra export"
	}
	// An LDIF file starts with comments ("# extended LDIF"), a version
	// line or a dn: line. "#TYPE" is PowerShell's CSV type line, and
	// "version:v1.0" the admin center's bulk CSV template.
	for rest := head; len(rest) > 0; {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimRight(line, "\r")
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			continue
		case line[0] == '#' && !bytes.HasPrefix(line, []byte("#TYPE")):
			continue
		}
		if hasPrefixFold(line, "dn:") || isLDIFVersion(line) {
			return "is an LDIF file (the AD side), not an Entra export: pass it to --ldif"
		}
		return ""
	}
	return ""
}

// isLDIFVersion reports whether line is an LDIF version line: "version: 1".
func isLDIFVersion(line []byte) bool {
	if !hasPrefixFold(line, "version:") {
		return false
	}
	v := bytes.TrimSpace(line[len("version:"):])
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && equalFoldASCII(b[:len(prefix)], prefix)
}

// checkedReader passes CSV text through, refusing what encoding/csv would
// take silently: a byte that is not UTF-8, named by line and column (every
// value must be valid Parquet text, and DuckDB refuses a table that is
// not), and a record longer than maxRecord. The CSV reader's user sets
// mark to the input offset where each record begins.
type checkedReader struct {
	r    io.Reader
	file string
	// Position of buf[0] once buf[:end] is checked: the line and column
	// of the next byte to check.
	line, col int
	buf       []byte
	off, end  int // buf[off:end] is checked and not yet returned
	n         int // buf[end:n] is read, not checked: the start of a cut rune
	err       error
	read      int64 // bytes returned so far
	mark      int64
}

func newCheckedReader(r io.Reader, file string, line int) *checkedReader {
	return &checkedReader{r: r, file: file, line: line, col: 1, buf: make([]byte, 64<<10)}
}

func (c *checkedReader) Read(p []byte) (int, error) {
	for c.off == c.end {
		if c.err != nil {
			return 0, c.err
		}
		c.refill()
	}
	n := copy(p, c.buf[c.off:c.end])
	c.off += n
	c.read += int64(n)
	if c.read-c.mark > maxRecord && c.err == nil {
		c.off, c.end = 0, 0 // nothing more of this record is passed on
		c.err = &pipeline.ParseError{File: c.file, Line: c.line,
			Err: fmt.Errorf("a CSV record longer than %d MiB (a quote that is never closed?)", maxRecord>>20)}
	}
	return n, nil
}

// refill reads more input and checks it up to the last whole rune.
func (c *checkedReader) refill() {
	k := copy(c.buf, c.buf[c.end:c.n])
	c.off, c.end, c.n = 0, 0, k
	m, err := c.r.Read(c.buf[k:])
	c.n += m
	limit := c.n
	if err == nil {
		// Hold back a rune cut by the end of what was read.
		for j := limit - 1; j >= 0 && j >= limit-utf8.UTFMax+1; j-- {
			if utf8.RuneStart(c.buf[j]) {
				if !utf8.FullRune(c.buf[j:limit]) {
					limit = j
				}
				break
			}
		}
	}
	chunk := c.buf[:limit]
	if bad := invalidUTF8(chunk); bad >= 0 {
		c.advance(chunk[:bad])
		c.end, c.n = bad, bad
		c.err = &pipeline.ParseError{File: c.file, Line: c.line, Column: c.col, Err: errNotUTF8}
		return
	}
	c.advance(chunk)
	c.end = limit
	if err != nil {
		c.err = err // at the end nothing was held back: limit == c.n
	}
}

// advance moves the position over checked bytes.
func (c *checkedReader) advance(b []byte) {
	if nl := bytes.Count(b, []byte{'\n'}); nl > 0 {
		c.line += nl
		c.col = len(b) - bytes.LastIndexByte(b, '\n')
		return
	}
	c.col += len(b)
}

// invalidUTF8 returns the offset of the first byte that is not valid UTF-8, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

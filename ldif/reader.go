// Package ldif reads and writes LDIF (RFC 2849): a streaming Reader of
// content records, the shape of encoding/csv (NewReader, Next, errors that
// name file and line), and a Writer of change records in the
// compare-and-swap form apply and ldapmodify use (docs/rules.md, "Apply").
//
// The reader accepts the content exports people actually have: ldapsearch
// (-L, -LL, -LLL and its extended output, paged with -E pr=N/noprompt or
// not), ldifde -f and Samba's ldbsearch.
// It never follows "attr:< URL" values, so an untrusted file cannot make it
// read local files or the network.
package ldif

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"syncgap/pipeline"
)

// Attr is one attribute value of an entry, in file order.
type Attr struct {
	Name    string   // attribute type as written, without options, e.g. "otherMobile"
	Options []string // options such as "range=0-1499" or "binary"; nil when none
	Value   []byte   // decoded value; base64 values are raw octets and may not be UTF-8
	Line    int      // 1-based line where the attribute starts, for errors about its value
}

// Entry is one content record of an LDIF file.
type Entry struct {
	DN    string
	Line  int // 1-based line of the dn: line
	Attrs []Attr
}

// Errors that callers may match with errors.Is; they arrive wrapped in a *pipeline.ParseError.
var (
	// ErrURLValue is an "attr:< URL" value, refused because following it would read files or the network.
	ErrURLValue = errors.New(`URL values ("attr:< URL") are not supported: syncgap never reads files an LDIF names`)
	// ErrChangeRecord is an LDIF change record; only content exports (and ldifde's "changetype: add") are read.
	ErrChangeRecord = errors.New("change records are not supported: this looks like an ldapmodify file")
)

const (
	readBufSize   = 256 << 10
	maxLineBytes  = 64 << 20 // a jpegPhoto is large, a newline-free binary file is larger
	arenaSize     = 64 << 10
	attrSlabSize  = 1024
	attrSlabSpare = 64 // an entry starts in a fresh slab when fewer slots are left
	entrySlabSize = 256
	maxNames      = 4096 // bounds the intern table against hostile input
)

// Reader reads entries from an LDIF content file one at a time.
//
// Entries returned by Next stay valid after later calls: values are carved
// from shared slabs rather than per-value allocations, so keeping one Entry
// keeps its slab (tens of KiB) alive.
type Reader struct {
	br   *bufio.Reader
	name string

	lineNo  int    // physical lines consumed so far
	start   int    // physical line where line begins
	line    []byte // current logical line, unfolded, without its line end
	folds   []int  // offsets in line where each continuation's text begins
	atEOF   bool   // line is the last line of the input
	noFinal bool   // the input does not end with a line end

	began     bool
	sawRecord bool
	// The search result records ldapsearch prints between the pages of a
	// paged search (see outsideEntry): inResult while inside one, sawControl
	// once it has had a control: line, pageBreak from a paged-results
	// trailer until the next entry, where -L and -LL repeat "version: 1".
	inResult   bool
	sawControl bool
	pageBreak  bool
	entries    int
	part       bool // read by NewPartReader: no entries is not an empty file
	err        error
	attrs      []Attr
	names      map[string]string
	arena      []byte
	attrSlab   []Attr
	entrySlab  []Entry
	dnScratch  []byte
}

// NewReader returns a Reader reading LDIF from r; name is used in errors.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{
		br:    bufio.NewReaderSize(r, readBufSize),
		name:  name,
		names: make(map[string]string),
	}
}

// NewPartReader returns a Reader of one part of an LDIF file that a caller
// cut at record boundaries to parse the parts at once: r holds the file from
// a line that starts a record's "dn:" after a blank line (or from the
// file's start), and line is how many lines of the file come before it, so
// entries and errors carry the file's line numbers. Such a line resets
// everything a Reader remembers between records, which is why the parts
// read exactly as the whole file does. A part without entries is not an
// empty file: Next returns io.EOF for it, and the caller judges the file.
func NewPartReader(r io.Reader, name string, line int) *Reader {
	rd := NewReader(r, name)
	rd.lineNo, rd.part = line, true
	return rd
}

// Next returns the next entry, io.EOF after the last one, or a *pipeline.ParseError.
// Errors are sticky: once Next fails it returns the same error forever.
func (r *Reader) Next() (*Entry, error) {
	if r.err != nil {
		return nil, r.err
	}
	e, err := r.next()
	if err != nil {
		if err == io.EOF && r.entries == 0 && !r.part {
			err = &pipeline.ParseError{File: r.name, Err: pipeline.ErrEmptyInput}
		}
		r.err = err
		return nil, err
	}
	r.entries++
	return e, nil
}

func (r *Reader) next() (*Entry, error) {
	if !r.began {
		r.began = true
		if err := r.prologue(); err != nil {
			return nil, err
		}
	}
	// The entry's attributes are appended straight into the slab's free
	// tail (r.attrs aliases it), so finish need not copy them: at a
	// million users that copy, with its write barriers, was a second of
	// CPU. An entry with more attributes than the tail holds is moved by
	// append to an array of its own, which finish then keeps.
	if cap(r.attrSlab)-len(r.attrSlab) < attrSlabSpare {
		r.attrSlab = make([]Attr, 0, attrSlabSize)
	}
	r.attrs = r.attrSlab[len(r.attrSlab):len(r.attrSlab)]
	inEntry := false
	var dn string
	var dnLine int
	for {
		err := r.readLine()
		if err == io.EOF {
			if inEntry {
				return r.finish(dn, dnLine), nil
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		line := r.line
		switch {
		case len(line) == 0: // a blank line ends a record; several in a row are fine
			if inEntry {
				return r.finish(dn, dnLine), nil
			}
			r.inResult, r.sawControl = false, false
			continue
		case line[0] == '#': // folded comments arrive here whole
			// With -L and -LL, ldapsearch writes a page's paged-results
			// control as this comment, and then "version: 1" again.
			if bytes.HasPrefix(line, []byte("# pagedresults:")) && !inEntry {
				r.pageBreak = true
			}
			continue
		case line[0] == ' ' || line[0] == '\t':
			return nil, r.errAt(r.start, 0, errors.New("continuation line with no preceding line (truncated or damaged file?)"))
		}
		typ, opts, kind, val, off, err := r.split()
		if err != nil {
			return nil, err
		}
		isDN := asciiEqualFold(typ, "dn")
		if !inEntry {
			if isDN {
				if dn, err = r.dnValue(kind, val, off, opts); err != nil {
					return nil, err
				}
				inEntry, dnLine, r.sawRecord = true, r.start, true
				r.inResult, r.sawControl, r.pageBreak = false, false, false
				continue
			}
			if err := r.outsideEntry(typ, kind, val); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case isDN:
			return nil, r.errAt(r.start, 0, errors.New(`"dn:" line inside an entry (missing blank line before it?)`))
		case asciiEqualFold(typ, "changetype"):
			// ldifde -f marks every exported entry "changetype: add"; the
			// attributes that follow are plain content, so the record is one.
			if kind == kindPlain && asciiEqualFold(bytes.TrimRight(val, " "), "add") {
				continue
			}
			return nil, r.errAt(r.start, 0, ErrChangeRecord)
		case asciiEqualFold(typ, "control"):
			return nil, r.errAt(r.start, 0, ErrChangeRecord)
		}
		v, err := r.value(kind, val, off, typ, opts)
		if err != nil {
			return nil, err
		}
		r.attrs = append(r.attrs, Attr{Name: r.intern(typ), Options: r.options(opts), Value: v, Line: r.start})
	}
}

// prologue drops a UTF-8 byte order mark and refuses UTF-16, which would
// otherwise fail later with a confusing "no colon" error.
func (r *Reader) prologue() error {
	b, _ := r.br.Peek(3)
	switch {
	case bytes.HasPrefix(b, []byte("\xef\xbb\xbf")):
		_, _ = r.br.Discard(3)
	case bytes.HasPrefix(b, []byte("\xff\xfe")), bytes.HasPrefix(b, []byte("\xfe\xff")):
		return r.errAt(1, 0, errors.New("file is UTF-16 encoded (written by ldifde -u?): convert it to UTF-8"))
	}
	return nil
}

// outsideEntry handles a non-dn line between entries: the version line, and
// the protocol lines of ldapsearch's extended output, which are not entries
// but must not hide a failed search. Without -LLL, a paged search
// (-E pr=1000/noprompt) ends each page with a search result record:
//
//	# search result
//	search: 2
//	result: 0 Success
//	control: 1.2.840.113556.1.4.319 false MAcCAQUEAjEA
//	pagedresults: estimate=5 cookie=MQA=
//
// The control: line and the decoded response controls after it are read
// only inside such a record: elsewhere they are no export's, and a control:
// inside an entry is a change record's (see next).
func (r *Reader) outsideEntry(typ []byte, kind valueKind, val []byte) error {
	switch {
	case asciiEqualFold(typ, "version") && (!r.sawRecord || r.pageBreak):
		if kind != kindPlain || string(bytes.TrimRight(val, " ")) != "1" {
			return r.errAt(r.start, 0, fmt.Errorf("unsupported LDIF version %q (want 1)", pipeline.ShortText(val)))
		}
		r.sawRecord, r.pageBreak = true, false
		return nil
	case asciiEqualFold(typ, "result") && kind == kindPlain:
		if !bytes.HasPrefix(val, []byte("0 ")) && string(val) != "0" {
			return r.errAt(r.start, 0, fmt.Errorf("ldapsearch reported \"result: %s\": the export is incomplete", pipeline.ShortText(val)))
		}
		r.sawRecord, r.inResult = true, true
		return nil
	case asciiEqualFold(typ, "search"):
		r.sawRecord, r.inResult = true, true
		return nil
	case asciiEqualFold(typ, "ref"), asciiEqualFold(typ, "text"), asciiEqualFold(typ, "matchedDN"):
		r.sawRecord = true
		return nil
	case asciiEqualFold(typ, "control") && r.inResult && kind == kindPlain:
		r.sawControl = true
		return nil
	case r.sawControl && kind == kindPlain && isResponseControl(typ):
		if asciiEqualFold(typ, "pagedresults") {
			r.pageBreak = true
		}
		return nil
	}
	return r.errAt(r.start, 0, fmt.Errorf(`attribute line %q before the "dn:" line of an entry`, pipeline.ShortText(typ)))
}

// isResponseControl reports whether typ is a name under which ldapsearch
// (OpenLDAP's tool_print_ctrls) prints a decoded response control after its
// control: line in a search result.
func isResponseControl(typ []byte) bool {
	for _, name := range []string{"pagedresults", "sortResult", "vlvResult", "ppolicy", "authzid"} {
		if asciiEqualFold(typ, name) {
			return true
		}
	}
	return false
}

func (r *Reader) finish(dn string, line int) *Entry {
	n := len(r.attrs)
	attrs := r.attrs[:n:n]
	if s := len(r.attrSlab); n <= cap(r.attrSlab)-s && (n == 0 || &r.attrSlab[s : s+1][0] == &r.attrs[0]) {
		r.attrSlab = r.attrSlab[:s+n] // still in the slab's tail: claim it
	}
	r.attrs = nil
	if len(r.entrySlab) == cap(r.entrySlab) {
		r.entrySlab = make([]Entry, 0, entrySlabSize)
	}
	r.entrySlab = append(r.entrySlab, Entry{DN: dn, Line: line, Attrs: attrs})
	return &r.entrySlab[len(r.entrySlab)-1]
}

// readLine reads one logical line: a physical line plus its continuation
// lines, each with its leading space removed, without line ends.
func (r *Reader) readLine() error {
	r.line = r.line[:0]
	r.folds = r.folds[:0]
	if err := r.appendPhysical(); err != nil {
		return err
	}
	r.start = r.lineNo
	if len(r.line) == 0 {
		return nil // a blank line is never continued: a space after it is an error
	}
	for {
		b, err := r.br.Peek(1)
		if err == io.EOF {
			r.atEOF = true
			return nil
		}
		if err != nil {
			return r.errAt(r.lineNo+1, 0, err)
		}
		if b[0] != ' ' && b[0] != '\t' {
			return nil
		}
		_, _ = r.br.Discard(1)
		r.folds = append(r.folds, len(r.line))
		if err := r.appendPhysical(); err != nil && err != io.EOF {
			return err
		}
	}
}

// appendPhysical appends the next physical line to r.line; io.EOF means there was none.
func (r *Reader) appendPhysical() error {
	n := 0
	for {
		chunk, err := r.br.ReadSlice('\n')
		n += len(chunk)
		r.line = append(r.line, chunk...)
		if len(r.line) > maxLineBytes {
			return r.errAt(r.lineNo+1, 0, fmt.Errorf("line longer than %d MiB", maxLineBytes>>20))
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if n == 0 {
				r.atEOF = true
				return io.EOF
			}
			r.noFinal, r.atEOF = true, true
			break
		}
		if err != nil {
			return r.errAt(r.lineNo+1, 0, err)
		}
		break
	}
	r.lineNo++
	if l := len(r.line); l > 0 && r.line[l-1] == '\n' {
		r.line = r.line[:l-1]
	}
	if l := len(r.line); l > 0 && r.line[l-1] == '\r' {
		r.line = r.line[:l-1]
	}
	return nil
}

type valueKind uint8

const (
	kindPlain valueKind = iota
	kindBase64
	kindURL
)

// split parses "type[;options]:[:|<] value" in r.line. off is the offset of
// val in r.line, so byte-level errors can name their physical line and column.
func (r *Reader) split() (typ, opts []byte, kind valueKind, val []byte, off int, err error) {
	line := r.line
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return nil, nil, 0, nil, 0, r.errAt(r.start, 0, fmt.Errorf("line has no colon: %q", pipeline.ShortText(line)))
	}
	typ = line[:colon]
	if semi := bytes.IndexByte(typ, ';'); semi >= 0 {
		typ, opts = typ[:semi], typ[semi+1:]
	}
	if !validType(typ) || (opts != nil && !validOptions(opts)) {
		return nil, nil, 0, nil, 0, r.errAt(r.start, 0, fmt.Errorf("invalid attribute description %q", pipeline.ShortText(line[:colon])))
	}
	off = colon + 1
	if off < len(line) {
		switch line[off] {
		case ':':
			kind = kindBase64
			off++
		case '<':
			kind = kindURL
			off++
		}
	}
	for off < len(line) && line[off] == ' ' {
		off++
	}
	return typ, opts, kind, line[off:], off, nil
}

// value decodes an attribute value into the arena. Plain values of text
// attributes must be UTF-8. Base64 values are left as raw octets: AD exports
// every binary attribute (objectSid, logonHours, thumbnailPhoto...) that way,
// the reader cannot know them all, and ToADUser checks the text it uses.
func (r *Reader) value(kind valueKind, val []byte, off int, typ, opts []byte) ([]byte, error) {
	switch kind {
	case kindURL:
		return nil, r.errAt(r.start, 0, ErrURLValue)
	case kindBase64:
		val = bytes.TrimRight(val, " ")
		dst := r.alloc(base64.StdEncoding.DecodedLen(len(val)))
		n, err := base64.StdEncoding.Decode(dst, val)
		if err != nil {
			return nil, r.base64Err(err, off, typ)
		}
		return dst[:n:n], nil
	}
	if bad := invalidUTF8(val); bad >= 0 && !isBinary(typ, opts) {
		line, col := r.pos(off + bad)
		return nil, r.errAt(line, col, fmt.Errorf("%s value is not valid UTF-8", typ))
	}
	dst := r.alloc(len(val))
	copy(dst, val)
	return dst, nil
}

// dnValue decodes a DN, which unlike other base64 values must be UTF-8 text.
func (r *Reader) dnValue(kind valueKind, val []byte, off int, opts []byte) (string, error) {
	switch {
	case opts != nil:
		return "", r.errAt(r.start, 0, errors.New(`"dn" cannot take attribute options`))
	case kind == kindURL:
		return "", r.errAt(r.start, 0, ErrURLValue)
	case kind == kindBase64:
		val = bytes.TrimRight(val, " ")
		r.dnScratch = r.dnScratch[:0]
		r.dnScratch = append(r.dnScratch, make([]byte, base64.StdEncoding.DecodedLen(len(val)))...)
		n, err := base64.StdEncoding.Decode(r.dnScratch, val)
		if err != nil {
			return "", r.base64Err(err, off, []byte("dn"))
		}
		if !utf8.Valid(r.dnScratch[:n]) {
			return "", r.errAt(r.start, 0, errors.New("dn (base64) is not valid UTF-8"))
		}
		return string(r.dnScratch[:n]), nil
	}
	if bad := invalidUTF8(val); bad >= 0 {
		line, col := r.pos(off + bad)
		return "", r.errAt(line, col, errors.New("dn is not valid UTF-8"))
	}
	return string(val), nil
}

func (r *Reader) base64Err(err error, off int, typ []byte) error {
	line, col := r.start, 0
	var ce base64.CorruptInputError
	if errors.As(err, &ce) {
		line, col = r.pos(off + int(ce))
	}
	msg := fmt.Sprintf("bad base64 in %s value: %v", typ, err)
	if r.atEOF && r.noFinal {
		msg = "truncated file: " + msg
	}
	return r.errAt(line, col, errors.New(msg))
}

// pos maps an offset in the logical line to its physical line and column.
func (r *Reader) pos(o int) (line, col int) {
	k := 0
	for k < len(r.folds) && r.folds[k] <= o {
		k++
	}
	if k == 0 {
		return r.start, o + 1
	}
	return r.start + k, o - r.folds[k-1] + 2 // column 1 holds the folding space
}

func (r *Reader) errAt(line, col int, err error) error {
	return &pipeline.ParseError{File: r.name, Line: line, Column: col, Err: err}
}

// alloc carves n bytes from the arena; big values get their own allocation
// so they do not waste most of a slab.
func (r *Reader) alloc(n int) []byte {
	if n > arenaSize/4 {
		return make([]byte, n)
	}
	if cap(r.arena)-len(r.arena) < n {
		r.arena = make([]byte, 0, arenaSize)
	}
	s := len(r.arena)
	r.arena = r.arena[:s+n]
	return r.arena[s : s+n : s+n]
}

// intern returns a shared string for an attribute type: exports repeat the
// same few dozen names millions of times.
func (r *Reader) intern(b []byte) string {
	if s, ok := r.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(r.names) < maxNames {
		r.names[s] = s
	}
	return s
}

func (r *Reader) options(opts []byte) []string {
	if opts == nil {
		return nil
	}
	out := make([]string, 0, bytes.Count(opts, []byte(";"))+1)
	for o := range bytes.SplitSeq(opts, []byte(";")) {
		out = append(out, r.intern(o))
	}
	return out
}

// isBinary reports whether an attribute holds octets rather than text.
func isBinary(typ, opts []byte) bool {
	if asciiEqualFold(typ, "objectGUID") || asciiEqualFold(typ, "mS-DS-ConsistencyGuid") {
		return true
	}
	for o := range bytes.SplitSeq(opts, []byte(";")) {
		if asciiEqualFold(o, "binary") {
			return true
		}
	}
	return false
}

// validType accepts an attribute type name or numeric OID (RFC 4512 descr / numericoid).
func validType(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isAlnum(c) && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validOptions is looser than RFC 4512 because AD writes "range=0-1499" and "range=1500-*".
func validOptions(b []byte) bool {
	for o := range bytes.SplitSeq(b, []byte(";")) {
		if len(o) == 0 {
			return false
		}
		for _, c := range o {
			if !isAlnum(c) && c != '-' && c != '=' && c != '*' && c != '.' && c != '_' {
				return false
			}
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// invalidUTF8 returns the offset of the first byte that is not valid UTF-8, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		c, size := utf8.DecodeRune(b[i:])
		if c == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// asciiEqualFold reports whether b equals the ASCII string s ignoring case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c, d := b[i], s[i]
		if c|0x20 != d|0x20 || (c|0x20) < 'a' || (c|0x20) > 'z' {
			if c != d {
				return false
			}
		}
	}
	return true
}

package workbook

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"unicode/utf8"
)

var xmlEncoding = regexp.MustCompile(`encoding\s*=\s*["']([^"']*)["']`)

// xmlScanner is a strict, streaming tokenizer for the worksheet and shared
// strings parts of a signed workbook.
//
// Why not encoding/xml, or excelize's Rows: encoding/xml takes ~26 s to
// tokenize the 380 MB Plan sheet of a million-user plan, and excelize's
// row iterator (built on it) drops every tokenizer error, so a sheet cut
// short or garbled mid-way read as "no more rows": half the decisions.
// This scanner takes about a second and a half for the same sheet and
// refuses anything that is not well-formed: unbalanced or mismatched tags,
// bad attributes, bad entity references, invalid UTF-8 or characters XML
// does not allow, text outside the root, a DOCTYPE (entity expansion has
// no place in a workbook). Namespace prefixes are ignored, as excelize
// ignores them: elements are known by local name.
//
// Memory is one buffer: a tag longer than maxXMLToken is refused; text
// comes in pieces of at most textPiece bytes, for its reader to count.
type xmlScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int
	base     int64 // stream offset of buf[0]
	eof      bool

	// The current token; slices point into buf and are valid until next.
	name      []byte // local name of a start or end tag
	tag       int    // where in buf the current start tag is
	text      []byte // raw text (tokText) or CDATA content (tokCDATA)
	chars     int    // how many characters text is, decoded
	selfClose bool

	stack      []string
	seen       []string            // by depth, the last element name met there
	names      map[string]string   // element names met, to reuse their strings
	offs       []int               // the current tag's attributes: name and value bounds, from tag
	attrSet    map[string]struct{} // attribute names of a tag with many
	rootClosed bool
	pendingEnd bool // a self-closing tag's end, reported on the next call
	started    bool
	bom        int64 // 3 when the part starts with a byte order mark
}

type xmlTok int

const (
	tokEOF xmlTok = iota
	tokStart
	tokEnd
	tokText  // character data, entity references not yet decoded
	tokCDATA // a CDATA section's content, taken literally
)

const (
	maxXMLToken = 1 << 20
	maxXMLDepth = 64
	maxXMLAttrs = 256 // SpreadsheetML elements have a few dozen at most
)

// errXML is malformed XML; xmlError adds where.
var errXML = errors.New("malformed XML")

type xmlError struct {
	off int64
	msg string
}

func (e *xmlError) Error() string { return fmt.Sprintf("malformed XML at byte %d: %s", e.off, e.msg) }
func (e *xmlError) Unwrap() error { return errXML }

// newXMLScanner reads r, which is about size bytes (a part's declared
// size): small parts get a small buffer, which grows as needed.
func newXMLScanner(r io.Reader, size uint64) *xmlScanner {
	n := min(max(size+1, 512), textPiece+(4<<10))
	return &xmlScanner{r: r, buf: make([]byte, n), names: map[string]string{}, attrSet: map[string]struct{}{}}
}

func (s *xmlScanner) errAt(rel int, format string, args ...any) error {
	return &xmlError{off: s.base + int64(s.pos+rel), msg: fmt.Sprintf(format, args...)}
}

// fill reads more input, keeping buf[pos:end]. A read error other than EOF
// (the part is damaged) is returned as is: it already names the part.
func (s *xmlScanner) fill() error {
	if s.eof {
		return nil
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxXMLToken {
			return s.errAt(0, "a tag or text run longer than %d KB", maxXMLToken>>10)
		}
		nb := make([]byte, min(2*len(s.buf), maxXMLToken))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
}

// find returns the index, relative to pos, of the first c at or after
// pos+from, reading on as needed; -1 at the end of input.
func (s *xmlScanner) find(c byte, from int) (int, error) {
	for {
		if s.pos+from <= s.end {
			if i := bytes.IndexByte(s.buf[s.pos+from:s.end], c); i >= 0 {
				return from + i, nil
			}
			from = s.end - s.pos
		}
		if s.eof {
			return -1, nil
		}
		if err := s.fill(); err != nil {
			return -1, err
		}
	}
}

// need makes n bytes from pos available; false at the end of input.
func (s *xmlScanner) need(n int) (bool, error) {
	for s.end-s.pos < n {
		if s.eof {
			return false, nil
		}
		if err := s.fill(); err != nil {
			return false, err
		}
	}
	return true, nil
}

// findSeq finds the end of a sequence (such as "-->") at or after from.
// The sequence must start at or after from; the index returned is of its
// last byte.
func (s *xmlScanner) findSeq(seq string, from int) (int, error) {
	last := seq[len(seq)-1]
	at := from + len(seq) - 1
	for {
		i, err := s.find(last, at)
		if err != nil || i < 0 {
			return i, err
		}
		if string(s.buf[s.pos+i+1-len(seq):s.pos+i+1]) == seq {
			return i, nil
		}
		at = i + 1
	}
}

// textPiece is how much of a long run of text is returned at a time.
const textPiece = 64 << 10

// textRun returns the length of the text at pos: up to the next '<', or a
// piece of a longer run cut where no reference, UTF-8 sequence or CR LF is
// split, so that text of any length streams through a bounded buffer and
// whoever counts it (a cell, a shared string) can stop it at its limit.
func (s *xmlScanner) textRun() (int, error) {
	from := 0
	for {
		if i := bytes.IndexByte(s.buf[s.pos+from:s.end], '<'); i >= 0 {
			return from + i, nil
		}
		if s.eof {
			return s.end - s.pos, nil
		}
		if s.end-s.pos >= textPiece {
			return safeCut(s.buf[s.pos:s.end]), nil
		}
		from = s.end - s.pos
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
}

func safeCut(b []byte) int {
	k := len(b)
	j := k - 1
	for j > 0 && j > k-utf8.UTFMax && b[j]&0xC0 == 0x80 {
		j--
	}
	if !utf8.FullRune(b[j:k]) {
		k = j
	}
	if amp := bytes.LastIndexByte(b[:k], '&'); amp >= 0 && bytes.IndexByte(b[amp:k], ';') < 0 {
		k = amp
	}
	if k > 0 && b[k-1] == '\r' {
		k--
	}
	if k == 0 {
		return len(b) // a malformed reference or sequence: let the check say so
	}
	return k
}

// depth is how many elements are open.
func (s *xmlScanner) depth() int { return len(s.stack) }

// next reads the next token.
func (s *xmlScanner) next() (xmlTok, error) {
	if s.pendingEnd {
		s.pendingEnd = false
		s.stack = s.stack[:len(s.stack)-1]
		if len(s.stack) == 0 {
			s.rootClosed = true
		}
		return tokEnd, nil
	}
	if s.base+int64(s.pos) == 0 && !s.started {
		// A UTF-8 byte order mark, which some writers put first.
		if ok, err := s.need(3); err != nil {
			return tokEOF, err
		} else if ok && bytes.HasPrefix(s.buf[s.pos:], []byte("\xef\xbb\xbf")) {
			s.pos, s.bom = s.pos+3, 3
		}
	}
	for {
		ok, err := s.need(1)
		if err != nil {
			return tokEOF, err
		}
		if !ok {
			if !s.started {
				return tokEOF, s.errAt(0, "no root element")
			}
			if len(s.stack) > 0 {
				return tokEOF, s.errAt(0, "the document ends inside <%s>", s.stack[len(s.stack)-1])
			}
			return tokEOF, nil
		}
		if s.buf[s.pos] != '<' {
			i, err := s.textRun()
			if err != nil {
				return tokEOF, err
			}
			s.text = s.buf[s.pos : s.pos+i]
			if len(s.stack) == 0 {
				if len(bytes.TrimLeft(s.text, " \t\r\n")) != 0 {
					return tokEOF, s.errAt(0, "text outside the root element")
				}
				s.pos += i
				continue
			}
			if s.chars, err = checkXMLText(s.text); err != nil {
				return tokEOF, s.errAt(0, "%v", err)
			}
			s.pos += i
			return tokText, nil
		}
		if ok, err := s.need(2); err != nil {
			return tokEOF, err
		} else if !ok {
			return tokEOF, s.errAt(0, "the document ends inside a tag")
		}
		switch s.buf[s.pos+1] {
		case '/':
			return s.endTag()
		case '?':
			i, err := s.findSeq("?>", 2)
			if err != nil {
				return tokEOF, err
			}
			if i < 0 {
				return tokEOF, s.errAt(0, "unterminated processing instruction")
			}
			decl := bytes.HasPrefix(s.buf[s.pos:s.pos+i], []byte("<?xml")) && i > 5 && isXMLSpace(s.buf[s.pos+5])
			if decl && (s.started || s.base+int64(s.pos) != s.bom) {
				return tokEOF, s.errAt(0, "an XML declaration not at the start")
			}
			if decl {
				// Only UTF-8 is read (Excel, LibreOffice and openpyxl write
				// nothing else); another encoding would read as garbage.
				m := xmlEncoding.FindSubmatch(s.buf[s.pos : s.pos+i])
				if m != nil && !bytes.EqualFold(m[1], []byte("utf-8")) && !bytes.EqualFold(m[1], []byte("utf8")) {
					return tokEOF, s.errAt(0, "encoded as %q; only UTF-8 is read", clipName(string(m[1])))
				}
			}
			s.pos += i + 1
		case '!':
			if ok, err := s.need(9); err != nil {
				return tokEOF, err
			} else if !ok {
				return tokEOF, s.errAt(0, "the document ends inside a declaration")
			}
			switch rest := s.buf[s.pos : s.pos+9]; {
			case bytes.HasPrefix(rest, []byte("<!--")):
				i, err := s.findSeq("-->", 4)
				if err != nil {
					return tokEOF, err
				}
				if i < 0 {
					return tokEOF, s.errAt(0, "unterminated comment")
				}
				s.pos += i + 1
			case string(rest) == "<![CDATA[":
				if len(s.stack) == 0 {
					return tokEOF, s.errAt(0, "CDATA outside the root element")
				}
				i, err := s.findSeq("]]>", 9)
				if err != nil {
					return tokEOF, err
				}
				if i < 0 {
					return tokEOF, s.errAt(0, "unterminated CDATA section")
				}
				s.text = s.buf[s.pos+9 : s.pos+i-2]
				if s.chars, err = checkXMLChars(s.text); err != nil {
					return tokEOF, s.errAt(0, "%v", err)
				}
				s.pos += i + 1
				return tokCDATA, nil
			default:
				// DOCTYPE and its entities: nothing a workbook needs, and
				// the door to entity expansion bombs.
				return tokEOF, s.errAt(0, "a DOCTYPE or other declaration, which a workbook never has")
			}
		default:
			return s.startTag()
		}
	}
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// nameByte classes bytes for names: 1 may start one, 2 only continue one.
var nameByte = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':', c >= 0x80:
			t[c] = 1
		case c >= '0' && c <= '9', c == '-', c == '.':
			t[c] = 2
		}
	}
	return t
}()

func isNameByte(c byte, first bool) bool {
	return nameByte[c] == 1 || (!first && nameByte[c] == 2)
}

// scanName returns the end (relative to pos) of the name at i, where the
// tag's text is buf[pos:pos+limit].
func (s *xmlScanner) scanName(i, limit int) (int, error) {
	b := s.buf[s.pos : s.pos+limit]
	if i >= len(b) || nameByte[b[i]] != 1 {
		return 0, s.errAt(i, "a tag or attribute without a valid name")
	}
	j, ascii := i+1, b[i] < utf8.RuneSelf
	for j < len(b) && nameByte[b[j]] != 0 {
		ascii = ascii && b[j] < utf8.RuneSelf
		j++
	}
	if !ascii && !utf8.Valid(b[i:j]) {
		return 0, s.errAt(i, "a name that is not UTF-8")
	}
	return j, nil
}

func localName(b []byte) ([]byte, bool) {
	if k := bytes.LastIndexByte(b, ':'); k >= 0 {
		return b[k+1:], true
	}
	return b, false
}

func (s *xmlScanner) endTag() (xmlTok, error) {
	gt, err := s.find('>', 2)
	if err != nil {
		return tokEOF, err
	}
	if gt < 0 {
		return tokEOF, s.errAt(0, "the document ends inside an end tag")
	}
	j, err := s.scanName(2, gt)
	if err != nil {
		return tokEOF, err
	}
	for k := j; k < gt; k++ {
		if !isXMLSpace(s.buf[s.pos+k]) {
			return tokEOF, s.errAt(k, "junk in an end tag")
		}
	}
	full := s.buf[s.pos+2 : s.pos+j]
	if len(s.stack) == 0 || s.stack[len(s.stack)-1] != string(full) {
		open := "nothing"
		if len(s.stack) > 0 {
			open = "<" + s.stack[len(s.stack)-1] + ">"
		}
		return tokEOF, s.errAt(0, "end tag </%s> closes %s", clipName(string(full)), open)
	}
	s.name, _ = localName(full)
	s.stack = s.stack[:len(s.stack)-1]
	if len(s.stack) == 0 {
		s.rootClosed = true
	}
	s.pos += gt + 1
	return tokEnd, nil
}

func (s *xmlScanner) startTag() (xmlTok, error) {
	if s.rootClosed {
		return tokEOF, s.errAt(0, "a second root element")
	}
	if len(s.stack) >= maxXMLDepth {
		return tokEOF, s.errAt(0, "elements nested more than %d deep", maxXMLDepth)
	}
	gt, err := s.find('>', 1)
	if err != nil {
		return tokEOF, err
	}
	if gt < 0 {
		return tokEOF, s.errAt(0, "the document ends inside a tag")
	}
	nameEnd, err := s.scanName(1, gt)
	if err != nil {
		return tokEOF, err
	}
	// Offsets are relative to pos: find may move buf while a value
	// holding '>' is read, so slices are made once the tag is in place.
	s.offs = s.offs[:0]
	s.selfClose = false
	i := nameEnd
	for {
		// i is after the name or after an attribute's closing quote.
		sp := i
		for i < gt && isXMLSpace(s.buf[s.pos+i]) {
			i++
		}
		if i == gt {
			break
		}
		if s.buf[s.pos+i] == '/' {
			if i+1 != gt {
				return tokEOF, s.errAt(i, "junk after / in a tag")
			}
			s.selfClose = true
			break
		}
		if sp == i {
			return tokEOF, s.errAt(i, "attributes not separated by space")
		}
		an := i
		if i, err = s.scanName(i, gt); err != nil {
			return tokEOF, err
		}
		anEnd := i
		for i < gt && isXMLSpace(s.buf[s.pos+i]) {
			i++
		}
		if i == gt || s.buf[s.pos+i] != '=' {
			return tokEOF, s.errAt(i, "an attribute without a value")
		}
		i++
		for i < gt && isXMLSpace(s.buf[s.pos+i]) {
			i++
		}
		if i == gt || (s.buf[s.pos+i] != '"' && s.buf[s.pos+i] != '\'') {
			return tokEOF, s.errAt(i, "an attribute value without quotes")
		}
		q := s.buf[s.pos+i]
		vs := i + 1
		// The value may hold '>': look for the closing quote past gt.
		ve, err := s.find(q, vs)
		if err != nil {
			return tokEOF, err
		}
		if ve < 0 {
			return tokEOF, s.errAt(i, "the document ends inside an attribute value")
		}
		if ve >= gt {
			if gt, err = s.find('>', ve+1); err != nil {
				return tokEOF, err
			} else if gt < 0 {
				return tokEOF, s.errAt(i, "the document ends inside a tag")
			}
		}
		if v := s.buf[s.pos+vs : s.pos+ve]; !plainASCII(v) {
			if bytes.IndexByte(v, '<') >= 0 {
				return tokEOF, s.errAt(vs, "'<' in an attribute value")
			}
			if _, err := checkXMLText(v); err != nil {
				return tokEOF, s.errAt(vs, "%v", err)
			}
		}
		// Which of two values a reader takes differs between readers: an
		// attribute given twice is refused. Few tags have more than a
		// handful, so they are compared pairwise up to eight, and through
		// a set beyond (pairwise would be quadratic in a hostile tag).
		name := s.buf[s.pos+an : s.pos+anEnd]
		switch n := len(s.offs) / 4; {
		case n >= maxXMLAttrs:
			return tokEOF, s.errAt(an, "more than %d attributes in one tag", maxXMLAttrs)
		case n < 8:
			for k := 0; k < len(s.offs); k += 4 {
				if string(s.buf[s.pos+s.offs[k]:s.pos+s.offs[k+1]]) == string(name) {
					return tokEOF, s.errAt(an, "attribute %s given twice", clipName(string(name)))
				}
			}
		default:
			if n == 8 {
				clear(s.attrSet)
				for k := 0; k < len(s.offs); k += 4 {
					s.attrSet[string(s.buf[s.pos+s.offs[k]:s.pos+s.offs[k+1]])] = struct{}{}
				}
			}
			if _, dup := s.attrSet[string(name)]; dup {
				return tokEOF, s.errAt(an, "attribute %s given twice", clipName(string(name)))
			}
			s.attrSet[string(name)] = struct{}{}
		}
		s.offs = append(s.offs, an, anEnd, vs, ve)
		i = ve + 1
	}
	s.tag = s.pos
	full := s.buf[s.pos+1 : s.pos+nameEnd]
	// The same elements recur at the same depth (row, c, v): reuse the
	// name held for that depth instead of making a string per tag.
	d := len(s.stack)
	if d >= len(s.seen) {
		s.seen = append(s.seen, "")
	}
	if s.seen[d] != string(full) {
		name, ok := s.names[string(full)]
		if !ok {
			name = string(full)
			if len(s.names) < 256 {
				s.names[name] = name
			}
		}
		s.seen[d] = name
	}
	s.name, _ = localName(full)
	s.stack = append(s.stack, s.seen[d])
	s.started = true
	s.pos += gt + 1
	if s.selfClose {
		s.pendingEnd = true
	}
	return tokStart, nil
}

// attr is the raw value of the current start tag's attribute with this
// local name and no prefix (or any prefix when prefixed), or nil.
func (s *xmlScanner) attr(local string, prefixed bool) []byte {
	for k := 0; k < len(s.offs); k += 4 {
		name := s.buf[s.tag+s.offs[k] : s.tag+s.offs[k+1]]
		l, p := localName(name)
		if p == prefixed && string(l) == local {
			return s.buf[s.tag+s.offs[k+2] : s.tag+s.offs[k+3] : s.tag+s.offs[k+3]]
		}
	}
	return nil
}

// plainASCII is true for text of printable ASCII without '&' or '<': all
// of most attribute values, which then need no closer look.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 || c == '&' || c == '<' {
			return false
		}
	}
	return true
}

// checkXMLText validates character data or an attribute value (entity
// references, UTF-8, characters XML allows) and counts its characters.
func checkXMLText(b []byte) (int, error) {
	if plainASCII(b) {
		return len(b), nil
	}
	n := 0
	for len(b) > 0 {
		amp := bytes.IndexByte(b, '&')
		if amp < 0 {
			c, err := checkXMLChars(b)
			return n + c, err
		}
		c, err := checkXMLChars(b[:amp])
		if err != nil {
			return 0, err
		}
		n += c
		semi := bytes.IndexByte(b[amp:min(len(b), amp+12)], ';')
		if semi < 0 {
			return 0, errors.New("a bad character reference (& not ending in ;)")
		}
		if _, ok := xmlEntity(b[amp+1 : amp+semi]); !ok {
			return 0, fmt.Errorf("an unknown entity &%s;", b[amp+1:amp+semi])
		}
		n++
		b = b[amp+semi+1:]
	}
	return n, nil
}

// checkXMLChars validates UTF-8 and the characters XML 1.0 allows, and
// counts the characters.
func checkXMLChars(b []byte) (int, error) {
	n := 0
	for i := 0; i < len(b); {
		// Eight bytes at a time while they are all printable ASCII: most
		// of a sheet's text is.
		for i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			if (w|(w-0x2020202020202020))&0x8080808080808080 != 0 {
				break
			}
			i, n = i+8, n+8
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return 0, fmt.Errorf("control character %#02x, which XML does not allow", c)
			}
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return 0, errors.New("bytes that are not UTF-8")
		}
		if r == 0xFFFE || r == 0xFFFF {
			return 0, fmt.Errorf("character %U, which XML does not allow", r)
		}
		i += size
		n++
	}
	return n, nil
}

// xmlEntity resolves the name of a reference (between & and ;).
func xmlEntity(name []byte) (rune, bool) {
	switch string(name) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(name) < 2 || name[0] != '#' {
		return 0, false
	}
	var r rune
	digits := name[1:]
	base := rune(10)
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 || len(digits) > 8 {
		return 0, false
	}
	for _, c := range digits {
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, false
		}
		r = r*base + d
	}
	ok := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
	return r, ok
}

// appendXMLText decodes checked text onto dst: references resolved, line
// ends normalized to \n as an XML parser does.
func appendXMLText(dst, b []byte) []byte {
	for len(b) > 0 {
		i := bytes.IndexAny(b, "&\r")
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		if b[i] == '\r' {
			dst = append(dst, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			b = b[i+1:]
			continue
		}
		semi := bytes.IndexByte(b[i:], ';')
		r, _ := xmlEntity(b[i+1 : i+semi])
		dst = utf8.AppendRune(dst, r)
		b = b[i+semi+1:]
	}
	return dst
}

// appendCDATA adds a CDATA section's content, line ends normalized.
func appendCDATA(dst, b []byte) []byte {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\r')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(append(dst, b[:i]...), '\n')
		if i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
	return dst
}

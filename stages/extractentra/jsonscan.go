package extractentra

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"syncgap/pipeline"
)

// scanner is a small streaming JSON tokenizer. encoding/json is too slow for
// a million users (reflection, and no cheap way to learn the line where each
// array element starts), and users need line numbers in every error. The
// scanner keeps a window of the input: it only grows inside a value and is
// compacted between array elements, so memory stays flat for any file size.
type scanner struct {
	file string // as the user named it, for errors
	r    io.Reader
	buf  []byte
	pos  int
	eof  bool
	rerr error // a read error other than io.EOF

	// Newlines are counted lazily up to cnt, so line numbers cost one
	// bytes.Count pass over the input rather than a check per byte.
	cnt       int   // index in buf up to which newlines are counted
	line      int   // 1-based line of buf[cnt]
	lineStart int64 // absolute offset of the first byte of that line
	base      int64 // absolute offset of buf[0]

	key   []byte // reused buffer for object keys
	keyAt int    // index in buf of the last key's opening quote, for errors about it

	// borrowed: buf is the caller's (resetBytes), so it is never released
	// into, grown or reused for the next input.
	borrowed bool
}

const maxDepth = 1000 // deeper nesting is not a directory export; stops runaway recursion

// maxWindow bounds the scanner's window, which holds the value being
// parsed: a user object is a few KiB. The LDIF reader bounds its lines the
// same way, at the same size.
const maxWindow = 64 << 20

func (s *scanner) reset(file string, r io.Reader) {
	buf := s.buf[:0]
	if s.borrowed {
		buf = nil
	}
	*s = scanner{file: file, r: r, buf: buf, key: s.key[:0], line: 1}
	if cap(s.buf) == 0 {
		s.buf = make([]byte, 0, 256<<10)
	}
}

// resetBytes scans b where it is, for an input already in memory (a Graph
// response body, which the transport has read in full and bounded): no
// copy into a window, and b is never written to.
func (s *scanner) resetBytes(file string, b []byte) {
	*s = scanner{file: file, buf: b[:len(b):len(b)], eof: true, borrowed: true, key: s.key[:0], line: 1}
}

// fill reads more input, growing buf when it is full. It never discards
// bytes, so indices into buf stay valid across a fill.
func (s *scanner) fill() bool {
	for !s.eof {
		if len(s.buf) == cap(s.buf) {
			if len(s.buf) >= maxWindow {
				// One user (or one value between users) this long is no
				// export: a file with no break between users, or a hostile
				// one. Growing on would hold all of it in memory.
				s.eof = true
				s.rerr = s.errAt(s.pos, fmt.Errorf("more than %d MiB of JSON without a break between users: "+
					"not a user export (or one user object is absurdly large)", maxWindow>>20))
				return false
			}
			nb := make([]byte, len(s.buf), min(2*cap(s.buf)+4096, maxWindow))
			copy(nb, s.buf)
			s.buf = nb
		}
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.rerr = err
			}
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// ensure makes n bytes available from pos, if the input has them.
func (s *scanner) ensure(n int) bool {
	for len(s.buf)-s.pos < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// release drops consumed input. Callers only release between values, where
// nothing refers to earlier bytes.
func (s *scanner) release() {
	if s.borrowed || s.pos < 64<<10 || s.pos < len(s.buf)/2 {
		return // copying is only worth it once most of the window is consumed
	}
	s.position(s.pos)
	n := copy(s.buf, s.buf[s.pos:])
	s.buf = s.buf[:n]
	s.base += int64(s.pos)
	s.cnt = 0
	s.pos = 0
}

// position returns the 1-based line and column of buf[i]. Positions must be
// asked for in increasing order, which parsing does naturally.
func (s *scanner) position(i int) (line, col int) {
	if i < s.cnt {
		i = s.cnt
	}
	seg := s.buf[s.cnt:i]
	if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
		s.line += n
		s.lineStart = s.base + int64(s.cnt+bytes.LastIndexByte(seg, '\n')+1)
	}
	s.cnt = i
	return s.line, int(s.base + int64(i) - s.lineStart + 1)
}

// errAt is a ParseError at buf[i].
func (s *scanner) errAt(i int, err error) error {
	line, col := s.position(i)
	return &pipeline.ParseError{File: s.file, Line: line, Column: col, Err: err}
}

// errEOF reports input that ended inside a value.
func (s *scanner) errEOF() error {
	if s.rerr != nil {
		return s.readErr()
	}
	return s.errAt(len(s.buf), eofError{})
}

// readErr is the error that ended the input early: a ParseError (a bound
// or an encoding error found below the scanner) as it is, else the read
// error with the file's name.
func (s *scanner) readErr() error {
	var pe *pipeline.ParseError
	if errors.As(s.rerr, &pe) {
		return s.rerr
	}
	return fmt.Errorf("read %s: %w", s.file, s.rerr)
}

// errSyntax names the offending character the way encoding/json does.
func (s *scanner) errSyntax(context string) error {
	return s.errAt(s.pos, fmt.Errorf("invalid character %s %s", quoteChar(s.buf[s.pos]), context))
}

func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}

// eofError is input that ends inside a value. It prints encoding/json's
// wording, which users search for, and still matches io.ErrUnexpectedEOF.
type eofError struct{}

func (eofError) Error() string        { return "unexpected end of JSON input" }
func (eofError) Is(target error) bool { return target == io.ErrUnexpectedEOF }

// peek skips whitespace and returns the next byte without consuming it;
// ok is false at the end of the input.
func (s *scanner) peek() (c byte, ok bool) {
	for {
		for s.pos < len(s.buf) {
			c = s.buf[s.pos]
			switch c {
			case ' ', '\n', '\r', '\t':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// next is peek for places where the input must go on.
func (s *scanner) next() (byte, error) {
	c, ok := s.peek()
	if !ok {
		return 0, s.errEOF()
	}
	return c, nil
}

// readString decodes the string at pos (which holds '"') and appends it to
// dst. Invalid UTF-8 is refused (see utf8At): every value must be valid
// Parquet text, and a file in another encoding must not become users
// whose names are full of U+FFFD.
func (s *scanner) readString(dst []byte) ([]byte, error) {
	s.pos++
	for {
		i := s.pos
		for i < len(s.buf) {
			c := s.buf[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c >= utf8.RuneSelf {
				n, err := s.utf8At(i)
				if err != nil {
					return dst, err
				}
				if n == 0 {
					break // the rest of the rune is not read yet
				}
				i += n
				continue
			}
			i++
		}
		dst = append(dst, s.buf[s.pos:i]...)
		s.pos = i
		if i == len(s.buf) || s.buf[i] >= utf8.RuneSelf {
			if !s.fill() && i == len(s.buf) {
				return dst, s.errEOF()
			}
			continue
		}
		switch c := s.buf[i]; {
		case c == '"':
			s.pos++
			return dst, nil
		case c < 0x20:
			return dst, s.errSyntax("in string literal")
		}
		var err error
		if dst, err = s.readEscape(dst); err != nil {
			return dst, err
		}
	}
}

// readEscape decodes one backslash escape at pos.
func (s *scanner) readEscape(dst []byte) ([]byte, error) {
	if !s.ensure(2) {
		return dst, s.errEOF()
	}
	s.pos++ // the backslash
	c := s.buf[s.pos]
	switch c {
	case '"', '\\', '/':
		dst = append(dst, c)
	case 'b':
		dst = append(dst, '\b')
	case 'f':
		dst = append(dst, '\f')
	case 'n':
		dst = append(dst, '\n')
	case 'r':
		dst = append(dst, '\r')
	case 't':
		dst = append(dst, '\t')
	case 'u':
		s.pos++
		r, err := s.readHex4()
		if err != nil {
			return dst, err
		}
		if utf16.IsSurrogate(r) {
			// A high surrogate pairs with a following \uXXXX low surrogate;
			// a lone one is replaced, as encoding/json does.
			r2 := utf8.RuneError
			if s.ensure(2) && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
				save := s.pos
				s.pos += 2
				low, err := s.readHex4()
				if err != nil {
					return dst, err
				}
				if d := utf16.DecodeRune(r, low); d != utf8.RuneError {
					r2 = d
				} else {
					s.pos = save // not a pair: decode the second escape on its own
				}
			}
			r = r2
		}
		return utf8.AppendRune(dst, r), nil
	default:
		return dst, s.errSyntax("in string escape code")
	}
	s.pos++
	return dst, nil
}

func (s *scanner) readHex4() (rune, error) {
	if !s.ensure(4) {
		return 0, s.errEOF()
	}
	var r rune
	for k := 0; k < 4; k++ {
		c := s.buf[s.pos]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, s.errSyntax("in \\u hexadecimal character escape")
		}
		r = r<<4 | rune(c)
		s.pos++
	}
	return r, nil
}

// skipString consumes a string without decoding it; used for the many
// properties (displayName, mail, …) the audit does not need.
func (s *scanner) skipString() error {
	s.pos++
	for {
		for s.pos < len(s.buf) {
			c := s.buf[s.pos]
			switch {
			case c == '"':
				s.pos++
				return nil
			case c == '\\':
				if !s.ensure(2) {
					return s.errEOF()
				}
				if s.buf[s.pos+1] == 'u' {
					s.pos += 2
					if _, err := s.readHex4(); err != nil {
						return err
					}
					continue
				}
				switch s.buf[s.pos+1] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					s.pos += 2
				default:
					s.pos++
					return s.errSyntax("in string escape code")
				}
			case c < 0x20:
				return s.errSyntax("in string literal")
			case c >= utf8.RuneSelf:
				n, err := s.utf8At(s.pos)
				if err != nil {
					return err
				}
				if n == 0 {
					goto more // the rest of the rune is not read yet
				}
				s.pos += n
			default:
				s.pos++
			}
		}
	more:
		if !s.fill() {
			if s.pos < len(s.buf) { // a rune cut by the end of the input
				if _, err := s.utf8At(s.pos); err != nil {
					return err
				}
			}
			return s.errEOF()
		}
	}
}

// utf8At checks the multi-byte rune at buf[i]: its length, 0 when the
// input read so far ends inside it (fill, then ask again), or a ParseError
// at that byte when it is not UTF-8. Escapes (\uXXXX) are decoded to valid
// UTF-8 and need no check; raw bytes do.
func (s *scanner) utf8At(i int) (int, error) {
	b := s.buf[i:]
	if !utf8.FullRune(b) && !s.eof {
		return 0, nil
	}
	if r, n := utf8.DecodeRune(b); r != utf8.RuneError || n > 1 {
		return n, nil
	}
	return 0, s.errAt(i, errNotUTF8)
}

// errNotUTF8 is a byte that is not UTF-8, most often an export saved in a
// Windows code page (Excel's "CSV" is Windows-1252).
var errNotUTF8 = errors.New("not valid UTF-8 (saved in another encoding, such as Windows-1252? export it again as UTF-8)")

// literal consumes true, false or null.
func (s *scanner) literal(word string) error {
	for k := 0; k < len(word); k++ {
		if !s.ensure(1) {
			return s.errEOF()
		}
		if s.buf[s.pos] != word[k] {
			return s.errSyntax("in literal " + word + " (expecting " + quoteChar(word[k]) + ")")
		}
		s.pos++
	}
	return nil
}

// skipNumber consumes a number; its value is never needed, so the grammar
// is checked only loosely.
func (s *scanner) skipNumber() error {
	n := 0
	for {
		for s.pos < len(s.buf) {
			switch s.buf[s.pos] {
			case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', '+', '.', 'e', 'E':
				s.pos++
				n++
			default:
				if n == 0 {
					return s.errSyntax("looking for beginning of value")
				}
				return nil
			}
		}
		if !s.fill() {
			return nil
		}
	}
}

// skipValue consumes any JSON value.
func (s *scanner) skipValue(depth int) error {
	if depth > maxDepth {
		return s.errAt(s.pos, errors.New("JSON nested too deeply"))
	}
	c, err := s.next()
	if err != nil {
		return err
	}
	switch c {
	case '{':
		more, err := s.beginObject()
		for more && err == nil {
			if _, err = s.objectKey(); err != nil {
				return err
			}
			if err = s.skipValue(depth + 1); err != nil {
				return err
			}
			more, err = s.objectNext()
		}
		return err
	case '[':
		more, err := s.beginArray()
		for more && err == nil {
			if err = s.skipValue(depth + 1); err != nil {
				return err
			}
			more, err = s.arrayNext()
		}
		return err
	case '"':
		return s.skipString()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return s.skipNumber()
	}
	return s.errSyntax("looking for beginning of value")
}

// Objects and arrays are walked with small iterator calls rather than
// callbacks, so the per-user hot path allocates nothing:
//
//	more, err := s.beginObject()
//	for more && err == nil { key, _ := s.objectKey(); …value…; more, err = s.objectNext() }

// beginObject consumes '{' (pos must be at it); more is false for {}.
func (s *scanner) beginObject() (more bool, err error) {
	s.pos++
	c, err := s.next()
	if err != nil {
		return false, err
	}
	if c == '}' {
		s.pos++
		return false, nil
	}
	return true, nil
}

// objectKey reads a member's key and the colon after it. The key lives in a
// buffer the next objectKey call overwrites, also in nested objects, so
// callers must be done with it before they parse the value.
func (s *scanner) objectKey() ([]byte, error) {
	c, err := s.next()
	if err != nil {
		return nil, err
	}
	if c != '"' {
		return nil, s.errSyntax("looking for beginning of object key string")
	}
	s.keyAt = s.pos
	if s.key, err = s.readString(s.key[:0]); err != nil {
		return nil, err
	}
	if c, err = s.next(); err != nil {
		return nil, err
	}
	if c != ':' {
		return nil, s.errSyntax("after object key")
	}
	s.pos++
	return s.key, nil
}

// objectNext consumes the ',' or '}' after a member's value.
func (s *scanner) objectNext() (more bool, err error) {
	c, err := s.next()
	if err != nil {
		return false, err
	}
	switch c {
	case ',':
		s.pos++
		return true, nil
	case '}':
		s.pos++
		return false, nil
	}
	return false, s.errSyntax("after object key:value pair")
}

// beginArray consumes '[' (pos must be at it); more is false for [].
func (s *scanner) beginArray() (more bool, err error) {
	s.pos++
	c, err := s.next()
	if err != nil {
		return false, err
	}
	if c == ']' {
		s.pos++
		return false, nil
	}
	return true, nil
}

// arrayNext consumes the ',' or ']' after an element.
func (s *scanner) arrayNext() (more bool, err error) {
	c, err := s.next()
	if err != nil {
		return false, err
	}
	switch c {
	case ',':
		s.pos++
		return true, nil
	case ']':
		s.pos++
		return false, nil
	}
	return false, s.errSyntax("after array element")
}

package workbook

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// sheetRows are the data rows of one streamed sheet part, as the XML
// excelize's StreamWriter would write for them, compressed as they are
// added. excelize spends about a microsecond and several allocations a
// cell (a cell name, an escaped copy, a struct), which for the million-user
// plan workbook's nine million cells was the largest cost of a plan; the
// rows here cost a fraction of that. The sheet's frame (column widths,
// header row, autofilter, protection, print setup) is still excelize's:
// sortedZip splices these rows in before the part's </sheetData>.
//
// The XML is compressed by a goroutine of its own while the next rows are
// written, on the core the workbook otherwise leaves idle, into a spill
// file beside the workbook: ten million users' sheets are gigabytes of XML
// and hundreds of megabytes compressed, more than the memory budget
// should hold (docs/architecture.md, "Memory").
type sheetRows struct {
	ctx   context.Context // checked as each buffer is handed over: Ctrl-C ends a sheet of millions of rows
	cols  []string        // column letters
	style []int           // per column: the style a plain cell gets
	buf   []byte          // XML not yet handed to the compressor
	rows  int

	work   chan []byte // XML to compress, in order
	spare  chan []byte // buffers the compressor is done with
	done   chan error
	closed bool

	// Written by the compressor; read once done has answered.
	spill *os.File // the raw deflate stream, from offset 0
	out   *countingWriter
	bw    *bufio.Writer
	fw    *flate.Writer
	crc   uint32
	size  int64 // uncompressed bytes
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// rowSet is every sheetRows of one workbook: those finished, by sheet
// name, for the zip writer to splice in, and all of them, so that their
// compressors end and their spill files close however the workbook ends.
type rowSet struct {
	ctx     context.Context
	bySheet map[string]*sheetRows
	all     []*sheetRows
	dir     string // where the spill files go
}

func newRowSet(ctx context.Context, dir string) *rowSet {
	return &rowSet{ctx: ctx, bySheet: map[string]*sheetRows{}, dir: dir}
}

// stop ends every compressor still running (after an error) and closes
// and removes every spill file.
func (s *rowSet) stop() {
	for _, r := range s.all {
		r.stop()
		r.release()
	}
}

// add starts the rows of a sheet part whose columns have style.
func (s *rowSet) add(style []int) (*sheetRows, error) {
	r, err := newSheetRows(style, s.dir)
	if err != nil {
		return nil, err
	}
	r.ctx = s.ctx
	s.all = append(s.all, r)
	return r, nil
}

// rowFlush is how much XML sheetRows buffers before compressing it.
const rowFlush = 256 << 10

// newSheetRows starts the rows of a sheet part, spilling into a new file
// in dir.
func newSheetRows(style []int, dir string) (*sheetRows, error) {
	r := &sheetRows{style: style, cols: make([]string, len(style))}
	for i := range style {
		name, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return nil, err
		}
		r.cols[i] = name
	}
	f, err := os.CreateTemp(dir, "rows-")
	if err != nil {
		return nil, fmt.Errorf("spill file: %w", err)
	}
	r.spill = f
	r.out = &countingWriter{w: f}
	r.bw = bufio.NewWriterSize(r.out, 256<<10)
	fw, err := flate.NewWriter(r.bw, flate.BestSpeed)
	if err != nil {
		r.release()
		return nil, err
	}
	r.fw = fw
	r.work, r.spare, r.done = make(chan []byte, 2), make(chan []byte, 3), make(chan error, 1)
	r.buf = make([]byte, 0, rowFlush+rowFlush/4)
	go r.compress()
	return r, nil
}

// release closes and removes the spill file.
func (r *sheetRows) release() {
	if r.spill != nil {
		r.spill.Close()
		os.Remove(r.spill.Name())
		r.spill = nil
	}
}

// compressed is the deflate stream of the rows, for the zip writer to
// copy, and its length.
func (r *sheetRows) compressed() (io.Reader, int64, error) {
	if r.spill == nil {
		return nil, 0, fmt.Errorf("rows of %d lines: spill file already released", r.rows)
	}
	if _, err := r.spill.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return io.LimitReader(r.spill, r.out.n), r.out.n, nil
}

// compress deflates the XML handed to it, in order, then ends the stream
// with a sync flush, not a final block, so that the part's remaining XML
// can follow it.
func (r *sheetRows) compress() {
	var err error
	for b := range r.work {
		if err == nil {
			r.crc = crc32.Update(r.crc, crc32.IEEETable, b)
			r.size += int64(len(b))
			_, err = r.fw.Write(b)
		}
		select {
		case r.spare <- b[:0]:
		default:
		}
	}
	if err == nil {
		err = r.fw.Flush()
	}
	if err == nil {
		err = r.bw.Flush()
	}
	r.done <- err
}

// add writes row n (1-based) with vals; height, when above 0, is the row's
// custom height in points. vals hold nil (no cell), strings and
// excelize.Cell values with a string, nil or a formula, as tableWriter's
// callers pass.
func (r *sheetRows) add(n int, vals []any, height float64) error {
	b := r.buf
	b = append(b, `<row r="`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, '"')
	if height > 0 {
		if height > excelize.MaxRowHeight {
			return excelize.ErrMaxRowHeight
		}
		b = append(b, ` ht="`...)
		b = strconv.AppendFloat(b, height, 'f', -1, 64)
		b = append(b, `" customHeight="1"`...)
	}
	b = append(b, '>')
	for i, v := range vals {
		if v == nil {
			continue
		}
		if i >= len(r.cols) {
			return fmt.Errorf("row %d: %d values for %d columns", n, len(vals), len(r.cols))
		}
		style := r.style[i]
		var text, formula string
		empty := false // a styled cell without a value
		switch v := v.(type) {
		case string:
			text = v
		case excelize.Cell:
			if v.StyleID > 0 {
				style = v.StyleID
			}
			formula = v.Formula
			switch val := v.Value.(type) {
			case string:
				if formula != "" {
					return fmt.Errorf("row %d column %s: a formula cell with a value", n, r.cols[i])
				}
				text = val
			case nil:
				empty = formula == ""
			default:
				return fmt.Errorf("row %d column %s: %T value, want text", n, r.cols[i], v.Value)
			}
		default:
			return fmt.Errorf("row %d column %s: %T value, want text", n, r.cols[i], v)
		}
		b = append(b, `<c r="`...)
		b = append(b, r.cols[i]...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, '"')
		if style != 0 {
			b = append(b, ` s="`...)
			b = strconv.AppendInt(b, int64(style), 10)
			b = append(b, '"')
		}
		if empty {
			b = append(b, `></c>`...)
			continue
		}
		if formula != "" {
			// As excelize: a formula cell is of type str, its value left
			// for the spreadsheet to compute.
			b = append(b, ` t="str"><f>`...)
			b = appendEscaped(b, formula)
			b = append(b, `</f></c>`...)
			continue
		}
		b = append(b, ` t="inlineStr"><is><t`...)
		text = clipUTF16(text)
		if text != "" && (edgeSpace(text[0]) || edgeSpace(text[len(text)-1])) {
			b = append(b, ` xml:space="preserve"`...)
		}
		b = append(b, '>')
		b = appendCellText(b, text)
		b = append(b, `</t></is></c>`...)
	}
	b = append(b, `</row>`...)
	r.buf = b
	r.rows++
	if len(b) >= rowFlush {
		if r.ctx != nil && r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		return r.flush()
	}
	return nil
}

// flush hands the buffered XML to the compressor.
func (r *sheetRows) flush() error {
	if len(r.buf) == 0 {
		return nil
	}
	r.work <- r.buf
	select {
	case b := <-r.spare:
		r.buf = b
	default:
		r.buf = make([]byte, 0, rowFlush+rowFlush/4)
	}
	return nil
}

// finish compresses the last rows and waits for the compressor: out, crc
// and size are complete when it returns.
func (r *sheetRows) finish() error {
	if err := r.flush(); err != nil {
		return err
	}
	r.buf = nil
	r.closed = true
	close(r.work)
	return <-r.done
}

// stop ends the compressor if finish did not.
func (r *sheetRows) stop() {
	if !r.closed {
		r.closed = true
		close(r.work)
		<-r.done
	}
}

func edgeSpace(c byte) bool { return c == '\t' || c == '\n' || c == '\r' || c == ' ' }

// clipUTF16 cuts s to Excel's limit of TotalCellChars UTF-16 units, as
// excelize does; a UTF-16 unit takes at least a byte of UTF-8, so shorter
// strings need no count.
func clipUTF16(s string) string {
	if len(s) <= excelize.TotalCellChars {
		return s
	}
	units := 0
	for i, c := range s {
		units += utf16.RuneLen(c)
		if units > excelize.TotalCellChars {
			return s[:i]
		}
	}
	return s
}

// plainText reports whether s is printable ASCII that XML and Excel take as
// it is: most directory values are.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			return false
		}
	}
	return true
}

// appendCellText appends s as excelize writes an inline string: escaped as
// encoding/xml's EscapeText does, except that line feeds stay, characters
// XML cannot hold replaced by U+FFFD, and Excel's _xHHHH_ escapes
// protected.
func appendCellText(b []byte, s string) []byte {
	bstr := strings.Contains(s, "_x")
	if plainText(s) && !bstr {
		return append(b, s...)
	}
	start := len(b)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch c {
			case '"':
				b = append(b, "&#34;"...)
			case '\'':
				b = append(b, "&#39;"...)
			case '&':
				b = append(b, "&amp;"...)
			case '<':
				b = append(b, "&lt;"...)
			case '>':
				b = append(b, "&gt;"...)
			case '\t':
				b = append(b, "&#x9;"...)
			case '\n':
				b = append(b, '\n')
			case '\r':
				b = append(b, "&#xD;"...)
			default:
				if c < 0x20 {
					b = append(b, "\uFFFD"...)
				} else {
					b = append(b, c)
				}
			}
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		if !xmlChar(r) || (r == utf8.RuneError && width == 1) {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+width]...)
		}
		i += width
	}
	if bstr {
		esc := bstrEscape(string(b[start:]))
		b = append(b[:start], esc...)
	}
	return b
}

// xmlChar is encoding/xml's isInCharacterRange: the characters XML 1.0
// can hold.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// appendEscaped appends s XML-escaped, as excelize writes formulas.
func appendEscaped(b []byte, s string) []byte {
	if plainText(s) {
		return append(b, s...)
	}
	var esc bytes.Buffer
	xml.EscapeText(&esc, []byte(s))
	return append(b, esc.Bytes()...)
}

var (
	bstrPattern       = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	bstrEscapePattern = regexp.MustCompile(`x[a-fA-F\d]{4}_`)
)

// bstrEscape is excelize's bstrMarshal: text that looks like one of
// Excel's _xHHHH_ character escapes gets its underscore escaped, so it
// reads back as written.
func bstrEscape(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	matches, l, cursor := bstrPattern.FindAllStringSubmatchIndex(s, -1), len(s), 0
	var result strings.Builder
	for _, match := range matches {
		result.WriteString(s[cursor:match[0]])
		sub := s[match[0]:match[1]]
		if sub == "_x005F_" {
			cursor = match[1]
			if match[1]+6 <= l && bstrEscapePattern.MatchString(s[match[1]:match[1]+6]) {
				if _, err := strconv.Unquote(`"\u` + s[match[1]+1:match[1]+5] + `"`); err == nil {
					result.WriteString(sub + "x005F" + sub)
					continue
				}
			}
			result.WriteString(sub + "x005F_")
			continue
		}
		if bstrPattern.MatchString(sub) {
			cursor = match[1]
			if _, err := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`); err == nil {
				result.WriteString("_x005F" + sub)
				continue
			}
		}
	}
	if cursor < l {
		result.WriteString(s[cursor:])
	}
	return result.String()
}

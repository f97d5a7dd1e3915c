package workbook

import (
	"bytes"
	"compress/flate"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

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
type sheetRows struct {
	cols  []string // column letters
	style []int    // per column: the style a plain cell gets
	buf   []byte   // XML not yet compressed
	out   bytes.Buffer
	fw    *flate.Writer
	crc   uint32
	size  int64
	rows  int
}

// rowFlush is how much XML sheetRows buffers before compressing it.
const rowFlush = 256 << 10

func newSheetRows(style []int) (*sheetRows, error) {
	r := &sheetRows{style: style, cols: make([]string, len(style))}
	for i := range style {
		name, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return nil, err
		}
		r.cols[i] = name
	}
	fw, err := flate.NewWriter(&r.out, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	r.fw = fw
	return r, nil
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
		return r.flush()
	}
	return nil
}

func (r *sheetRows) flush() error {
	r.crc = crc32.Update(r.crc, crc32.IEEETable, r.buf)
	r.size += int64(len(r.buf))
	_, err := r.fw.Write(r.buf)
	r.buf = r.buf[:0]
	return err
}

// finish ends the rows' deflate stream with a sync flush, not a final
// block, so that the part's remaining XML can follow it.
func (r *sheetRows) finish() error {
	if err := r.flush(); err != nil {
		return err
	}
	r.buf = nil
	return r.fw.Flush()
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

// appendCellText appends s as excelize writes an inline string: XML
// escaped (line feeds kept), characters XML cannot hold replaced by
// U+FFFD, and Excel's _xHHHH_ escapes protected.
func appendCellText(b []byte, s string) []byte {
	if plainText(s) && !strings.Contains(s, "_x") {
		return append(b, s...)
	}
	var esc bytes.Buffer
	xml.EscapeText(&esc, []byte(s))
	return append(b, bstrEscape(strings.ReplaceAll(esc.String(), "&#xA;", "\n"))...)
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

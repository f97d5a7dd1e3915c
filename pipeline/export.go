package pipeline

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ExportFormat is a text format a table can be exported to.
type ExportFormat string

// Export formats (docs/tables.md, "Exports").
const (
	// ExportCSV is CSV in UTF-8 with a byte order mark and CRLF line ends,
	// which Excel and Windows PowerShell 5.1's Import-Csv read as UTF-8.
	ExportCSV ExportFormat = "csv"
	// ExportJSON is a JSON array of objects, one a line, in ASCII: every
	// other character is a \u escape, so a reader that guesses the encoding
	// (Windows PowerShell 5.1's Get-Content) cannot misread it.
	ExportJSON ExportFormat = "json"
)

// LeadColumn is a column exported first under another name, before the
// table's own columns.
type LeadColumn struct{ Name, Column string }

// CompareColumns lead the gaps export: the columns of ADSyncTools'
// Compare-ADSyncToolsDirSyncOverrides CSV, so scripts written for that CSV
// read ours.
var CompareColumns = []LeadColumn{{"UserPrincipalName", "upn"}, {"MobileInAD", "mobile_ad"}, {"MobileInEntra", "mobile_entra"}}

// ListSeparator joins a list cell (otherMobile's values) in a CSV export.
const ListSeparator = ";"

// ExportTable writes the table file at path to w in format: lead first,
// then every column in the file's order; it returns the rows written. Rows
// are streamed a batch at a time, so a table of millions exports in
// bounded memory.
func ExportTable(w io.Writer, path string, format ExportFormat, lead []LeadColumn) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return 0, fmt.Errorf("%s: not a Parquet table: %w", path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 16 * 1024}, memory.DefaultAllocator)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	sc, err := fr.Schema()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	var names []string
	var cols []int // schema index of each exported column
	for _, l := range lead {
		idx := sc.FieldIndices(l.Column)
		if len(idx) == 0 {
			return 0, fmt.Errorf("%s: no column %q", path, l.Column)
		}
		names, cols = append(names, l.Name), append(cols, idx[0])
	}
	for i, fld := range sc.Fields() {
		names, cols = append(names, fld.Name), append(cols, i)
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	defer rr.Release()
	var out rowWriter
	switch format {
	case ExportCSV:
		out = newCSVRows(w, names)
	case ExportJSON:
		out = newJSONRows(w, names)
	default:
		return 0, fmt.Errorf("export format %q: csv or json", format)
	}
	var n int64
	cells := make([]cell, len(cols))
	for rr.Next() {
		rec := rr.RecordBatch()
		for r := 0; r < int(rec.NumRows()); r++ {
			for i, c := range cols {
				cells[i] = cellAt(rec.Column(c), r)
			}
			if err := out.row(cells); err != nil {
				return n, err
			}
			n++
		}
	}
	if err := rr.Err(); err != nil && err != io.EOF {
		return n, fmt.Errorf("%s: %w", path, err)
	}
	return n, out.close()
}

// cell is one value of a row: text, a list of texts, or null.
type cell struct {
	null   bool
	text   string
	list   []string
	isList bool
	raw    bool // text is a JSON literal (a number or a boolean)
}

// cellAt reads row r of an Arrow column of one of the kinds tables use
// (codec.go): string, list of string, boolean, int64, timestamp.
func cellAt(col arrow.Array, r int) cell {
	if col.IsNull(r) {
		return cell{null: true, isList: col.DataType().ID() == arrow.LIST}
	}
	switch a := col.(type) {
	case *array.String:
		return cell{text: a.Value(r)}
	case *array.List:
		vals := a.ListValues().(*array.String)
		start, end := a.ValueOffsets(r)
		list := make([]string, 0, end-start)
		for i := start; i < end; i++ {
			list = append(list, vals.Value(int(i)))
		}
		return cell{list: list, isList: true}
	case *array.Boolean:
		return cell{text: strconv.FormatBool(a.Value(r)), raw: true}
	case *array.Int64:
		return cell{text: strconv.FormatInt(a.Value(r), 10), raw: true}
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return cell{text: a.Value(r).ToTime(unit).UTC().Format(time.RFC3339Nano)}
	}
	return cell{text: col.ValueStr(r)}
}

type rowWriter interface {
	row([]cell) error
	close() error
}

type csvRows struct {
	w      *csv.Writer
	record []string
}

func newCSVRows(w io.Writer, names []string) *csvRows {
	io.WriteString(w, "\uFEFF")
	c := &csvRows{w: csv.NewWriter(w), record: make([]string, len(names))}
	c.w.UseCRLF = true
	c.w.Write(names)
	return c
}

func (c *csvRows) row(cells []cell) error {
	for i, v := range cells {
		switch {
		case v.null:
			c.record[i] = ""
		case v.isList:
			parts := make([]string, len(v.list))
			for j, s := range v.list {
				parts[j] = csvSafe(s)
			}
			c.record[i] = strings.Join(parts, ListSeparator)
		default:
			c.record[i] = csvSafe(v.text)
		}
	}
	return c.w.Write(c.record)
}

func (c *csvRows) close() error {
	c.w.Flush()
	return c.w.Error()
}

// phoneShaped is a value a spreadsheet may show oddly but never runs: a
// phone number, or the punctuation of one ("-" as a placeholder), which
// holds no name a formula could call.
var phoneShaped = regexp.MustCompile(`^[0-9 ()./+\-]*((x|ext\.?) ?[0-9]+)?$`)

// csvSafe keeps a spreadsheet from running a cell as a formula: text
// that starts with = + - @, a tab or a carriage return gets a leading
// apostrophe, unless it is a phone number (+1 425 555 0100 stays as it is:
// it is the data this tool is about, and a formula of digits calls nothing).
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if !phoneShaped.MatchString(s) {
			return "'" + s
		}
	}
	return s
}

type jsonRows struct {
	w     io.Writer
	keys  []string
	buf   []byte
	first bool
	err   error
}

func newJSONRows(w io.Writer, names []string) *jsonRows {
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = string(asciiJSON(nil, n)) + ":"
	}
	j := &jsonRows{w: w, keys: keys, first: true}
	_, j.err = io.WriteString(w, "[")
	return j
}

func (j *jsonRows) row(cells []cell) error {
	if j.err != nil {
		return j.err
	}
	b := j.buf[:0]
	if !j.first {
		b = append(b, ',')
	}
	j.first = false
	b = append(b, "\n{"...)
	for i, v := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, j.keys[i]...)
		switch {
		case v.null:
			b = append(b, "null"...)
		case v.isList:
			b = append(b, '[')
			for k, s := range v.list {
				if k > 0 {
					b = append(b, ',')
				}
				b = asciiJSON(b, s)
			}
			b = append(b, ']')
		case v.raw:
			b = append(b, v.text...)
		default:
			b = asciiJSON(b, v.text)
		}
	}
	b = append(b, '}')
	j.buf = b
	_, j.err = j.w.Write(b)
	return j.err
}

func (j *jsonRows) close() error {
	if j.err != nil {
		return j.err
	}
	_, err := io.WriteString(j.w, "\n]\n")
	return err
}

// asciiJSON appends s as a JSON string in ASCII: control characters,
// quotes and backslashes escaped, everything past U+007E as \u escapes
// (UTF-16 surrogate pairs past U+FFFF), invalid UTF-8 as U+FFFD.
func asciiJSON(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	u := func(b []byte, r rune) []byte {
		return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r < 0x20 || r >= 0x7f && r < 0x10000:
			b = u(b, r)
		case r >= 0x10000:
			r -= 0x10000
			b = u(u(b, 0xd800+(r>>10)), 0xdc00+(r&0x3ff))
		default:
			b = append(b, byte(r))
		}
	}
	return append(b, '"')
}

// AppendRowJSON appends row, a value of a table type (tables.go), as a
// JSON object keyed by its column names, with the nulls and the ASCII text
// of ExportJSON: a row reads the same whether it came from show or export.
func AppendRowJSON[T any](b []byte, row *T) ([]byte, error) {
	c, err := codecOf[T]()
	if err != nil {
		return nil, err
	}
	b = append(b, '{')
	for i, col := range c.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(asciiJSON(b, col.name), ':')
		p := unsafe.Add(unsafe.Pointer(row), col.offset)
		switch col.kind {
		case kString:
			if s := *(*string)(p); s != "" {
				b = asciiJSON(b, s)
			} else {
				b = append(b, "null"...)
			}
		case kStrings:
			v := *(*[]string)(p)
			if v == nil {
				b = append(b, "null"...)
				continue
			}
			b = append(b, '[')
			for k, s := range v {
				if k > 0 {
					b = append(b, ',')
				}
				b = asciiJSON(b, s)
			}
			b = append(b, ']')
		case kNullBool:
			switch v := *(*NullBool)(p); {
			case !v.Valid:
				b = append(b, "null"...)
			default:
				b = strconv.AppendBool(b, v.Bool)
			}
		case kTime:
			if v := *(*time.Time)(p); !v.IsZero() {
				b = asciiJSON(b, v.UTC().Format(time.RFC3339Nano))
			} else {
				b = append(b, "null"...)
			}
		case kInt64:
			b = strconv.AppendInt(b, *(*int64)(p), 10)
		}
	}
	return append(b, '}'), nil
}

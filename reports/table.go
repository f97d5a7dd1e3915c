package reports

import (
	"fmt"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// column is one column of a data sheet.
type column struct {
	Title string
	Width float64
}

// tableWriter streams a data sheet: a bold, frozen header row, an autofilter
// over the data, and rows continuing on "Name (2)", "Name (3)", … once a
// sheet holds maxRows rows, so nothing is ever truncated.
//
// It uses excelize's StreamWriter, which writes every string as an inline
// string cell (t="inlineStr"): never a formula, never a number, whatever the
// text looks like.
type tableWriter struct {
	f       *excelize.File
	st      *styles
	base    string
	cols    []column
	maxRows int

	part  int // 1 for the first sheet
	sheet string
	sw    *excelize.StreamWriter
	row   int // last row written on the current sheet
}

func newTableWriter(f *excelize.File, st *styles, base string, cols []column, maxRows int) *tableWriter {
	return &tableWriter{f: f, st: st, base: base, cols: cols, maxRows: maxRows}
}

// partName is the sheet name of the n-th part of a table.
func partName(base string, n int) string {
	if n == 1 {
		return base
	}
	return base + " (" + strconv.Itoa(n) + ")"
}

// start opens the next part and writes its header row.
func (t *tableWriter) start() error {
	t.part++
	t.sheet = partName(t.base, t.part)
	if _, err := t.f.NewSheet(t.sheet); err != nil {
		return err
	}
	sw, err := t.f.NewStreamWriter(t.sheet)
	if err != nil {
		return err
	}
	t.sw, t.row = sw, 0
	// Column widths, column styles and panes must precede the first row.
	for i, c := range t.cols {
		if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
			return err
		}
	}
	// The Text format on whole columns also covers the empty cells, so a
	// value a reviewer types into one stays text as well.
	if err := sw.SetColStyle(1, len(t.cols), t.st.text); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	hdr := make([]any, len(t.cols))
	for i, c := range t.cols {
		hdr[i] = excelize.Cell{StyleID: t.st.header, Value: c.Title}
	}
	t.row = 1
	return sw.SetRow("A1", hdr, excelize.RowOpts{Height: 18})
}

// add writes one data row; nil values leave the cell out. Callers pass
// strings and excelize.Cell values only, so every cell is text.
func (t *tableWriter) add(vals []any) error {
	if t.sw == nil || t.row >= t.maxRows {
		if err := t.finish(); err != nil {
			return err
		}
		if err := t.start(); err != nil {
			return err
		}
	}
	t.row++
	// "A"+row is what CoordinatesToCellName would build, without its checks
	// and allocation; row is bounded by maxRows.
	return t.sw.SetRow("A"+strconv.Itoa(t.row), vals)
}

// finish closes the current part: the autofilter spans its header and data,
// then the stream is flushed. A table without rows still gets one sheet, so
// a reviewer sees that it is empty rather than missing.
func (t *tableWriter) finish() error {
	if t.sw == nil {
		return nil
	}
	last, err := excelize.CoordinatesToCellName(len(t.cols), t.row)
	if err != nil {
		return err
	}
	// Set while streaming: the <autoFilter> element is written by Flush, and
	// the filterMode flag AutoFilter also sets is not, which is right for a
	// filter that hides nothing yet.
	if err := t.f.AutoFilter(t.sheet, "A1:"+last, nil); err != nil {
		return fmt.Errorf("autofilter %s: %w", t.sheet, err)
	}
	err = t.sw.Flush()
	t.sw = nil
	return err
}

// close finishes the table, creating its first sheet when no row was added.
func (t *tableWriter) close() error {
	if t.part == 0 {
		if err := t.start(); err != nil {
			return err
		}
	}
	return t.finish()
}

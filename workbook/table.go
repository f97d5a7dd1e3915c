package workbook

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// column is one column of a data sheet.
type column struct {
	Title string
	Width float64
	// Input columns are the ones a reviewer fills in: unlocked on a
	// protected sheet, and restricted to Choices when there are any.
	Input   bool
	Choices []string
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
	// protect locks every cell but the input columns' (against accidental
	// edits of action ids; no password) and lays the sheet out to print one
	// page wide.
	protect bool

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
	if t.protect {
		// Sheet properties are written when the stream opens, so the
		// fit-to-page flag must be set before.
		if err := printOnePageWide(t.f, t.sheet); err != nil {
			return err
		}
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
	for i, c := range t.cols {
		if c.Input {
			if err := sw.SetColStyle(i+1, i+1, t.st.input); err != nil {
				return err
			}
		}
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
	if t.protect {
		if err := t.lock(); err != nil {
			return fmt.Errorf("protect %s: %w", t.sheet, err)
		}
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

// lock adds the input columns' drop-down lists and protects the sheet. Like
// the autofilter, these are set while streaming and written by Flush.
func (t *tableWriter) lock() error {
	for i, c := range t.cols {
		if len(c.Choices) == 0 || t.row < 2 {
			continue
		}
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, t.row)
		if err := dv.SetDropList(c.Choices); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, c.Title, "Choose "+strings.Join(c.Choices, " or ")+", or leave the cell empty.")
		if err := t.f.AddDataValidation(t.sheet, dv); err != nil {
			return err
		}
	}
	if err := t.f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", Scope: t.sheet,
		RefersTo: fmt.Sprintf("'%s'!$1:$1", t.sheet),
	}); err != nil {
		return err
	}
	// Reviewers may still filter and resize; everything else needs the
	// protection removed on purpose (Review > Unprotect Sheet).
	return t.f.ProtectSheet(t.sheet, &excelize.SheetProtectionOptions{
		AutoFilter: true, FormatColumns: true, FormatRows: true,
		SelectLockedCells: true, SelectUnlockedCells: true,
	})
}

// printOnePageWide sets a sheet to print landscape, scaled to one page wide.
func printOnePageWide(f *excelize.File, sheet string) error {
	fit, landscape, tall, wide := true, "landscape", 0, 1
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall,
	})
}

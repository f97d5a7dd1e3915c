package workbook

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

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
	// Wrap columns wrap long text (reasons, values in words).
	Wrap bool
	// Helper columns hold what the Decision brief's formulas count: grey,
	// locked, right of the printed columns.
	Helper bool
}

// tableWriter streams a data sheet: a bold, frozen header row, an autofilter
// over the data, and rows continuing on "Name (2)", "Name (3)", … once a
// sheet holds maxRows rows, so nothing is ever truncated.
//
// excelize's StreamWriter writes each sheet's frame and header row; the data
// rows are written by sheetRows in the XML the StreamWriter would write,
// every string an inline string cell (t="inlineStr"): never a formula,
// never a number, whatever the text looks like.
type tableWriter struct {
	f       *excelize.File
	st      *styles
	base    string
	cols    []column
	maxRows int
	// protect locks every cell but the input columns' (against accidental
	// edits of action ids; no password).
	protect bool
	// printCols, when set, limits the print area to the first printCols
	// columns, so helper columns do not shrink the printout.
	printCols int
	// wrapAll gives every column the wrapping style, though only Wrap
	// columns make a row taller: one style for all cells compresses
	// better than two alternating, which matters on a 400k-row sheet.
	wrapAll bool
	// pagesWide is how many pages wide the sheet prints (0: one); past
	// one, the first column repeats on every page beside the header row.
	pagesWide int

	part  int // 1 for the first sheet
	sheet string
	sw    *excelize.StreamWriter
	data  *sheetRows // the current sheet's data rows
	row   int        // last row written on the current sheet
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
	// Sheet properties are written when the stream opens, so the
	// fit-to-page flag must be set before.
	if err := printPagesWide(t.f, t.sheet, max(1, t.pagesWide)); err != nil {
		return err
	}
	sw, err := t.f.NewStreamWriter(t.sheet)
	if err != nil {
		return err
	}
	t.sw, t.row = sw, 0
	// Column widths, column styles and panes must precede the first row.
	// The Text format on whole columns also covers the empty cells, so a
	// value a reviewer types into one stays text as well. The stream writer
	// emits <cols> in the order of the calls, each call moving its column
	// to the front, and Excel wants them ascending: so, last column first.
	colStyle := make([]int, len(t.cols))
	for i := len(t.cols) - 1; i >= 0; i-- {
		c := t.cols[i]
		style := t.st.text
		switch {
		case c.Input:
			style = t.st.input
		case c.Helper:
			style = t.st.helper
		case c.Wrap || t.wrapAll:
			style = t.st.wrap
		}
		if err := sw.SetColWidth(i+1, i+1, c.Width); err != nil {
			return err
		}
		if err := sw.SetColStyle(i+1, i+1, style); err != nil {
			return err
		}
		colStyle[i] = style
	}
	data, err := t.st.rows.add(colStyle)
	if err != nil {
		return err
	}
	t.data = data
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	hdr := make([]any, len(t.cols))
	for i, c := range t.cols {
		style := t.st.header
		if c.Helper {
			style = t.st.helperHeader
		}
		hdr[i] = excelize.Cell{StyleID: style, Value: c.Title}
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
	if err := t.data.add(t.row, vals, t.height(vals)); err != nil {
		return fmt.Errorf("sheet %s: %w", t.sheet, err)
	}
	return nil
}

// textLines is how many lines s takes wrapped in a column width units
// wide: about one character a unit, less a unit for the cell's padding.
func textLines(s string, width float64) int {
	per := max(1, int(width)-1)
	n := 0
	for {
		line, rest, more := strings.Cut(s, "\n")
		n += max(1, (utf8.RuneCountInString(line)+per-1)/per)
		if !more {
			return n
		}
		s = rest
	}
}

// lineHeight is the height of one line of 11-point text, in points.
const lineHeight = 15

// height is the row height wrapped cells need, 0 when one line will do:
// neither Excel nor LibreOffice fits a row to its wrapped text on opening.
// A line holds about one character per width unit (a little more, but
// words do not break), so the estimate errs towards a row too tall.
func (t *tableWriter) height(vals []any) float64 {
	lines := 1
	for i, v := range vals {
		if i >= len(t.cols) || !t.cols[i].Wrap {
			continue
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case excelize.Cell:
			s, _ = v.Value.(string)
		}
		if s == "" {
			continue
		}
		lines = max(lines, textLines(s, t.cols[i].Width))
	}
	if lines == 1 {
		return 0
	}
	return min(float64(lines*lineHeight), excelize.MaxRowHeight)
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
	if err := t.printSetup(); err != nil {
		return fmt.Errorf("print setup %s: %w", t.sheet, err)
	}
	if t.protect {
		if err := t.lock(); err != nil {
			return fmt.Errorf("protect %s: %w", t.sheet, err)
		}
	}
	if t.data.rows > 0 {
		if err := t.data.finish(); err != nil {
			return err
		}
		t.st.rows.bySheet[t.sheet] = t.data
	}
	err = t.sw.Flush()
	t.sw, t.data = nil, nil
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
	// Reviewers may still filter and resize; everything else needs the
	// protection removed on purpose (Review > Unprotect Sheet).
	return t.f.ProtectSheet(t.sheet, &excelize.SheetProtectionOptions{
		AutoFilter: true, FormatColumns: true, FormatRows: true,
		SelectLockedCells: true, SelectUnlockedCells: true,
	})
}

// printSetup repeats the header row on every printed page and limits the
// print area to the printed columns.
func (t *tableWriter) printSetup() error {
	titles := quoteSheet(t.sheet) + "!$1:$1"
	if t.pagesWide > 1 {
		titles = quoteSheet(t.sheet) + "!$A:$A," + titles
	}
	if err := t.f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", Scope: t.sheet, RefersTo: titles,
	}); err != nil {
		return err
	}
	if t.printCols == 0 {
		return nil
	}
	col, err := excelize.ColumnNumberToName(t.printCols)
	if err != nil {
		return err
	}
	return t.f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Area", Scope: t.sheet,
		RefersTo: fmt.Sprintf("'%s'!$A$1:$%s$%d", t.sheet, col, t.row),
	})
}

// printOnePageWide sets a sheet to print landscape, scaled to one page wide.
func printOnePageWide(f *excelize.File, sheet string) error { return printPagesWide(f, sheet, 1) }

// printPagesWide sets a sheet to print landscape, scaled to wide pages
// across and as many down as it takes, with narrow margins.
func printPagesWide(f *excelize.File, sheet string, wide int) error {
	fit, landscape, tall := true, "landscape", 0
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall,
	}); err != nil {
		return err
	}
	side, edge, hf := 0.4, 0.5, 0.3
	return f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: &side, Right: &side, Top: &edge, Bottom: &edge, Header: &hf, Footer: &hf,
	})
}

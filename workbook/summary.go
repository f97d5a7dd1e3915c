package workbook

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"
)

// summarySheet writes the Summary top to bottom, one row at a time. It keeps
// the first error so the layout code reads as a list of lines.
type summarySheet struct {
	f   *excelize.File
	st  *styles
	row int // last row written
	err error
}

// set writes one cell of the current row. Strings go in as string cells with
// the Text format whatever they look like; ints as numbers.
func (w *summarySheet) set(col int, v any, style int) {
	if w.err != nil {
		return
	}
	ref, err := excelize.CoordinatesToCellName(col, w.row)
	if err != nil {
		w.err = err
		return
	}
	switch v := v.(type) {
	case string:
		if style == 0 {
			style = w.st.text
		}
		w.err = w.f.SetCellStr(SummarySheet, ref, clip(v))
	case int:
		w.err = w.f.SetCellInt(SummarySheet, ref, int64(v))
		if style == 0 {
			style = w.st.count
		}
	case int64:
		w.err = w.f.SetCellInt(SummarySheet, ref, v)
		if style == 0 {
			style = w.st.count
		}
	default:
		w.err = fmt.Errorf("summary cell %s: unsupported %T", ref, v)
	}
	if w.err == nil && style != 0 {
		w.err = w.f.SetCellStyle(SummarySheet, ref, ref, style)
	}
}

// line starts a new row holding vals from column A; the first is a label.
func (w *summarySheet) line(vals ...any) {
	w.row++
	for i, v := range vals {
		style := 0
		if i == 0 {
			style = w.st.label
		}
		w.set(i+1, v, style)
	}
}

// header starts a new row of bold column titles.
func (w *summarySheet) header(titles ...string) {
	w.row++
	for i, t := range titles {
		w.set(i+1, t, w.st.header)
	}
}

// text starts a new row with one unlabelled string in column A; it spills
// over the empty cells to its right, so long sentences stay readable.
func (w *summarySheet) text(s string) {
	w.row++
	w.set(1, s, w.st.text)
}

func (w *summarySheet) blank() { w.row++ }

// counts writes a two-column count table and returns the rows of its values.
func (w *summarySheet) counts(title string, cs []count) (first, last int) {
	w.header(title, "Users")
	first = w.row + 1
	for _, c := range cs {
		w.row++
		w.set(1, c.Value, 0)
		w.set(2, c.N, 0)
	}
	return first, w.row
}

// writeSummary lays out the Summary sheet: identification, tenant flag, what
// enabling bypass would do, caveats, count tables with a chart, inputs,
// parameters and all tenant flags.
func writeSummary(f *excelize.File, st *styles, a *Audit, s *summary, p *PlanBook) error {
	w := &summarySheet{f: f, st: st}
	w.row++
	if p != nil {
		w.set(1, "syncgap change plan: DirSyncOverrides on mobile and otherMobile", st.title)
	} else {
		w.set(1, "syncgap audit: DirSyncOverrides on mobile and otherMobile", st.title)
	}
	w.blank()
	w.line("Snapshot", a.Snapshot)
	w.line("Tool version", a.ToolVersion)
	w.line("Entra formats detected", orNone(strings.Join(a.Formats, ", ")))
	w.line("bypassDirSyncOverridesEnabled", s.Bypass.State)
	w.line("Tenant flag source", orNone(s.Bypass.Source))
	w.line("Users (gaps rows)", s.Rows)
	w.line("Synced users (matched, anchor_conflict)", s.Synced)

	w.blank()
	w.line("What enabling BypassDirSyncOverrides would do")
	w.text(s.Changes.line())
	w.header("Cloud values", "mobile", "otherMobile", "Total")
	for _, r := range []struct {
		name string
		n    [2]int
	}{
		{"cleared", s.Changes.Cleared},
		{"overwritten", s.Changes.Overwritten},
		{"filled", s.Changes.Filled},
		{"reformatted", s.Changes.Reformatted},
	} {
		w.line(r.name, r.n[0], r.n[1], r.n[0]+r.n[1])
	}

	if p != nil {
		w.planSection(p)
	}

	if notes := s.notes(a); len(notes) > 0 {
		w.blank()
		w.line("Notes")
		for _, n := range notes {
			w.text(n)
		}
	}

	w.blank()
	w.counts("Match status", s.Match)
	w.blank()
	effFirst, effLast := w.counts("Effect of enabling bypass", s.Effect)
	w.blank()
	w.counts("Risk", s.Risk)
	w.blank()
	w.counts("Mobile state", s.Mobile)
	w.blank()
	w.counts("Other mobile state", s.OtherMobile)
	w.blank()
	domFirst, domLast := w.counts("Users with differences by domain", s.Domains)
	if w.err != nil {
		return w.err
	}
	if err := addBarChart(f, effFirst, effLast, "Users by effect of enabling bypass",
		"Users by effect of enabling BypassDirSyncOverrides"); err != nil {
		return err
	}
	if domLast >= domFirst {
		if err := addBarChart(f, domFirst, domLast, "Users with differences by domain",
			"Synced users whose mobile or otherMobile differ, by UPN domain"); err != nil {
			return err
		}
	}

	w.provenance(a)
	if w.err != nil {
		return w.err
	}
	for _, c := range []struct {
		col   string
		width float64
	}{{"A", 42}, {"B", 16}, {"C", 18}, {"D", 14}} {
		if err := f.SetColWidth(SummarySheet, c.col, c.col, c.width); err != nil {
			return err
		}
	}
	// The Summary is what a change board prints: landscape, one page wide.
	fit, landscape, tall := true, "landscape", 0
	wide := 1
	if err := f.SetSheetProps(SummarySheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return f.SetPageLayout(SummarySheet, &excelize.PageLayoutOptions{
		Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall,
	})
}

// provenance writes what the audit was computed from: input files with
// their hashes, parameters, and every tenant flag as read.
func (w *summarySheet) provenance(a *Audit) {
	w.blank()
	w.line("Inputs")
	w.header("Path", "Bytes", "SHA-256")
	if len(a.Inputs) == 0 {
		w.text("(none recorded)")
	}
	for _, in := range a.Inputs {
		w.row++
		w.set(1, in.Path, 0)
		w.set(2, in.Bytes, 0)
		w.set(3, in.SHA256, 0)
	}

	w.blank()
	w.line("Parameters")
	w.header("Name", "Value")
	if len(a.Parameters) == 0 {
		w.text("(none)")
	}
	// Map order is random; sorted names keep the workbook byte-identical.
	names := make([]string, 0, len(a.Parameters))
	for k := range a.Parameters {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		w.row++
		w.set(1, k, 0)
		w.set(2, a.Parameters[k], 0)
	}

	w.blank()
	w.line("Tenant flags")
	w.header("Feature", "State", "Source")
	if len(a.Tenant) == 0 {
		w.text("(none read)")
	}
	for _, t := range a.Tenant {
		state := "unknown"
		if t.Enabled.Valid {
			state = onOff(t.Enabled.Bool)
		}
		w.row++
		w.set(1, t.Feature, 0)
		w.set(2, state, 0)
		w.set(3, t.Source, 0)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// addBarChart draws a count table (rows first..last, labels in A, counts in
// B) as a bar chart beside it, from the table's cells so it always matches them.
func addBarChart(f *excelize.File, first, last int, title, alt string) error {
	ref := func(col string) string {
		return fmt.Sprintf("'%s'!$%s$%d:$%s$%d", SummarySheet, col, first, col, last)
	}
	// One colour: excelize 2.11 honours per-point fills only for pie charts.
	noVary := false
	return f.AddChart(SummarySheet, fmt.Sprintf("D%d", first-1), &excelize.Chart{
		Type: excelize.Bar,
		Series: []excelize.ChartSeries{{
			Name:       "Users",
			Categories: ref("A"),
			Values:     ref("B"),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"4472C4"}},
		}},
		VaryColors: &noVary,
		// Bar charts plot the first category at the bottom; reversed, the
		// worst effect is on top as in the table.
		XAxis:     excelize.ChartAxis{ReverseOrder: true},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		Dimension: excelize.ChartDimension{Width: 520, Height: 260},
		Format:    excelize.GraphicOptions{AltText: alt},
	})
}

package workbook

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
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

// text starts a new row with one unlabelled sentence, wrapped over columns
// A:D: a sentence spilling further right would make a page fitted to its
// width print tiny.
func (w *summarySheet) text(s string) {
	w.row++
	w.set(1, s, w.st.wrap)
	if w.err != nil {
		return
	}
	ref := fmt.Sprintf("A%d", w.row)
	w.err = w.f.MergeCell(SummarySheet, ref, fmt.Sprintf("D%d", w.row))
	if lines := textLines(s, summaryTextWidth); w.err == nil && lines > 1 {
		w.err = w.f.SetRowHeight(SummarySheet, w.row, float64(lines*lineHeight))
	}
}

// summaryTextWidth is the width of columns A:D, over which sentences wrap.
const summaryTextWidth = 46 + 16 + 18 + 14

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
// parameters and all tenant flags. With a plan, it also accounts for the
// plan, and "what enabling would do" is the plan's forecast, in the
// brief's words and numbers.
func writeSummary(f *excelize.File, st *styles, a *Audit, s *summary, p *PlanBook, lay *planLayout, c planCounts) error {
	w := &summarySheet{f: f, st: st}
	w.row++
	if p != nil {
		w.set(1, "syncgap change plan: DirSyncOverrides on mobile and otherMobile", st.title)
	} else {
		w.set(1, "syncgap audit: DirSyncOverrides on mobile and otherMobile", st.title)
	}
	w.blank()
	w.line("Snapshot", a.Snapshot)
	w.line("AD read", utcTime(a.ADReadAt))
	w.line("Entra ID read", utcTime(a.CloudReadAt))
	w.line("Tool version", a.ToolVersion)
	w.line("Entra formats detected", orNone(strings.Join(a.Formats, ", ")))
	w.line("bypassDirSyncOverridesEnabled", s.Bypass.State)
	w.line("Tenant flag source", orNone(s.Bypass.Source))
	w.line("Rows in gaps (one per user pair)", s.Rows)
	w.line("Synced users (matched or anchor conflict)", s.Synced)
	w.line("  with a difference (listed on Gaps)", s.Shown)
	w.line("  in sync (not listed on Gaps)", s.Synced-s.Shown)
	if s.OtherUnknown > 0 {
		w.line("  of all synced users: cloud otherMobile unknown", s.OtherUnknown)
	}

	w.blank()
	w.line("What enabling BypassDirSyncOverrides would do")
	if p != nil && p.Forecast != nil {
		w.forecast(p)
	} else {
		w.changes(s)
	}

	if p != nil {
		w.planSection(p, lay, c)
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

	w.provenance(a, p)
	if w.err != nil {
		return w.err
	}
	return w.finish(46, 16, 18, 14)
}

// finish gives the Summary's columns A, B, … their widths and prints it,
// as a change board does: landscape, one page wide.
func (w *summarySheet) finish(widths ...float64) error {
	if w.err != nil {
		return w.err
	}
	for i, width := range widths {
		col := string(rune('A' + i))
		if err := w.f.SetColWidth(SummarySheet, col, col, width); err != nil {
			return err
		}
	}
	return printOnePageWide(w.f, SummarySheet)
}

// changes is the audit's table of cloud values by effect and attribute. An
// otherMobile the cloud side of which cannot be read is "unknown", never 0.
func (w *summarySheet) changes(s *summary) {
	w.text(s.Changes.line(s.OtherUnknown))
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
		if s.OtherUnknown == 0 {
			w.line(r.name, r.n[0], r.n[1], r.n[0]+r.n[1])
			continue
		}
		w.line(r.name, r.n[0])
		w.set(3, plusUnknown(r.n[1]), w.st.unknown)
		w.set(4, plusUnknown(r.n[0]+r.n[1]), w.st.unknown)
	}
	if s.OtherUnknown > 0 {
		w.text(fmt.Sprintf("unknown: the cloud's otherMobile cannot be read for %d synced %s, so what the switch does to it is unknown.",
			s.OtherUnknown, plural(s.OtherUnknown, "user", "users")))
	}
}

// plusUnknown is a known count with an unknown rest: "unknown", "2 + unknown".
func plusUnknown(n int) string {
	if n == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%d + unknown", n)
}

// forecast is the plan's forecast of cloud values by outcome, as on the brief.
func (w *summarySheet) forecast(p *PlanBook) {
	w.text("Cloud values by what the switch does to them (one user's mobile or otherMobile is one value); " +
		"the Decision brief also counts them as decided so far.")
	w.header("Cloud values", "Flip now", "Approve all")
	for _, o := range pipeline.CloudOutcomes {
		w.line(outcomeLabel(o), p.Forecast[pipeline.FlipNow][o], p.Forecast[pipeline.ApproveAll][o])
	}
	if p.UnknownOther > 0 {
		w.text(unknownSentence(p))
	}
}

// provenance writes what the audit was computed from: input files with
// their hashes, parameters, and every tenant flag as read.
func (w *summarySheet) provenance(a *Audit, p *PlanBook) {
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
	w.header("Name", "Value", "Stage")
	params := []struct {
		stage string
		m     map[string]string
	}{{"classify", a.Parameters}}
	if p != nil {
		params = append(params, struct {
			stage string
			m     map[string]string
		}{"plan", p.Parameters})
	}
	none := true
	for _, ps := range params {
		// Map order is random; sorted names keep the workbook byte-identical.
		names := make([]string, 0, len(ps.m))
		for k := range ps.m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			none = false
			w.row++
			w.set(1, k, 0)
			w.set(2, ps.m[k], 0)
			w.set(3, ps.stage, 0)
		}
	}
	if none {
		w.text("(none)")
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

// newSummaryBook readies f for a report whose first sheet is the Summary
// (the diff and post-change workbooks): styles over rows, and document
// properties without times, as in the audit workbook, so the bytes depend
// on the input only.
func newSummaryBook(f *excelize.File, rows *rowSet, toolVersion, title, subject string) (*styles, error) {
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	st.rows = rows
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return nil, err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Creator: "syncgap " + toolVersion, Title: title, Subject: subject}); err != nil {
		return nil, err
	}
	return st, nil
}

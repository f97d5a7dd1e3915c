package workbook

import (
	"fmt"
	"math"
	"strings"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// The Decision brief is the first sheet of the plan workbook and one printed
// page: what the switch does, what this plan would lose under each scenario
// (the last column recalculated from the Plan sheet's decisions), the
// riskiest values, where the differences are, and what to sign. It uses
// plain words, never enum names.

// Brief column widths, A to J: a left block (A:E), a narrow gap (F) and a
// right block (G:J).
var briefWidths = []float64{34, 12, 17, 17, 17, 2, 16, 14, 14, 28}

// briefCols is the number of brief columns; the print area ends there.
var briefCols = len(briefWidths)

// Scenario column titles of the brief.
const (
	FlipNowTitle    = "Flip now"
	ApproveAllTitle = "Approve all"
	AsDecidedTitle  = "As decided so far"
)

// briefGrid writes the brief cell by cell, merging ranges and keeping, per
// row, how many text lines its wrapped cells need, so that merged cells
// (which no program auto-fits) get a tall enough row.
type briefGrid struct {
	f     *excelize.File
	st    *styles
	lines map[int]float64 // row -> points needed
	err   error
}

func (g *briefGrid) ref(col, row int) string {
	r, err := excelize.CoordinatesToCellName(col, row)
	if err != nil && g.err == nil {
		g.err = err
	}
	return r
}

// put writes v into columns c1..c2 (1-based) of row, merged when c2 > c1.
// Strings are string cells (never formulas); ints numbers.
func (g *briefGrid) put(row, c1, c2 int, v any, style int) {
	if g.err != nil {
		return
	}
	from, to := g.ref(c1, row), g.ref(c2, row)
	switch v := v.(type) {
	case string:
		g.err = g.f.SetCellStr(BriefSheet, from, clip(v))
		g.need(row, c1, c2, v, style)
	case int:
		g.err = g.f.SetCellInt(BriefSheet, from, int64(v))
	case formula:
		g.err = g.f.SetCellFormula(BriefSheet, from, string(v))
	case nil:
	default:
		g.err = fmt.Errorf("brief cell %s: unsupported %T", from, v)
	}
	if g.err == nil && c2 > c1 {
		g.err = g.f.MergeCell(BriefSheet, from, to)
	}
	if g.err == nil && style != 0 {
		g.err = g.f.SetCellStyle(BriefSheet, from, to, style)
	}
}

// block writes text into the rectangle rows r1..r2, columns c1..c2 as one
// merged cell, and spreads the height it needs over those rows.
func (g *briefGrid) block(r1, r2, c1, c2 int, text string, style int) {
	if g.err != nil {
		return
	}
	from, to := g.ref(c1, r1), g.ref(c2, r2)
	if g.err = g.f.SetCellStr(BriefSheet, from, clip(text)); g.err != nil {
		return
	}
	if g.err = g.f.MergeCell(BriefSheet, from, to); g.err != nil {
		return
	}
	g.err = g.f.SetCellStyle(BriefSheet, from, to, style)
	// Measure as if on one row, then share it out.
	const probe = -1
	g.need(probe, c1, c2, text, style)
	per := g.lines[probe] / float64(r2-r1+1)
	delete(g.lines, probe)
	for r := r1; r <= r2; r++ {
		g.lines[r] = math.Max(g.lines[r], per)
	}
}

// formula is a cell formula for put.
type formula string

// need records the height a wrapped text needs in columns c1..c2 of row.
func (g *briefGrid) need(row, c1, c2 int, s string, style int) {
	size, wraps := 11.0, style == g.st.para || style == g.st.wrap || style == g.st.unknownPara
	switch style {
	case g.st.note:
		size, wraps = 9, true
	case g.st.title:
		size = 16
	case g.st.heading:
		size = 12
	}
	lines := 1.0
	if wraps {
		width := 0.0
		for c := c1; c <= c2; c++ {
			width += briefWidths[c-1]
		}
		// Width units are about one digit of the 11-point font; measured
		// in LibreOffice, a line holds about 1.1 characters a unit, so
		// this errs towards a row too tall.
		perLine := width * 1.05 * 11 / size
		lines = 0
		for _, para := range strings.Split(s, "\n") {
			lines += math.Max(1, math.Ceil(float64(len([]rune(para)))/perLine))
		}
	}
	pt := lines*size*1.32 + 3
	if pt > g.lines[row] {
		g.lines[row] = pt
	}
}

// writeBrief lays out the Decision brief. It runs after the Plan sheets,
// whose member rows its formulas count.
func writeBrief(f *excelize.File, st *styles, a *Audit, p *PlanBook, s *summary, lay *planLayout, c planCounts) error {
	g := &briefGrid{f: f, st: st, lines: map[int]float64{}}
	const (
		left1, left2   = 1, 5  // A:E
		right1, right2 = 7, 10 // G:J
	)
	row := 1
	g.put(row, 1, briefCols, "Decision brief: turn on BypassDirSyncOverrides?", st.title)
	row++
	g.put(row, 1, briefCols, "Read this page, decide on the Plan sheet, sign on the Sign-off sheet. "+
		"Counts are of values: one user's mobile or otherMobile is one value.", st.note)
	row += 2

	g.put(row, 1, briefCols, "What the switch does", st.heading)
	for _, sentence := range switchSentences(c.tenant > 0) {
		row++
		g.put(row, 1, briefCols, sentence, st.para)
	}
	row += 2

	// Left: the scenario table. Right: about this data.
	top := row
	g.put(row, left1, left2, "What happens to the cloud's numbers", st.heading)
	row++
	g.put(row, 1, 2, "Cloud values", st.header)
	g.put(row, 3, 3, FlipNowTitle, st.headerRight)
	g.put(row, 4, 4, ApproveAllTitle, st.headerRight)
	g.put(row, 5, 5, AsDecidedTitle, st.headerRight)
	for _, o := range pipeline.CloudOutcomes {
		row++
		w := outcomeWords[o]
		g.put(row, 1, 2, w[0]+": "+w[1], st.wrap)
		if p.Forecast == nil {
			for col := 3; col <= 5; col++ {
				g.put(row, col, col, "not forecast", st.note)
			}
			continue
		}
		g.put(row, 3, 3, p.Forecast[pipeline.FlipNow][o], st.bigCount)
		g.put(row, 4, 4, p.Forecast[pipeline.ApproveAll][o], st.bigCount)
		g.put(row, 5, 5, formula(asDecidedFormula(p, lay, o)), st.live)
	}
	row++
	g.put(row, 1, left2, formula(decidedSoFarFormula(lay, c.decidable)), st.noteFormula)
	row++
	g.put(row, 1, left2, "Flip now: the switch is turned on without any AD change. Approve all: every Plan row is approved "+
		"first. As decided so far: the Plan sheet as it stands (a row's own decision, else its group's); a row left blank "+
		"or rejected counts as not approved. This column updates as you decide.", st.note)
	if p.UnknownOther > 0 {
		row++
		g.put(row, 1, left2, unknownSentence(p), st.unknownPara)
	}
	leftEnd := row

	row = top
	g.put(row, right1, right2, "About this data", st.heading)
	yes := "no: it changes AD only; the switch stays as it is"
	if c.tenant > 0 {
		yes = "yes, last, and only if every approved AD change succeeded"
	}
	about := [][2]string{
		{"AD read", utcTime(a.ADReadAt)},
		{"Entra ID read", utcTime(a.CloudReadAt)},
		{"Snapshot id", a.Snapshot},
		{"Policy", p.Policy},
		{"Options used", orNone(strings.Join(p.options(), "; "))},
		{"Plan hash", p.Hash},
		{"Rows to decide", fmt.Sprintf("%d on the Plan sheet, in %d %s", c.decidable, len(lay.Groups), plural(len(lay.Groups), "group", "groups"))},
		{"Turns switch on", yes},
	}
	if c.deletes > 0 {
		about = append(about, [2]string{"Deleting rows", fmt.Sprintf("%d: approving them deletes an AD value (red on the Plan sheet)", c.deletes)})
	}
	for _, kv := range about {
		row++
		g.put(row, right1, right1, kv[0], st.label)
		style := st.wrap
		if kv[0] == "Plan hash" {
			style = st.note
		}
		g.put(row, right1+1, right2, kv[1], style)
	}
	row = max(row, leftEnd) + 2

	// The riskiest values, full width.
	g.put(row, 1, briefCols, "The riskiest values: read these first", st.heading)
	row++
	for i, t := range []string{"User", "Value", "Cloud now", "AD now", "If flipped now"} {
		g.put(row, i+1, i+1, t, st.header)
	}
	g.put(row, right1, right2, "Plan row deciding it (Action id)", st.header)
	if len(p.Riskiest) == 0 {
		row++
		g.put(row, 1, briefCols, "(none: no value is lost or changed)", st.note)
	}
	for _, r := range p.Riskiest {
		row++
		g.put(row, 1, 1, r.UPN, st.wrap)
		g.put(row, 2, 2, r.Attribute, st.wrap)
		g.put(row, 3, 3, joinValues(r.Cloud), st.wrap)
		g.put(row, 4, 4, joinValues(r.AD), st.wrap)
		style := st.wrap
		if r.Outcome == pipeline.Lost {
			style = st.deletes
		}
		g.put(row, 5, 5, OutcomePhrase(r.Outcome), style)
		id := r.ActionID
		if id == "" {
			id = "none: no Plan row changes it"
		}
		g.put(row, right1, right2, id, st.wrap)
	}
	row += 2

	// Left: where the differences are. Right: before you approve.
	top = row
	g.put(row, left1, left2, "Users with a difference", st.heading)
	row++
	g.put(row, 1, 1, "Top-level OU", st.header)
	g.put(row, 2, 2, "Users", st.headerRight)
	g.put(row, 3, 3, "", st.header)
	g.put(row, 4, 4, "Country", st.header)
	g.put(row, 5, 5, "Users", st.headerRight)
	ous, countries := topNamed(p.ByOU, briefTop, "all other OUs"), topNamed(p.ByCountry, briefTop, "all other countries")
	for i := 0; i < max(len(ous), len(countries), 1); i++ {
		row++
		if i < len(ous) {
			g.put(row, 1, 1, ous[i].Name, st.wrap)
			g.put(row, 2, 2, ous[i].Users, st.count)
		} else if i == 0 {
			g.put(row, 1, 1, "(none)", st.note)
		}
		if i < len(countries) {
			g.put(row, 4, 4, countries[i].Name, st.wrap)
			g.put(row, 5, 5, countries[i].Users, st.count)
		} else if i == 0 {
			g.put(row, 4, 4, "(none)", st.note)
		}
	}
	leftEnd = row

	g.put(top, right1, right2, "Before you approve", st.heading)
	leftEnd = max(leftEnd, top+6)
	g.block(top+1, leftEnd, right1, right2, strings.Join([]string{
		"Decide on the Plan sheet. A blue group row decides every row of its group that has no decision of its own; " +
			"a row's own decision wins. Red rows delete an AD value. Blank means not approved.",
		"Then fill in the Sign-off sheet: change ID, implementer, change window, and for both approvers name, role and date.",
		"Rollback: AD changes reverse with syncgap rollback. Cloud values the switch overwrites come back only by writing " +
			"them into AD from this snapshot (" + orNone(a.Snapshot) + "); turning the switch off again does not bring them back.",
	}, "\n\n"), st.para)
	row = leftEnd
	last := max(row, leftEnd)
	if g.err != nil {
		return g.err
	}
	for r, pt := range g.lines {
		if pt > 15.5 {
			if err := f.SetRowHeight(BriefSheet, r, math.Ceil(pt)); err != nil {
				return err
			}
		}
	}
	for i, w := range briefWidths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(BriefSheet, col, col, w); err != nil {
			return err
		}
	}
	off := false
	if err := f.SetSheetView(BriefSheet, 0, &excelize.ViewOptions{ShowGridLines: &off}); err != nil {
		return err
	}
	lastCol, _ := excelize.ColumnNumberToName(briefCols)
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Area", Scope: BriefSheet,
		RefersTo: fmt.Sprintf("%s!$A$1:$%s$%d", quoteSheet(BriefSheet), lastCol, last),
	}); err != nil {
		return err
	}
	// One landscape page, whatever the plan's size.
	fit, landscape, one := true, "landscape", 1
	if err := f.SetSheetProps(BriefSheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetPageLayout(BriefSheet, &excelize.PageLayoutOptions{
		Orientation: &landscape, FitToWidth: &one, FitToHeight: &one,
	}); err != nil {
		return err
	}
	m, hm := 0.4, 0.2
	if err := f.SetPageMargins(BriefSheet, &excelize.PageLayoutMarginsOptions{
		Left: &m, Right: &m, Top: &m, Bottom: &m, Header: &hm, Footer: &hm,
	}); err != nil {
		return err
	}
	return f.ProtectSheet(BriefSheet, &excelize.SheetProtectionOptions{
		FormatColumns: true, FormatRows: true, SelectLockedCells: true, SelectUnlockedCells: true,
	})
}

// switchSentences say what the switch does, in three sentences.
func switchSentences(planFlips bool) []string {
	third := "This plan changes AD first where you approve it; rows you reject or leave blank are not changed, " +
		"and the switch then copies AD's value to the cloud for them."
	if !planFlips {
		third = "This plan changes AD only where you approve it; it does not turn the switch on, but the numbers " +
			"below say what turning it on afterwards would do."
	}
	return []string{
		"Today Entra ID keeps some mobile numbers (mobile and otherMobile) that were changed in the cloud, " +
			"and no longer takes them from Active Directory (AD).",
		"Turning on BypassDirSyncOverrides makes every sync copy AD's numbers over the cloud's: after the next " +
			"sync cycle the cloud equals AD, and a number only the cloud has is gone.",
		third,
	}
}

// unknownSentence says, once, what cannot be known about otherMobile.
func unknownSentence(p *PlanBook) string {
	return fmt.Sprintf("Unknown: Microsoft retired MSOnline, so the cloud's otherMobile (AlternateMobilePhones) cannot be read "+
		"for %d %s. AD holds otherMobile for %d of them; the switch makes the cloud equal AD for all %d, whatever the "+
		"cloud holds now, so what is lost there is unknown (counted in the Unknown row, never as 0).",
		p.UnknownOther, plural(p.UnknownOther, "user", "users"), p.UnknownOtherWithAD, p.UnknownOther)
}

// briefTop is how many OUs and countries the brief lists before "all other".
const briefTop = 5

// topNamed is the first n counts (they come largest first) and one line
// summing the rest.
func topNamed(cs []NamedCount, n int, other string) []NamedCount {
	if len(cs) <= n+1 {
		return cs
	}
	out := append([]NamedCount(nil), cs[:n]...)
	rest := 0
	for _, c := range cs[n:] {
		rest += c.Users
	}
	return append(out, NamedCount{Name: other, Users: rest})
}

// helperRange is a helper column's rows on one Plan part: 'Plan'!$T$5:$T$90.
func helperRange(pt planPart, col int) string {
	c := colName(col)
	return fmt.Sprintf("%s!$%s$%d:$%s$%d", quoteSheet(pt.Sheet), c, pt.First, c, pt.Last)
}

// asDecidedFormula counts the values with outcome o as decided so far: the
// values no decision touches (Fixed), plus per Plan row the outcome of its
// effective decision (approved, or anything else: rejected or blank). Only
// member rows are counted: the ranges start below the group rows.
func asDecidedFormula(p *PlanBook, lay *planLayout, o pipeline.CloudOutcome) string {
	terms := []string{fmt.Sprint(p.Fixed[o])}
	for _, pt := range lay.Parts {
		eff := helperRange(pt, pcEffective)
		terms = append(terms,
			fmt.Sprintf(`COUNTIFS(%s,"%s",%s,"%s")`, eff, ApproveText, helperRange(pt, pcOutApproved), o),
			fmt.Sprintf(`COUNTIFS(%s,"<>%s",%s,"%s")`, eff, ApproveText, helperRange(pt, pcOutRejected), o))
	}
	return strings.Join(terms, "+")
}

// decidedSoFarFormula is a sentence counting the Plan rows approved,
// rejected and still open.
func decidedSoFarFormula(lay *planLayout, total int) string {
	count := func(what string) string {
		if len(lay.Parts) == 0 {
			return "0"
		}
		var terms []string
		for _, pt := range lay.Parts {
			terms = append(terms, fmt.Sprintf(`COUNTIF(%s,"%s")`, helperRange(pt, pcEffective), what))
		}
		return strings.Join(terms, "+")
	}
	ap, rj := count(ApproveText), count(RejectText)
	return fmt.Sprintf(`"Plan rows so far: "&(%s)&" approved, "&(%s)&" rejected, "&(%d-(%s)-(%s))&" not decided, of %d."`,
		ap, rj, total, ap, rj, total)
}

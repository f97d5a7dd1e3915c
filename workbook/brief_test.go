package workbook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

func writeBriefPlan(t *testing.T, p *PlanBook, maxRows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.xlsx")
	if err := writePlan(context.Background(), path, briefAudit(), p, maxRows); err != nil {
		t.Fatal(err)
	}
	return path
}

func openBook(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// The plan workbook's structure: sheet order with the brief first, what is
// protected and what is open, print setup, group rows and helper columns.
func TestPlanWorkbookStructure(t *testing.T) {
	p := briefPlan()
	path := writeBriefPlan(t, p, excelize.TotalRows)
	f := openBook(t, path)
	want := []string{BriefSheet, PlanSheet, SignOffSheet, SummarySheet, ReviewSheet, GapsSheet, UnmatchedSheet, GlossarySheet}
	if got := f.GetSheetList(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	if f.GetActiveSheetIndex() != 0 {
		t.Errorf("active sheet %d, want the brief (0)", f.GetActiveSheetIndex())
	}
	raw := rawSheets(t, path)
	for _, name := range want {
		ws := raw[name]
		if ws.PageSetup == nil || ws.PageSetup.Orientation != "landscape" {
			t.Errorf("%s: page setup %+v, want landscape", name, ws.PageSetup)
			continue
		}
		wide := "1"
		if name == GapsSheet {
			wide = "2"
		}
		if ws.PageSetup.FitToWidth != wide {
			t.Errorf("%s: fit to %s pages wide, want %s", name, ws.PageSetup.FitToWidth, wide)
		}
	}
	if ps := raw[BriefSheet].PageSetup; ps == nil || ps.FitToHeight != "1" {
		t.Errorf("brief page setup %+v, want one page high", ps)
	}
	for _, name := range []string{BriefSheet, PlanSheet, SignOffSheet, GlossarySheet} {
		if pr := raw[name].Protection; pr == nil || !pr.Sheet {
			t.Errorf("%s is not protected", name)
		}
	}
	// Print titles repeat the header row; print areas keep the brief to its
	// block and the Plan to the columns a board reads.
	names := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		names[dn.Scope+"|"+dn.Name] = dn.RefersTo
	}
	for _, name := range []string{PlanSheet, ReviewSheet, UnmatchedSheet, GlossarySheet} {
		if got := names[name+"|_xlnm.Print_Titles"]; got != quoteSheet(name)+"!$1:$1" {
			t.Errorf("%s print titles %q", name, got)
		}
	}
	if got := names[GapsSheet+"|_xlnm.Print_Titles"]; got != "'Gaps'!$A:$A,'Gaps'!$1:$1" {
		t.Errorf("Gaps print titles %q, want the UPN column and the header row", got)
	}
	if got := names[PlanSheet+"|_xlnm.Print_Area"]; !regexp.MustCompile(`^'Plan'!\$A\$1:\$J\$\d+$`).MatchString(got) {
		t.Errorf("Plan print area %q, want A:J", got)
	}
	if got := names[BriefSheet+"|_xlnm.Print_Area"]; !regexp.MustCompile(`^'Decision brief'!\$A\$1:\$J\$\d+$`).MatchString(got) {
		t.Errorf("brief print area %q", got)
	}

	rows := readRows(t, f, PlanSheet)
	wantHeader := []string{ActionIDTitle, "UPN", DecisionTitle, CommentTitle, "Deletes", RiskTitle, "If approved", "If rejected",
		"Reason", GroupTitle, AttributeTitle, "AD value now", "Cloud value now", "Proposed AD value", KindTitle, OpTitle, "DN",
		OutcomeApprovedTitle, OutcomeRejectedTitle, EffectiveDecisionTitle}
	if !reflect.DeepEqual(rows[0], wantHeader) {
		t.Fatalf("Plan header %q\nwant %q", rows[0], wantHeader)
	}
	// Group rows first, riskiest first, each with its key and label.
	wantGroups := []struct {
		key   GroupKey
		label string
	}{
		{GroupKey{pipeline.KindDecide, "mobile", pipeline.OpDelete, pipeline.RiskHigh}, "All 2 high-risk deletions of AD mobile, left to the board"},
		{GroupKey{pipeline.KindWrite, "mobile", pipeline.OpReplace, pipeline.RiskMedium}, "All 3 medium-risk replacements of AD mobile, proposed by the policy"},
		{GroupKey{pipeline.KindWrite, "otherMobile", pipeline.OpReplace, pipeline.RiskMedium}, "All 2 medium-risk replacements of AD otherMobile, proposed by the policy"},
		{GroupKey{pipeline.KindWrite, "mobile", pipeline.OpAdd, pipeline.RiskLow}, "All 4 low-risk additions to AD mobile, proposed by the policy"},
	}
	for i, g := range wantGroups {
		r := rows[i+1]
		id := GroupIDPrefix + strconv.Itoa(i+1)
		key := GroupKey{pipeline.ActionKind(r[pcKind]), r[pcAttribute], pipeline.Op(r[pcOp]), pipeline.Risk(r[pcRisk])}
		if r[pcID] != id || r[pcGroup] != id || key != g.key || !strings.HasPrefix(r[pcUPN], g.label) || r[pcEffective] != "" || r[pcOutApproved] != "" {
			t.Errorf("row %d = %q, want %s %v %q without helpers", i+2, r, id, g.key, g.label)
		}
	}
	if rows[1][pcDeletes] != deletesText || rows[2][pcDeletes] != "" {
		t.Errorf("deletes flags on group rows: %q, %q", rows[1][pcDeletes], rows[2][pcDeletes])
	}
	if !strings.Contains(rows[4][pcIfRejected], "4 numbers lost") {
		t.Errorf("group 4 if rejected %q, want what its rows do", rows[4][pcIfRejected])
	}
	// Members: every decidable action once, the ungrouped ones first, then
	// by group; each with its outcomes and a helper formula.
	byID := map[string]int{}
	for i, a := range p.Actions {
		byID[a.ActionID] = i
	}
	members, lastGroup := 0, 0
	for n, r := range rows[len(wantGroups)+1:] {
		rowNum := n + len(wantGroups) + 2
		i, ok := byID[r[pcID]]
		if !ok || !p.Actions[i].Kind.Decidable() {
			t.Errorf("Plan row %d: %q is not a decidable action", rowNum, r[pcID])
			continue
		}
		members++
		e := p.Effects[i]
		g := 0
		if r[pcGroup] != "" {
			g, _ = strconv.Atoi(strings.TrimPrefix(r[pcGroup], GroupIDPrefix))
			if wantGroups[g-1].key != e.Group {
				t.Errorf("Plan row %d in %s, want group of %v", rowNum, r[pcGroup], e.Group)
			}
		} else if !GroupOf(&p.Actions[i]).IsZero() {
			t.Errorf("Plan row %d has no group", rowNum)
		}
		if g < lastGroup {
			t.Errorf("Plan row %d (group %d) after group %d", rowNum, g, lastGroup)
		}
		lastGroup = g
		if r[pcOutApproved] != string(e.Approved) || r[pcOutRejected] != string(e.Rejected) ||
			r[pcIfApproved] != e.IfApproved || r[pcIfRejected] != e.IfRejected {
			t.Errorf("Plan row %d = %q, want effects %+v", rowNum, r, e)
		}
		if (r[pcDeletes] == deletesText) != e.Deletes {
			t.Errorf("Plan row %d deletes %q, want %v", rowNum, r[pcDeletes], e.Deletes)
		}
		fm, _ := f.GetCellFormula(PlanSheet, fmt.Sprintf("T%d", rowNum))
		want := fmt.Sprintf(`IF(TRIM($C%d)<>"",TRIM($C%d),"")`, rowNum, rowNum)
		if g > 0 {
			ref := fmt.Sprintf("'Plan'!$C$%d", g+1)
			want = fmt.Sprintf(`IF(TRIM($C%d)<>"",TRIM($C%d),IF(TRIM(%s)<>"",TRIM(%s),""))`, rowNum, rowNum, ref, ref)
		}
		if fm != want {
			t.Errorf("Plan!T%d = %q, want %q", rowNum, fm, want)
		}
		// Only Decision and Comment are open.
		for c := range planColumns {
			cell, _ := excelize.CoordinatesToCellName(c+1, rowNum)
			if open := !cellLocked(t, f, PlanSheet, cell); open != (c == pcDecision || c == pcComment) {
				t.Errorf("Plan!%s open = %v", cell, open)
			}
		}
	}
	if members != 13 {
		t.Errorf("%d member rows, want 13", members)
	}
	// The deleting rows look different: a red fill on their text cells.
	for n, r := range rows[1:] {
		cell := fmt.Sprintf("B%d", n+2)
		id, _ := f.GetCellStyle(PlanSheet, cell)
		st, _ := f.GetStyle(id)
		red := st != nil && len(st.Fill.Color) == 1 && st.Fill.Color[0] == "FCE4E4"
		if member := !strings.HasPrefix(r[pcID], GroupIDPrefix); member && red != (r[pcDeletes] == deletesText) {
			t.Errorf("Plan!%s red %v, deletes %q", cell, red, r[pcDeletes])
		}
	}
	// Review holds review and record rows only; acknowledge is on Plan.
	for _, r := range readRows(t, f, ReviewSheet)[1:] {
		if k := pipeline.ActionKind(r[1]); k.Decidable() {
			t.Errorf("Review holds a %s row %q", k, r[0])
		}
	}
	if got := len(readRows(t, f, ReviewSheet)) - 1; got != 4 {
		t.Errorf("Review has %d rows, want 3 review and 1 record", got)
	}
}

// briefCells reads the brief as text cells: row -> column -> value.
func briefCells(t *testing.T, f *excelize.File) [][]string {
	t.Helper()
	rows, err := f.GetRows(BriefSheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// scenarioRows finds the brief's scenario table: outcome -> the Flip now,
// Approve all and As decided so far cells (columns C, D, E) as shown.
func scenarioRows(t *testing.T, rows [][]string) map[pipeline.CloudOutcome][3]string {
	t.Helper()
	out := map[pipeline.CloudOutcome][3]string{}
	for _, r := range rows {
		for _, o := range pipeline.CloudOutcomes {
			if len(r) > 0 && r[0] == outcomeWords[o][0]+": "+outcomeWords[o][1] {
				for len(r) < 5 {
					r = append(r, "")
				}
				out[o] = [3]string{r[2], r[3], r[4]}
			}
		}
	}
	if len(out) != len(pipeline.CloudOutcomes) {
		t.Fatalf("brief scenario table has %d of %d outcomes:\n%q", len(out), len(pipeline.CloudOutcomes), rows)
	}
	return out
}

// TestBriefContent: plain words, the data's provenance, the forecast as
// given, "unknown" said once, the riskiest values and where they are.
func TestBriefContent(t *testing.T) {
	p := briefPlan()
	f := openBook(t, writeBriefPlan(t, p, excelize.TotalRows))
	rows := briefCells(t, f)
	var all []string
	for _, r := range rows {
		all = append(all, r...)
	}
	text := strings.Join(all, "\n")
	// No enum names: none with an underscore, and no cell that is a bare
	// outcome or effect string ("unknown" is a plain word and may stand alone).
	enums := []string{}
	for _, e := range pipeline.Effects {
		enums = append(enums, string(e))
	}
	for _, s := range pipeline.States {
		enums = append(enums, string(s))
	}
	for _, s := range []pipeline.Scenario{pipeline.FlipNow, pipeline.ApproveAll, pipeline.AsDecided} {
		enums = append(enums, string(s))
	}
	for _, o := range pipeline.CloudOutcomes {
		if o != pipeline.UnknownOutcome {
			enums = append(enums, string(o))
		}
	}
	for _, c := range all {
		for _, e := range enums {
			if c == e || (strings.Contains(e, "_") && strings.Contains(c, e)) {
				t.Errorf("brief cell %q shows the enum %q", c, e)
			}
		}
	}
	for _, want := range []string{
		"2026-11-20 13:03 UTC", // AD read, in UTC
		"5e1f0c2a9b7d", "entra-wins", p.Hash,
		"policy entra-wins; enable the switch last; only users under OU=Sales,DC=corp",
		"13 on the Plan sheet, in 4 groups",
		"yes, last, and only if every approved AD change succeeded",
		"2: approving them deletes an AD value",
		"change ID, implementer, change window, and for both approvers name, role and date",
		"AD changes reverse with syncgap rollback. Cloud values the switch overwrites come back only by writing them into AD from this snapshot",
		hostileDDE + "@corp.example", "+81 3-1234-9264", "number lost", "none: no Plan row changes it",
		"all other OUs", "(no country)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("brief lacks %q", want)
		}
	}
	// Entra ID was never read in this fixture: unknown, not a zero date.
	if r := rowWithAt(rows, 6, "Entra ID read"); len(r) < 8 || r[7] != "unknown" {
		t.Errorf("Entra ID read = %q, want unknown", r)
	}
	if n := strings.Count(text, "cannot be read for 15 users"); n != 1 {
		t.Errorf("the otherMobile caveat appears %d times, want once", n)
	}
	// The first two columns are the forecast as given; as decided is a formula.
	sc := scenarioRows(t, rows)
	for _, o := range pipeline.CloudOutcomes {
		want := [2]string{strconv.Itoa(p.Forecast[pipeline.FlipNow][o]), strconv.Itoa(p.Forecast[pipeline.ApproveAll][o])}
		if got := [2]string{sc[o][0], sc[o][1]}; got != want {
			t.Errorf("%s: flip now, approve all = %q, want %q", o, got, want)
		}
	}
	// OU: the top five and one line for the rest (1 + 1).
	if r := rowWithAt(rows, 0, "all other OUs"); len(r) < 2 || r[1] != "2" {
		t.Errorf("all other OUs = %q, want 2", r)
	}

	// Without unknown values, no caveat; without a forecast, no numbers.
	p2 := briefPlan()
	p2.UnknownOther, p2.UnknownOtherWithAD, p2.Forecast = 0, 0, nil
	f2 := openBook(t, writeBriefPlan(t, p2, excelize.TotalRows))
	rows2 := briefCells(t, f2)
	if s := fmt.Sprint(rows2); strings.Contains(s, "cannot be read for") {
		t.Error("caveat without unknown values")
	}
	for o, v := range scenarioRows(t, rows2) {
		if v != [3]string{"not forecast", "not forecast", "not forecast"} {
			t.Errorf("%s without a forecast = %q", o, v)
		}
	}
}

// rowWithAt is the first row whose cell col is label.
func rowWithAt(rows [][]string, col int, label string) []string {
	for _, r := range rows {
		if len(r) > col && r[col] == label {
			return r
		}
	}
	return nil
}

// The brief's and the Plan sheet's formulas name cells and constants only:
// no directory value can end up in one.
func TestFormulasHoldNoDirectoryData(t *testing.T) {
	p := briefPlan()
	path := writeBriefPlan(t, p, 6) // several Plan parts
	f := openBook(t, path)
	allowed := regexp.MustCompile(`^(?:[0-9+\-()<>=&,"$: ]|'Plan(?: \(\d+\))?'![$A-Z0-9:]+|\$?[A-Z]+\$?\d+|COUNTIFS?|IF|TRIM|Approve|Reject|` +
		`"Plan rows so far: "|" approved, "|" rejected, "|" not decided, of \d+\."|lost|changed|filled|reformatted|cleaned|unchanged|unknown)+$`)
	n := 0
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		// Formula cells without a cached value are empty to GetRows, which
		// drops them at a row's end: look at every cell by position.
		for i := range len(rows) + 1 {
			for j := range len(planColumns) + 5 {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				fm, _ := f.GetCellFormula(sheet, cell)
				if fm == "" {
					continue
				}
				n++
				if sheet != BriefSheet && !strings.HasPrefix(sheet, PlanSheet) {
					t.Errorf("%s!%s holds a formula", sheet, cell)
				}
				if !allowed.MatchString(fm) {
					t.Errorf("%s!%s = %q: not only cell names and constants", sheet, cell, fm)
				}
			}
		}
	}
	if n < 13+len(pipeline.CloudOutcomes) {
		t.Errorf("only %d formulas checked", n)
	}
	// The brief counts every Plan part: the fixture splits over four.
	fm := ""
	for i, r := range briefCells(t, f) {
		if len(r) > 0 && strings.HasPrefix(r[0], outcomeWords[pipeline.Lost][0]) {
			fm, _ = f.GetCellFormula(BriefSheet, fmt.Sprintf("E%d", i+1))
		}
	}
	for _, part := range []string{"'Plan'!", "'Plan (2)'!", "'Plan (3)'!", "'Plan (4)'!"} {
		if !strings.Contains(fm, part) {
			t.Errorf("lost as decided = %q: does not count %s", fm, part)
		}
	}
	if strings.Contains(fm, "'Plan'!$T$2:") {
		t.Errorf("lost as decided = %q counts from row 2, over the group rows", fm)
	}
}

// openpyxl returns Debian's python3 if it can import openpyxl.
func openpyxl(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3" // the pyenv python3 on PATH has no openpyxl
	if err := exec.Command(py, "-c", "import openpyxl").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-openpyxl is not importable by %s: %v", py, err)
		}
		t.Skipf("python3-openpyxl is not installed (apt-get install python3-openpyxl)")
	}
	return py
}

// fillPlan runs testdata/fill_plan.py over in, writing out.
func fillPlan(t *testing.T, in, out string, spec map[string]any) {
	t.Helper()
	py := openpyxl(t)
	b, _ := json.Marshal(spec)
	specPath := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(specPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := exec.Command(py, filepath.Join("testdata", "fill_plan.py"), in, out, specPath).CombinedOutput(); err != nil {
		t.Fatalf("fill_plan.py: %v\n%s", err, o)
	}
}

// libreOfficeConvert converts files with LibreOffice (headless, a private
// profile) to format into a new directory and returns it.
func libreOfficeConvert(t *testing.T, format string, files ...string) string {
	t.Helper()
	bin := requireTool(t, "soffice", "the Debian package libreoffice-calc-nogui")
	dir := t.TempDir()
	args := append([]string{"--headless", "--norestore", "-env:UserInstallation=file://" + filepath.Join(dir, "profile"),
		"--convert-to", format, "--outdir", dir}, files...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	return dir
}

// A real board: decisions filled in with openpyxl, some per row, some per
// group, some blank, in every spelling ReadSigned accepts; LibreOffice
// recalculates the brief, whose "As decided so far" must be what Go computes
// for those decisions; ReadSigned reads back the same decisions.
func TestAsDecidedRecalculatesInLibreOffice(t *testing.T) {
	p := briefPlan()
	book := writeBriefPlan(t, p, excelize.TotalRows)

	// The group ids as the sheet shows them, found by key.
	f := openBook(t, book)
	groupID := map[GroupKey]string{}
	for _, r := range readRows(t, f, PlanSheet)[1:] {
		if strings.HasPrefix(r[pcID], GroupIDPrefix) {
			groupID[GroupKey{pipeline.ActionKind(r[pcKind]), r[pcAttribute], pipeline.Op(r[pcOp]), pipeline.Risk(r[pcRisk])}] = r[pcID]
		}
	}
	key := func(m briefMember) GroupKey { return GroupKey{m.kind, m.attr, m.op, m.risk} }
	groups := map[string]string{
		groupID[key(briefMembers[0])]: "Approve",  // 4 low-risk additions
		groupID[key(briefMembers[1])]: " reject ", // 3 medium replacements
		groupID[key(briefMembers[3])]: "APPROVE",  // 2 otherMobile replacements
		groupID[key(briefMembers[2])]: "",         // the deletions: row by row
	}
	// Row decisions, by position within each member kind.
	byKind := map[int][]int{} // briefMembers index -> action indices
	for i, a := range p.Actions {
		for m, bm := range briefMembers {
			if a.Kind == bm.kind && a.Attribute == bm.attr && a.Op == bm.op && a.Risk == bm.risk && a.Target == bm.target {
				byKind[m] = append(byKind[m], i)
			}
		}
	}
	rowDec := map[string]string{
		p.Actions[byKind[0][1]].ActionID: "Reject",  // wins over its group's Approve
		p.Actions[byKind[1][2]].ActionID: "approve", // wins over its group's reject
		p.Actions[byKind[2][0]].ActionID: "Approve", // a deletion approved; its twin left blank
		p.Actions[byKind[4][0]].ActionID: "Approve", // the acknowledgement
	}
	// What Go says each row's effective decision is.
	decide := func(i int) pipeline.Decision {
		parse := func(s string) pipeline.Decision {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "approve":
				return pipeline.Approve
			case "reject":
				return pipeline.Reject
			}
			return ""
		}
		if d := parse(rowDec[p.Actions[i].ActionID]); d != "" {
			return d
		}
		return parse(groups[groupID[p.actionGroup(i)]])
	}
	want := expectAsDecided(p, decide)
	if reflect.DeepEqual(want, p.Forecast[pipeline.FlipNow]) || reflect.DeepEqual(want, p.Forecast[pipeline.ApproveAll]) {
		t.Fatalf("the decisions give %v, the same as a scenario: the test would not see a stale recalculation", want)
	}
	approved, rejected := 0, 0
	for i, a := range p.Actions {
		if a.Kind.Decidable() {
			switch decide(i) {
			case pipeline.Approve:
				approved++
			case pipeline.Reject:
				rejected++
			}
		}
	}

	signoff := map[string]any{
		ChangeIDLabel: "CHG0042", ImplementerLabel: "Ines Ops", WindowLabel: "2026-12-05 18:00-20:00 UTC",
	}
	for n, who := range [][3]string{{"Dana Whitfield", "CAB chair", "2026-11-23"}, {"Raj Patel", "service owner", "2026-11-24"}} {
		name, role, date, _ := ApproverLabels(n + 1)
		signoff[name], signoff[role], signoff[date] = who[0], who[1], who[2]
	}
	dir := t.TempDir()
	signed := filepath.Join(dir, "signed.xlsx")
	fillPlan(t, book, signed, map[string]any{
		"rows": rowDec, "groups": groups, "signoff": signoff,
		"comments": map[string]string{p.Actions[byKind[2][0]].ActionID: "checked with the user"},
	})

	// openpyxl keeps the formulas but no results: what LibreOffice shows
	// next is its own calculation.
	sf := openBook(t, signed)
	for i, r := range briefCells(t, sf) {
		if len(r) > 0 && strings.HasPrefix(r[0], outcomeWords[pipeline.Changed][0]) {
			if fm, _ := sf.GetCellFormula(BriefSheet, fmt.Sprintf("E%d", i+1)); fm == "" {
				t.Fatalf("openpyxl dropped the formula of E%d", i+1)
			}
			if v := cachedValue(t, signed, i+1); v != "" {
				t.Fatalf("openpyxl kept a cached value %q in E%d", v, i+1)
			}
		}
	}

	// The unsigned workbook (no cached values either) and the signed one,
	// each recalculated and saved by LibreOffice.
	unsigned := filepath.Join(dir, "unsigned.xlsx")
	if err := os.Link(book, unsigned); err != nil {
		t.Fatal(err)
	}
	out := libreOfficeConvert(t, "xlsx", unsigned, signed)
	for _, tt := range []struct {
		file string
		want map[pipeline.CloudOutcome]int
		so   string
	}{
		{"unsigned.xlsx", p.Forecast[pipeline.FlipNow], "Plan rows so far: 0 approved, 0 rejected, 13 not decided, of 13."},
		{"signed.xlsx", want, fmt.Sprintf("Plan rows so far: %d approved, %d rejected, %d not decided, of 13.", approved, rejected, 13-approved-rejected)},
	} {
		lo := openBook(t, filepath.Join(out, tt.file))
		rows := briefCells(t, lo)
		sc := scenarioRows(t, rows)
		for _, o := range pipeline.CloudOutcomes {
			if got := sc[o][2]; got != strconv.Itoa(tt.want[o]) {
				t.Errorf("%s: %s as decided so far = %q, want %d", tt.file, o, got, tt.want[o])
			}
			if got := sc[o][0]; got != strconv.Itoa(p.Forecast[pipeline.FlipNow][o]) {
				t.Errorf("%s: %s flip now = %q", tt.file, o, got)
			}
		}
		if !strings.Contains(fmt.Sprint(rows), tt.so) {
			t.Errorf("%s: brief lacks %q", tt.file, tt.so)
		}
	}

	// ReadSigned reads the same decisions from openpyxl's file and from
	// LibreOffice's.
	for _, file := range []string{signed, filepath.Join(out, "signed.xlsx")} {
		// So does ScanSigned, approve's reader, with the text LibreOffice
		// moved into shared strings spilled to a file.
		if !scanSame(t, file) && file != signed {
			t.Errorf("%s: ScanSigned spilled no shared strings", file)
		}
		s, err := ReadSigned(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if s.PlanHash != p.Hash || s.ChangeID != "CHG0042" || s.Implementer != "Ines Ops" || s.Window != "2026-12-05 18:00-20:00 UTC" {
			t.Errorf("%s: sign-off %+v", file, s)
		}
		wantApprovers := []Approver{
			{Name: "Dana Whitfield", Role: "CAB chair", Date: "2026-11-23"},
			{Name: "Raj Patel", Role: "service owner", Date: "2026-11-24"},
		}
		for i := range s.Approvers {
			a := s.Approvers[i]
			if a.NameCell == "" || a.RoleCell == "" || a.DateCell == "" {
				t.Errorf("%s: approver %d without cells %+v", file, i+1, a)
			}
			a.NameCell, a.RoleCell, a.DateCell = "", "", ""
			if i >= len(wantApprovers) || a != wantApprovers[i] {
				t.Errorf("%s: approver %d = %+v", file, i+1, a)
			}
		}
		if s.Approver != "Dana Whitfield" || s.Role != "CAB chair" || s.Date != "2026-11-23" {
			t.Errorf("%s: first approver %q %q %q", file, s.Approver, s.Role, s.Date)
		}
		gotGroups := map[string]pipeline.Decision{}
		for _, g := range s.Groups {
			gotGroups[g.ID] = g.Decision
			if groupID[g.Key] != g.ID || g.Sheet != PlanSheet || !strings.HasPrefix(g.Cell, "C") {
				t.Errorf("%s: group %+v", file, g)
			}
		}
		if len(s.Groups) != 4 || gotGroups[groupID[key(briefMembers[0])]] != pipeline.Approve ||
			gotGroups[groupID[key(briefMembers[1])]] != pipeline.Reject || gotGroups[groupID[key(briefMembers[2])]] != "" {
			t.Errorf("%s: groups %v", file, gotGroups)
		}
		if len(s.Decisions) != len(rowDec) || len(s.Decisions)+len(s.Undecided) != 13 {
			t.Errorf("%s: %d own decisions, %d undecided", file, len(s.Decisions), len(s.Undecided))
		}
		got := map[string]pipeline.Decision{}
		byGroup := 0
		for _, d := range s.Effective() {
			got[d.ActionID] = d.Decision
			i := byID(p, d.ActionID)
			if d.Group != p.actionGroup(i) {
				t.Errorf("%s: %s in group %v, want %v", file, d.ActionID, d.Group, p.actionGroup(i))
			}
			if d.ByGroup {
				byGroup++
				if d.From != PlanSheet+"!"+groupCell(s, d.GroupID) {
					t.Errorf("%s: %s decided by group at %s", file, d.ActionID, d.From)
				}
			} else if d.From != d.Sheet+"!"+d.Cell {
				t.Errorf("%s: %s decided at %s", file, d.ActionID, d.From)
			}
			if d.ActionID == p.Actions[byKind[2][0]].ActionID && d.Comment != "checked with the user" {
				t.Errorf("%s: comment %q", file, d.Comment)
			}
		}
		wantEff := map[string]pipeline.Decision{}
		for i, a := range p.Actions {
			if a.Kind.Decidable() && decide(i) != "" {
				wantEff[a.ActionID] = decide(i)
			}
		}
		if !reflect.DeepEqual(got, wantEff) {
			t.Errorf("%s: effective decisions\n%v\nwant\n%v", file, got, wantEff)
		}
		// Group 4 decides 3 of its 4 rows, group 2 two of 3, group 3 both.
		if byGroup != 3+2+2 {
			t.Errorf("%s: %d decisions by group, want 7", file, byGroup)
		}
	}
}

func byID(p *PlanBook, id string) int {
	for i, a := range p.Actions {
		if a.ActionID == id {
			return i
		}
	}
	return -1
}

func groupCell(s *Signed, id string) string {
	for _, g := range s.Groups {
		if g.ID == id {
			return g.Cell
		}
	}
	return ""
}

// cachedValue is the <v> the file stores for the brief's cell E<row>.
func cachedValue(t *testing.T, path string, row int) string {
	t.Helper()
	f := openBook(t, path)
	// A formula cell's GetCellValue is its cached result, "" when none.
	v, err := f.GetCellValue(BriefSheet, fmt.Sprintf("E%d", row))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The brief as a board member prints it: LibreOffice makes a PDF, the brief
// is its first page and fits on it whole, and pdftoppm renders the page.
func TestBriefPrintsOnOnePage(t *testing.T) {
	pdftotext := requireTool(t, "pdftotext", "the Debian package poppler-utils")
	pdftoppm := requireTool(t, "pdftoppm", "the Debian package poppler-utils")
	book := writeBriefPlan(t, briefPlan(), excelize.TotalRows)
	pdf := filepath.Join(libreOfficeConvert(t, "pdf", book), "plan.pdf")
	page := func(n int) string {
		out, err := exec.Command(pdftotext, "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), pdf, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext page %d: %v", n, err)
		}
		return strings.Join(strings.Fields(string(out)), " ")
	}
	first, second := page(1), page(2)
	for _, want := range []string{
		"Decision brief: turn on BypassDirSyncOverrides?",
		"What the switch does", "Flip now", "Approve all", "As decided so far",
		"Plan rows so far: 0 approved, 0 rejected, 13 not decided, of 13.",
		"counted in the Unknown row, never as 0).",
		"The riskiest values", "Users with a difference", "all other OUs",
		"Before you approve", "turning the switch off again does not bring them back.",
		"About this data", "Turns switch on",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("page 1 lacks %q:\n%s", want, first)
		}
	}
	if !strings.HasPrefix(second, ActionIDTitle) || !strings.Contains(second, GroupIDPrefix+"1") || strings.Contains(second, "Before you approve") {
		t.Errorf("page 2 is not the Plan sheet: %.200s", second)
	}
	prefix := filepath.Join(t.TempDir(), "brief")
	if out, err := exec.Command(pdftoppm, "-f", "1", "-l", "1", "-r", "60", "-png", "-singlefile", pdf, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	b, err := os.ReadFile(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || img.Width <= img.Height {
		t.Errorf("page 1 image %+v (%v), want landscape", img, err)
	}
	// SYNCGAP_BRIEF_OUT=dir keeps the workbook, the PDF and the page for a
	// person to look at.
	if dir := os.Getenv("SYNCGAP_BRIEF_OUT"); dir != "" {
		for src, name := range map[string]string{book: "plan.xlsx", pdf: "plan.pdf", prefix + ".png": "brief.png"} {
			b, err := os.ReadFile(src)
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
			}
			if err != nil {
				t.Error(err)
			}
		}
	}
}

// ReadSigned refuses a broken group row or a row naming no group, naming
// the sheet and cell; it does not refuse an unsigned sign-off.
func TestReadSignedGroups(t *testing.T) {
	book := writeBriefPlan(t, briefPlan(), excelize.TotalRows)
	edit := func(t *testing.T, sheet, cell, v string) string {
		t.Helper()
		f, err := excelize.OpenFile(book)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.SetCellStr(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "edited.xlsx")
		if err := f.SaveAs(out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	s, err := ReadSigned(book)
	if err != nil {
		t.Fatalf("an unsigned workbook is refused: %v", err)
	}
	name, _, date, _ := ApproverLabels(2)
	f := openBook(t, book)
	if s.Approvers[1].Name != "" || s.Approvers[1].NameCell != labelCell(t, f, SignOffSheet, name) ||
		s.Approvers[1].DateCell != labelCell(t, f, SignOffSheet, date) || s.ChangeIDCell != labelCell(t, f, SignOffSheet, ChangeIDLabel) {
		t.Errorf("unsigned sign-off %+v", s)
	}
	if len(s.Effective()) != 0 || len(s.Groups) != 4 || len(s.Undecided) != 13 {
		t.Errorf("unsigned: %d effective, %d groups, %d undecided", len(s.Effective()), len(s.Groups), len(s.Undecided))
	}
	for _, tt := range []struct {
		name, sheet, cell, value string
		wantCell, wantErr        string
	}{
		{"group decision", PlanSheet, "C2", "Yes please", "C2", `decision "Yes please"`},
		{"group kind", PlanSheet, "O3", "review", "O3", `kind "review" takes no decision`},
		{"group risk", PlanSheet, "F3", "extreme", "F3", `risk "extreme"`},
		{"group op", PlanSheet, "P3", "modify", "P3", `op "modify"`},
		{"group twice", PlanSheet, "A3", "Group 1", "A3", "group Group 1 appears twice (first at Plan!A2)"},
		{"unknown group", PlanSheet, "J8", "Group 9", "J8", `names group "Group 9"`},
		{"decision without id", PlanSheet, "C40", "Approve", "A40", "a decision (C40) on a row without an action id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadSigned(edit(t, tt.sheet, tt.cell, tt.value))
			var ce *pipeline.CellError
			if !errors.As(err, &ce) || ce.Sheet != tt.sheet || ce.Cell != tt.wantCell || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want a cell error at %s!%s containing %q", err, tt.sheet, tt.wantCell, tt.wantErr)
			}
		})
	}
	t.Run("same key on two group rows", func(t *testing.T) {
		// Group 3 (otherMobile replace medium) made group 2's twin.
		_, err := ReadSigned(edit(t, PlanSheet, "K4", "mobile"))
		var ce *pipeline.CellError
		if !errors.As(err, &ce) || ce.Cell != "A4" || !strings.Contains(err.Error(), "same kind, attribute, op and risk") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no plan hash", func(t *testing.T) {
		_, err := ReadSigned(edit(t, SignOffSheet, "B4", ""))
		var ce *pipeline.CellError
		if !errors.As(err, &ce) || ce.Sheet != SignOffSheet || ce.Cell != "B4" {
			t.Errorf("err = %v, want Sign-off!B4", err)
		}
	})
}

// A workbook from before the second approver still reads: its labels are
// approver 1's.
func TestReadSignedLegacySignOff(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet(SignOffSheet); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet(PlanSheet); err != nil {
		t.Fatal(err)
	}
	for ref, v := range map[string]string{
		"A4": PlanHashLabel, "B4": "abc", "A9": ApproverLabel, "B9": "Dana", "A10": RoleLabel, "B10": "chair", "A11": DateLabel, "B11": "2026-01-02",
	} {
		if err := f.SetCellStr(SignOffSheet, ref, v); err != nil {
			t.Fatal(err)
		}
	}
	for ref, v := range map[string]string{"A1": ActionIDTitle, "B1": DecisionTitle, "A2": "00000000000000aa", "B2": "approve"} {
		if err := f.SetCellStr(PlanSheet, ref, v); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "old.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSigned(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Approver != "Dana" || s.Approvers[0].NameCell != "B9" || s.Approvers[0].DateCell != "B11" || s.Approvers[1].NameCell != "" ||
		len(s.Decisions) != 1 || s.Decisions[0].GroupID != "" || !s.Decisions[0].Group.IsZero() {
		t.Errorf("legacy workbook read as %+v", s)
	}
}

// Every value of the enums a board meets has one sentence in the Glossary.
func TestGlossaryCoversEnums(t *testing.T) {
	f := openBook(t, writeBriefPlan(t, briefPlan(), excelize.TotalRows))
	meaning := map[string]string{}
	for _, r := range readRows(t, f, GlossarySheet)[1:] {
		if r[2] == "" || !strings.HasSuffix(r[2], ".") {
			t.Errorf("glossary %q: no sentence", r)
		}
		meaning[r[0]+"|"+r[1]] = r[2]
	}
	check := func(topic string, vals ...string) {
		for _, v := range vals {
			if meaning[topic+"|"+v] == "" {
				t.Errorf("glossary lacks %s %q", topic, v)
			}
		}
	}
	check("Match status", names(pipeline.MatchStatuses)...)
	check("State of a value", names(pipeline.States)...)
	check("Effect (Gaps, Summary)", append(names(pipeline.Effects), effectUnknown)...)
	check("Risk", names(pipeline.Risks)...)
	check("Forecast outcome", names(pipeline.CloudOutcomes)...)
	check("Kind of plan row", names(actionKinds)...)
	check("Scenario", FlipNowTitle, ApproveAllTitle, AsDecidedTitle)
	// actionKinds is every kind there is: each is decidable or listed on Review.
	for _, k := range actionKinds {
		if k.Writes() && !k.Decidable() {
			t.Errorf("kind %s writes but is not decidable", k)
		}
	}
	if len(actionKinds) != 5 {
		t.Errorf("%d kinds", len(actionKinds))
	}
}

func TestGroupOf(t *testing.T) {
	ad := pipeline.Action{Kind: pipeline.KindDecide, Target: pipeline.TargetAD, Attribute: "mobile", Op: pipeline.OpDelete, Risk: pipeline.RiskHigh}
	if got := GroupOf(&ad); got != (GroupKey{pipeline.KindDecide, "mobile", pipeline.OpDelete, pipeline.RiskHigh}) {
		t.Errorf("GroupOf = %v", got)
	}
	for _, a := range []pipeline.Action{
		{Kind: pipeline.KindWrite, Target: pipeline.TargetTenant, Attribute: pipeline.BypassFeature, Op: pipeline.OpReplace, Risk: pipeline.RiskHigh},
		{Kind: pipeline.KindAcknowledge, Target: pipeline.TargetTenant, Attribute: "otherMobile", Risk: pipeline.RiskHigh},
		{Kind: pipeline.KindReview, Target: pipeline.TargetAD, Attribute: "mobile", Risk: pipeline.RiskHigh},
	} {
		if got := GroupOf(&a); !got.IsZero() {
			t.Errorf("GroupOf(%s %s) = %v, want none", a.Kind, a.Target, got)
		}
	}
	for _, tt := range []struct {
		k    GroupKey
		n    int
		want string
	}{
		{GroupKey{pipeline.KindWrite, "mobile", pipeline.OpAdd, pipeline.RiskLow}, 41, "41 low-risk additions to AD mobile, proposed by the policy"},
		{GroupKey{pipeline.KindDecide, "otherMobile", pipeline.OpDelete, pipeline.RiskHigh}, 1, "1 high-risk deletion of AD otherMobile, left to the board"},
		{GroupKey{pipeline.KindWrite, "mobile", pipeline.OpReplace, pipeline.RiskMedium}, 2, "2 medium-risk replacements of AD mobile, proposed by the policy"},
	} {
		if got := tt.k.Label(tt.n); got != tt.want {
			t.Errorf("Label = %q, want %q", got, tt.want)
		}
	}
}

// Identical input gives identical bytes, split or not.
func TestPlanWorkbookDeterministic(t *testing.T) {
	for _, maxRows := range []int{excelize.TotalRows, 4} {
		var first []byte
		for i := range 3 {
			b, err := os.ReadFile(writeBriefPlan(t, briefPlan(), maxRows))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = b
			} else if !bytes.Equal(b, first) {
				t.Fatalf("limit %d: write %d differs from the first", maxRows, i+1)
			}
		}
	}
}

// Every sheet lists its columns in ascending order, as Excel requires; the
// stream writer emits them in call order.
func TestColumnsAscending(t *testing.T) {
	for _, path := range []string{writeBriefPlan(t, briefPlan(), 5), writeFixture(t, fixtureAudit(), excelize.TotalRows)} {
		for name, ws := range rawSheets(t, path) {
			for i := 1; i < len(ws.Cols); i++ {
				if ws.Cols[i].Min <= ws.Cols[i-1].Max {
					t.Errorf("%s: column %d-%d after %d-%d", name, ws.Cols[i].Min, ws.Cols[i].Max, ws.Cols[i-1].Min, ws.Cols[i-1].Max)
				}
			}
		}
	}
}

// The plan workbook's Summary agrees with the brief and shows the plan's
// options and parameters; with every otherMobile unknown, the audit
// Summary says "unknown" in the otherMobile column, never 0.
func TestSummaryOfPlan(t *testing.T) {
	p := briefPlan()
	f := openBook(t, writeBriefPlan(t, p, excelize.TotalRows))
	rows := readRows(t, f, SummarySheet)
	for _, o := range pipeline.CloudOutcomes {
		r := rowWith(rows, outcomeLabel(o))
		if len(r) < 3 || r[1] != strconv.Itoa(p.Forecast[pipeline.FlipNow][o]) || r[2] != strconv.Itoa(p.Forecast[pipeline.ApproveAll][o]) {
			t.Errorf("Summary %s = %q, want the brief's %d, %d", o, r, p.Forecast[pipeline.FlipNow][o], p.Forecast[pipeline.ApproveAll][o])
		}
	}
	if r := rowWith(rows, "Options used"); len(r) < 2 || !strings.Contains(r[1], "only users under OU=Sales,DC=corp") {
		t.Errorf("Options used = %q", r)
	}
	if r := rowWith(rows, "enable_bypass"); len(r) < 3 || r[1] != "true" || r[2] != "plan" {
		t.Errorf("plan parameter = %q", r)
	}
	if r := rowWith(rows, "Rows to decide (Plan sheet)"); len(r) < 2 || r[1] != "13" {
		t.Errorf("rows to decide = %q", r)
	}

	a := &Audit{Gaps: pipeline.Slice[pipeline.Gap]{
		{MatchStatus: pipeline.Matched, MobileState: pipeline.MissingInAD, OtherMobileState: pipeline.Unverifiable, MobileEntra: "+1 425 555 0100", Effect: pipeline.ClearsCloud},
		{MatchStatus: pipeline.Matched, MobileState: pipeline.InSync, OtherMobileState: pipeline.Unverifiable, OtherMobileAD: []string{"+1 425 555 0101"}, Effect: pipeline.NoEffect},
	}}
	af := openBook(t, writeFixture(t, a, excelize.TotalRows))
	arows := readRows(t, af, SummarySheet)
	for _, label := range []string{"cleared", "overwritten", "filled", "reformatted"} {
		r := rowWith(arows, label)
		if len(r) < 4 || r[2] != "unknown" && !strings.HasSuffix(r[2], " + unknown") || !strings.HasSuffix(r[3], "unknown") {
			t.Errorf("Summary %s = %q, want otherMobile and total unknown", label, r)
		}
	}
	if r := rowWith(arows, effectUnknown); len(r) < 2 || r[1] != "1" {
		t.Errorf("effect unknown = %q, want the user whose otherMobile cannot be read", r)
	}
}

// A plan with nothing to decide (a rollback plan, or ad-wins with only
// record rows) still gives a whole workbook: no groups, the brief's
// numbers "not forecast", and ReadSigned finds no decisions.
func TestWritePlanNothingToDecide(t *testing.T) {
	for _, p := range []*PlanBook{
		{Policy: "rollback", Hash: "ab"},
		{Policy: "ad-wins", Hash: "cd", Actions: []pipeline.Action{{ActionID: "00000000000000aa", Kind: pipeline.KindRecord, Target: pipeline.TargetEntra}},
			Fixed: map[pipeline.CloudOutcome]int{pipeline.Lost: 2}, Forecast: map[pipeline.Scenario]map[pipeline.CloudOutcome]int{
				pipeline.FlipNow: {pipeline.Lost: 2}, pipeline.ApproveAll: {pipeline.Lost: 2}}},
	} {
		path := filepath.Join(t.TempDir(), "plan.xlsx")
		if err := WritePlan(context.Background(), path, &Audit{}, p); err != nil {
			t.Fatalf("%s: %v", p.Policy, err)
		}
		f := openBook(t, path)
		if rows := readRows(t, f, PlanSheet); len(rows) != 1 {
			t.Errorf("%s: Plan rows %q, want the header only", p.Policy, rows)
		}
		sc := scenarioRows(t, briefCells(t, f))
		if p.Forecast == nil && sc[pipeline.Lost][0] != "not forecast" {
			t.Errorf("%s: lost = %q", p.Policy, sc[pipeline.Lost])
		}
		if p.Forecast != nil {
			for i, r := range briefCells(t, f) {
				if len(r) > 0 && strings.HasPrefix(r[0], outcomeWords[pipeline.Lost][0]) {
					if fm, _ := f.GetCellFormula(BriefSheet, fmt.Sprintf("E%d", i+1)); fm != "2" {
						t.Errorf("%s: lost as decided = %q, want the fixed 2", p.Policy, fm)
					}
				}
			}
		}
		s, err := ReadSigned(path)
		if err != nil || len(s.Groups)+len(s.Decisions)+len(s.Undecided) != 0 {
			t.Errorf("%s: ReadSigned = %+v, %v", p.Policy, s, err)
		}
	}
	if err := WritePlan(context.Background(), filepath.Join(t.TempDir(), "x.xlsx"), &Audit{}, &PlanBook{
		Actions: []pipeline.Action{{Kind: pipeline.KindWrite}}, Effects: []ActionEffect{{}, {}},
	}); err == nil || !strings.Contains(err.Error(), "2 effects for 1 actions") {
		t.Errorf("effects not matching the actions: %v", err)
	}
}

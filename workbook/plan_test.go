package workbook

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// planFixture is a plan whose directory values are hostile: formulas, DDE,
// leading "+", "-", "@", newlines and NUL.
func planFixture(n int) *PlanBook {
	hostile := []string{hostileDDE, "=HYPERLINK(\"http://evil\",\"x\")", "+1 206 555 0100", "-2+3", "@SUM(1)", "two\nlines", "nul\x00byte"}
	p := &PlanBook{Policy: "entra-wins", Hash: strings.Repeat("ab", 32)}
	for i := 0; i < n; i++ {
		v := hostile[i%len(hostile)]
		kind := pipeline.KindWrite
		if i%4 == 3 {
			kind = pipeline.KindReview
		}
		p.Actions = append(p.Actions, pipeline.Action{
			ActionID: "a" + strconv.Itoa(1000+i), Kind: kind, Target: pipeline.TargetAD,
			DN: "CN=" + v + ",DC=corp", UPN: v + "@corp.example", Attribute: "mobile", Op: pipeline.OpReplace,
			Expected: []string{v}, Value: []string{"+1 206 555 0199"}, ADValue: []string{v}, CloudValue: []string{"+1 206 555 0199"},
			Reason: "reason " + v, Risk: pipeline.RiskMedium, MatchStatus: pipeline.Matched, State: pipeline.Mismatch,
		})
	}
	return p
}

func writePlanFixture(t *testing.T, p *PlanBook, maxRows int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.xlsx")
	if err := writePlan(context.Background(), path, fixtureAudit(), p, maxRows); err != nil {
		t.Fatal(err)
	}
	return path
}

// cellLocked reports whether a cell's style leaves it locked on a protected sheet.
func cellLocked(t *testing.T, f *excelize.File, sheet, cell string) bool {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st.Protection == nil || st.Protection.Locked
}

// labelCell is the B cell right of label in column A of a sheet.
func labelCell(t *testing.T, f *excelize.File, sheet, label string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && r[0] == label {
			return "B" + strconv.Itoa(i+1)
		}
	}
	t.Fatalf("%s has no label %q", sheet, label)
	return ""
}

func TestPlanWorkbookProtectionAndDropDown(t *testing.T) {
	p := planFixture(20) // 15 decidable rows, one group
	path := writePlanFixture(t, p, excelize.TotalRows)
	sheets := rawSheets(t, path)
	ws, ok := sheets[PlanSheet]
	if !ok {
		t.Fatalf("no Plan sheet in %v", sheets)
	}
	if ws.Protection == nil || !ws.Protection.Sheet || ws.Protection.AutoFilter {
		t.Errorf("Plan protection %+v: want protected with filtering allowed", ws.Protection)
	}
	// One group row and 15 members: the drop-down covers both.
	if len(ws.Validations) != 1 || ws.Validations[0].Type != "list" || ws.Validations[0].Sqref != "C2:C17" ||
		!strings.Contains(ws.Validations[0].Formula, "Approve,Reject") {
		t.Errorf("Decision drop-down %+v, want a list Approve,Reject over C2:C17", ws.Validations)
	}
	if ws.PageSetup == nil || ws.PageSetup.Orientation != "landscape" || ws.PageSetup.FitToWidth != "1" {
		t.Errorf("Plan page setup %+v, want landscape one page wide", ws.PageSetup)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !cellLocked(t, f, PlanSheet, "A3") || !cellLocked(t, f, PlanSheet, "N3") || cellLocked(t, f, PlanSheet, "C3") ||
		cellLocked(t, f, PlanSheet, "D3") || cellLocked(t, f, PlanSheet, "C2") || !cellLocked(t, f, PlanSheet, "T3") {
		t.Errorf("locks: want ids, values and helpers locked, decision and comment (also the group's) open")
	}
	so := sheets[SignOffSheet]
	if so.Protection == nil || !so.Protection.Sheet {
		t.Errorf("Sign-off is not protected")
	}
	if v, _ := f.GetCellValue(SignOffSheet, "B4"); v != p.Hash {
		t.Errorf("Sign-off B4 = %q, want the plan hash", v)
	}
	if !cellLocked(t, f, SignOffSheet, "B4") {
		t.Error("the plan hash cell is unlocked")
	}
	labels := []string{ChangeIDLabel, ImplementerLabel, WindowLabel}
	for n := 1; n <= Approvers; n++ {
		name, role, date, sign := ApproverLabels(n)
		labels = append(labels, name, role, date, sign)
	}
	for _, l := range labels {
		if cell := labelCell(t, f, SignOffSheet, l); cellLocked(t, f, SignOffSheet, cell) {
			t.Errorf("Sign-off %s (%s) is locked", l, cell)
		}
	}
}

// TestPlanWorkbookInGnumeric: every directory value is a string cell holding
// exactly the value (the NUL aside, which XML cannot carry), on the Plan and
// Review sheets, as gnumeric reads them. The only formulas are the Effective
// decision helper cells, and they name cells only.
func TestPlanWorkbookInGnumeric(t *testing.T) {
	p := planFixture(14)
	path := writePlanFixture(t, p, excelize.TotalRows)
	seen, formulas := 0, 0
	shared := map[string]bool{} // gnumeric ExprIDs of checked formulas
	helper := regexp.MustCompile(`^=if\(trim\(\$C(\d+)\)<>"",trim\(\$C(\d+)\),if\(trim\(Plan!\$C\$2\)<>"",trim\(Plan!\$C\$2\),""\)\)$`)
	for _, s := range gnumericSheets(t, path) {
		if s.Name != PlanSheet && s.Name != ReviewSheet {
			continue
		}
		for _, c := range s.Cells {
			if c.Row == 0 {
				continue
			}
			seen++
			if s.Name == PlanSheet && c.Col == pcEffective && c.ValueType == "" {
				formulas++
				if c.Text == "" && shared[c.ExprID] {
					continue // the same formula, relative to this row
				}
				if c.ExprID != "" {
					shared[c.ExprID] = true
				}
				if m := helper.FindStringSubmatch(c.Text); m == nil || m[1] != strconv.Itoa(c.Row+1) || m[2] != m[1] {
					t.Errorf("%s!%s: helper formula %q, want the row's own Decision, else group 1's", s.Name, cellName(c.Row, c.Col), c.Text)
				}
				continue
			}
			if !c.isString() {
				t.Errorf("%s!%s: value type %s (%q), want a string", s.Name, cellName(c.Row, c.Col), c.ValueType, c.Text)
			}
			if strings.HasPrefix(c.Text, "=") && !strings.HasPrefix(c.Text, "=cmd") && !strings.HasPrefix(c.Text, "=HYPERLINK") {
				t.Errorf("%s!%s: %q", s.Name, cellName(c.Row, c.Col), c.Text)
			}
		}
	}
	if seen < 14*9 {
		t.Errorf("only %d data cells seen", seen)
	}
	// 14 rows, every 4th a review: 11 decidable, each with its helper.
	if formulas != 11 {
		t.Errorf("%d helper formulas, want 11", formulas)
	}
}

func TestPlanSheetSplitsAndReadsBack(t *testing.T) {
	p := planFixture(11) // 9 decidable rows (ids a1000..a1010 but every 4th is review), one group
	path := writePlanFixture(t, p, 4)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The group row and 2 members, then 3, 3 and 1 members.
	want := []string{BriefSheet, "Plan", "Plan (2)", "Plan (3)", "Plan (4)", SignOffSheet, SummarySheet, "Review"}
	if got := f.GetSheetList(); len(got) < len(want) || strings.Join(got[:len(want)], ",") != strings.Join(want, ",") {
		t.Errorf("sheets %q, want them to start %q", got, want)
	}
	// The last member's helper names group 1's Decision cell on the first part.
	if fm, _ := f.GetCellFormula("Plan (4)", "T2"); !strings.Contains(fm, "'Plan'!$C$2") || !strings.Contains(fm, "$C2") {
		t.Errorf("Plan (4)!T2 = %q, want the row's own and group 1's Decision", fm)
	}
	// A reviewer approves the last decidable row, on the fourth part, and
	// rejects the group.
	last, _ := f.GetCellValue("Plan (4)", "A2")
	if err := f.SetCellStr("Plan (4)", "C2", "Approve"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStr(PlanSheet, "C2", "reject"); err != nil {
		t.Fatal(err)
	}
	name, _, _, _ := ApproverLabels(1)
	if err := f.SetCellStr(SignOffSheet, labelCell(t, f, SignOffSheet, name), "Dana"); err != nil {
		t.Fatal(err)
	}
	signed := filepath.Join(t.TempDir(), "signed.xlsx")
	if err := f.SaveAs(signed); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s, err := ReadSigned(signed)
	if err != nil {
		t.Fatal(err)
	}
	decidable := 0
	for _, a := range p.Actions {
		if a.Kind.Decidable() {
			decidable++
		}
	}
	if len(s.Decisions) != 1 || s.Decisions[0].ActionID != last || s.Decisions[0].Cell != "C2" || s.Decisions[0].Sheet != "Plan (4)" ||
		len(s.Undecided) != decidable-1 || s.Approver != "Dana" || s.PlanHash != p.Hash {
		t.Errorf("read back %+v (want 1 decision for %s, %d undecided)", s, last, decidable-1)
	}
	if len(s.Groups) != 1 || s.Groups[0].Decision != pipeline.Reject || s.Groups[0].Sheet != PlanSheet || s.Groups[0].Cell != "C2" {
		t.Errorf("groups %+v, want group 1 rejected at Plan!C2", s.Groups)
	}
	eff := s.Effective()
	if len(eff) != decidable {
		t.Fatalf("%d effective decisions, want %d", len(eff), decidable)
	}
	for _, d := range eff {
		own := d.ActionID == last
		if own != !d.ByGroup || (own && d.Decision != pipeline.Approve) || (!own && (d.Decision != pipeline.Reject || d.From != "Plan!C2")) {
			t.Errorf("effective %+v", d)
		}
	}
}

package workbook

import (
	"path/filepath"
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
	if err := writePlan(path, fixtureAudit(), p, maxRows); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPlanWorkbookProtectionAndDropDown(t *testing.T) {
	p := planFixture(20)
	path := writePlanFixture(t, p, excelize.TotalRows)
	sheets := rawSheets(t, path)
	ws, ok := sheets[PlanSheet]
	if !ok {
		t.Fatalf("no Plan sheet in %v", sheets)
	}
	if ws.Protection == nil || !ws.Protection.Sheet || ws.Protection.AutoFilter {
		t.Errorf("Plan protection %+v: want protected with filtering allowed", ws.Protection)
	}
	if len(ws.Validations) != 1 || ws.Validations[0].Type != "list" || ws.Validations[0].Sqref != "L2:L16" ||
		!strings.Contains(ws.Validations[0].Formula, "Approve,Reject") {
		t.Errorf("Decision drop-down %+v, want a list Approve,Reject over L2:L16", ws.Validations)
	}
	if ws.PageSetup == nil || ws.PageSetup.Orientation != "landscape" || ws.PageSetup.FitToWidth != "1" {
		t.Errorf("Plan page setup %+v, want landscape one page wide", ws.PageSetup)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	locked := func(cell string) bool {
		id, err := f.GetCellStyle(PlanSheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return st.Protection == nil || st.Protection.Locked
	}
	if !locked("A2") || !locked("I2") || locked("L2") || locked("M2") {
		t.Errorf("locks: id %v, proposed %v, decision %v, comment %v; want ids and values locked, decision and comment open",
			locked("A2"), locked("I2"), locked("L2"), locked("M2"))
	}
	so := sheets[SignOffSheet]
	if so.Protection == nil || !so.Protection.Sheet {
		t.Errorf("Sign-off is not protected")
	}
	if v, _ := f.GetCellValue(SignOffSheet, "B4"); v != p.Hash {
		t.Errorf("Sign-off B4 = %q, want the plan hash", v)
	}
	if locked := func() bool {
		id, _ := f.GetCellStyle(SignOffSheet, "B9")
		st, _ := f.GetStyle(id)
		return st.Protection == nil || st.Protection.Locked
	}(); locked {
		t.Error("the approver cell is locked")
	}
}

// TestPlanWorkbookInGnumeric: every directory value is a string cell holding
// exactly the value (the NUL aside, which XML cannot carry), on the Plan and
// Review sheets, as gnumeric reads them.
func TestPlanWorkbookInGnumeric(t *testing.T) {
	p := planFixture(14)
	path := writePlanFixture(t, p, excelize.TotalRows)
	seen := 0
	for _, s := range gnumericSheets(t, path) {
		if s.Name != PlanSheet && s.Name != ReviewSheet {
			continue
		}
		for _, c := range s.Cells {
			if c.Row == 0 {
				continue
			}
			seen++
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
}

func TestPlanSheetSplitsAndReadsBack(t *testing.T) {
	p := planFixture(11) // 9 decidable rows (ids a1000..a1010 but every 4th is review)
	path := writePlanFixture(t, p, 4)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Summary", "Plan", "Review", "Plan (2)", "Plan (3)"}
	if got := f.GetSheetList(); len(got) < len(want) || strings.Join(got[:len(want)], ",") != strings.Join(want, ",") {
		t.Errorf("sheets %q, want them to start %q", got, want)
	}
	// A reviewer approves the last decidable row, on the third part.
	last, _ := f.GetCellValue("Plan (3)", "A2")
	if err := f.SetCellStr("Plan (3)", "L2", "Approve"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStr(SignOffSheet, "B9", "Dana"); err != nil {
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
	if len(s.Decisions) != 1 || s.Decisions[0].ActionID != last || s.Decisions[0].Cell != "L2" || s.Decisions[0].Sheet != "Plan (3)" ||
		len(s.Undecided) != decidable-1 || s.Approver != "Dana" || s.PlanHash != p.Hash {
		t.Errorf("read back %+v (want 1 decision for %s, %d undecided)", s, last, decidable-1)
	}
}

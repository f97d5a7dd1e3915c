package workbook

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// normalize trims trailing empty fields (gnumeric pads CSV rows to the sheet's
// used width) and pads to width, so rows compare with the expected tables.
func normalize(rows [][]string, width int) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		for len(r) > 0 && r[len(r)-1] == "" {
			r = r[:len(r)-1]
		}
		for len(r) < width {
			r = append(r, "")
		}
		out[i] = r
	}
	return out
}

// summaryTable reads the two-column count table titled title off the Summary:
// value → count text, in order.
func summaryTable(t *testing.T, rows [][]string, title string) [][2]string {
	t.Helper()
	for i, r := range rows {
		if len(r) < 2 || r[0] != title || r[1] != "Users" {
			continue
		}
		var out [][2]string
		for _, v := range rows[i+1:] {
			if len(v) < 2 || v[0] == "" {
				break
			}
			out = append(out, [2]string{v[0], v[1]})
		}
		return out
	}
	t.Fatalf("Summary has no table %q", title)
	return nil
}

// rowWith returns the first Summary row whose first cell is label.
func rowWith(rows [][]string, label string) []string {
	for _, r := range rows {
		if len(r) > 0 && r[0] == label {
			return r
		}
	}
	return nil
}

// The workbook as gnumeric reads it: Summary counts, every Gaps and Unmatched
// row over all split parts, hostile values literal, cells typed as strings,
// filters and frozen headers in place, and the chart present.
func TestAuditInGnumeric(t *testing.T) {
	for _, tt := range []struct {
		maxRows         int
		gaps, unmatched []string
	}{
		{excelize.TotalRows, []string{"Gaps"}, []string{"Unmatched"}},
		{3, []string{"Gaps", "Gaps (2)", "Gaps (3)"}, []string{"Unmatched", "Unmatched (2)"}},
	} {
		t.Run(fmt.Sprintf("limit %d", tt.maxRows), func(t *testing.T) {
			p := writeFixture(t, fixtureAudit(), tt.maxRows)
			csv := SheetCSV(t, p)
			wantOrder := append(append([]string{SummarySheet}, tt.gaps...), tt.unmatched...)
			if got := sheetOrder(t, p); !reflect.DeepEqual(got, wantOrder) {
				t.Fatalf("sheets = %q, want %q", got, wantOrder)
			}
			if tt.maxRows == excelize.TotalRows {
				checkSummaryCSV(t, csv[SummarySheet])
			}
			for _, part := range []struct {
				names []string
				want  [][]string
			}{{tt.gaps, wantGapRows}, {tt.unmatched, wantUnmatchedRows}} {
				all := [][]string{part.want[0]}
				for _, name := range part.names {
					rows := normalize(csv[name], len(part.want[0]))
					if len(rows) == 0 || !reflect.DeepEqual(rows[0], part.want[0]) {
						t.Fatalf("%s: header %q", name, rows)
					}
					all = append(all, rows[1:]...)
				}
				if !reflect.DeepEqual(all, part.want) {
					t.Errorf("rows over %q:\n%q\nwant:\n%q", part.names, all, part.want)
				}
			}
			checkGnumericCells(t, p, tt.maxRows)
		})
	}
}

func checkSummaryCSV(t *testing.T, rows [][]string) {
	t.Helper()
	tables := []struct {
		title string
		want  [][2]string
	}{
		{"Match status", [][2]string{{"matched", "6"}, {"ambiguous", "1"}, {"anchor_conflict", "1"}, {"ad_only", "1"}, {"cloud_only", "1"}, {"orphaned_synced", "0"}}},
		{"Mobile state", [][2]string{{"in_sync", "3"}, {"format_only", "1"}, {"missing_in_entra", "0"}, {"missing_in_ad", "1"}, {"mismatch", "1"}, {"invalid", "1"}, {"unverifiable", "0"}, {"not_applicable", "3"}}},
		{"Other mobile state", [][2]string{{"in_sync", "2"}, {"format_only", "0"}, {"missing_in_entra", "1"}, {"missing_in_ad", "0"}, {"mismatch", "1"}, {"invalid", "0"}, {"unverifiable", "3"}, {"not_applicable", "3"}}},
		{"Effect of enabling bypass", [][2]string{{"clears_cloud", "1"}, {"overwrites_cloud", "2"}, {"fills_cloud", "1"}, {"reformats_cloud", "1"}, {"none", "4"}, {effectUnknown, "1"}}},
		{"Risk", [][2]string{{"high", "2"}, {"medium", "2"}, {"low", "1"}, {"none", "5"}}},
	}
	for _, tb := range tables {
		if got := summaryTable(t, rows, tb.title); !reflect.DeepEqual(got, tb.want) {
			t.Errorf("Summary %s = %q, want %q", tb.title, got, tb.want)
		}
	}
	for _, kv := range [][2]string{
		{"Snapshot", hostileSum + "/snap"},
		{"bypassDirSyncOverridesEnabled", "off"},
		{"Tenant flag source", "sync.json"},
		{"Entra formats detected", "graph-rest-pages, msonline-csv"},
		{"ad.ldif", "1234"},
		{hostileHyperlink, "5"},
		{"a", hostileAt},
		{"z", hostileMinus},
	} {
		if r := rowWith(rows, kv[0]); len(r) < 2 || r[1] != kv[1] {
			t.Errorf("Summary row %q = %q, want second cell %q", kv[0], r, kv[1])
		}
	}
	// Users in sync are counted, not listed on Gaps.
	for _, kv := range [][2]string{{"  with a difference (listed on Gaps)", "5"}, {"  in sync (not listed on Gaps)", "2"}} {
		if r := rowWith(rows, kv[0]); len(r) < 2 || r[1] != kv[1] {
			t.Errorf("Summary row %q = %q, want %q", kv[0], r, kv[1])
		}
	}
	// Cloud values by attribute: mobile, otherMobile, total. The cloud's
	// otherMobile is unknown for 3 users: never 0 there.
	for _, want := range [][]string{
		{"cleared", "1", "unknown", "1 + unknown"}, {"overwritten", "1", "1 + unknown", "2 + unknown"},
		{"filled", "1", "1 + unknown", "2 + unknown"}, {"reformatted", "1", "unknown", "1 + unknown"},
	} {
		if r := rowWith(rows, want[0]); len(r) < 4 || !reflect.DeepEqual(r[:4], want) {
			t.Errorf("Summary row %q = %q, want %q", want[0], r, want)
		}
	}
	text := fmt.Sprint(rows)
	for _, want := range []string{
		"Enabling BypassDirSyncOverrides would: clear 1 cloud values, overwrite 2, fill 2, reformat 1",
		"The cloud otherMobile is unknown for 3 of 7 synced users",
		"unknown: the cloud's otherMobile cannot be read for 3 synced users",
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Summary lacks %q", want)
		}
	}
}

// checkGnumericCells looks at cell types, filters, frozen panes and the chart.
func checkGnumericCells(t *testing.T, p string, maxRows int) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range gnumericSheets(t, p) {
		if s.Name == SummarySheet {
			if len(s.Charts) != 2 {
				t.Errorf("Summary: %d charts, want 2 (effect, domain)", len(s.Charts))
			}
			for _, c := range s.Cells {
				if c.ValueType == "" {
					t.Errorf("Summary!%s = %q is a formula", cellName(c.Row, c.Col), c.Text)
				}
			}
			continue
		}
		rows := 0
		for _, c := range s.Cells {
			if !c.isString() {
				t.Errorf("%s!%s = %q has ValueType %q, want a string (60)", s.Name, cellName(c.Row, c.Col), c.Text, c.ValueType)
			}
			seen[c.Text] = true
			rows = max(rows, c.Row+1)
		}
		if rows > maxRows {
			t.Errorf("%s: %d rows, limit %d", s.Name, rows, maxRows)
		}
		if len(s.Filters) != 1 || !strings.HasPrefix(s.Filters[0].Area, "A1:") || !strings.HasSuffix(s.Filters[0].Area, fmt.Sprint(rows)) {
			t.Errorf("%s: filters %+v, want one over A1 to row %d", s.Name, s.Filters, rows)
		}
		if s.Freeze.Unfrozen != "A2" {
			t.Errorf("%s: frozen pane %+v, want the header row frozen", s.Name, s.Freeze)
		}
	}
	for _, v := range []string{hostileHyperlink, hostileDDE, hostilePlus, hostileMinus, hostileAt, hostileSum, hostileSpaces} {
		if !seen[v] {
			t.Errorf("gnumeric does not show %q literally", v)
		}
	}
}

// A negative control: the checks above would notice real formulas and
// numbers, because gnumeric evaluates them on import.
func TestGnumericSeesFormulas(t *testing.T) {
	p := filepath.Join(t.TempDir(), "formulas.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{
		excelize.Cell{Formula: `HYPERLINK("http://x","y")`}, excelize.Cell{Formula: "1+1"}, -5, hostileSum,
	}); err != nil {
		t.Fatal(err)
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got, want := normalize(SheetCSV(t, p)["Sheet1"], 4)[0], []string{"y", "2", "-5", hostileSum}; !reflect.DeepEqual(got, want) {
		t.Errorf("CSV = %q, want %q", got, want)
	}
	types := map[int]string{}
	for _, c := range gnumericSheets(t, p)[0].Cells {
		types[c.Col] = c.ValueType
	}
	if want := map[int]string{0: "", 1: "", 2: "40", 3: "60"}; !reflect.DeepEqual(types, want) {
		t.Errorf("value types = %v, want %v (formula, formula, number, string)", types, want)
	}
}

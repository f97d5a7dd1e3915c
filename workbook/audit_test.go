package workbook

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// readRows reads a sheet back with excelize, padded to the header's width.
func readRows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	for i := range rows {
		for len(rows[i]) < len(rows[0]) {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}

func writeFixture(t *testing.T, a *Audit, maxRows int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "report.xlsx")
	if err := writeAudit(context.Background(), p, a, maxRows); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteAuditSheets(t *testing.T) {
	p := writeFixture(t, fixtureAudit(), excelize.TotalRows)
	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{SummarySheet, GapsSheet, UnmatchedSheet}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	for _, tt := range []struct {
		sheet string
		want  [][]string
	}{{GapsSheet, wantGapRows}, {UnmatchedSheet, wantUnmatchedRows}} {
		t.Run(tt.sheet, func(t *testing.T) {
			got := readRows(t, f, tt.sheet)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

// Every data cell must be an inline string without a formula, and the cells a
// program could misread must keep their exact text.
func TestWriteAuditCellsAreText(t *testing.T) {
	p := writeFixture(t, fixtureAudit(), excelize.TotalRows)
	sheets := rawSheets(t, p)
	seen := map[string]bool{}
	for _, name := range []string{GapsSheet, UnmatchedSheet} {
		ws := sheets[name]
		if len(ws.Rows) == 0 {
			t.Fatalf("sheet %s: no rows", name)
		}
		for _, r := range ws.Rows {
			for _, c := range r.Cells {
				if c.Type != "inlineStr" || c.Formula != nil {
					t.Errorf("%s!%s: type %q formula %v, want an inline string", name, c.Ref, c.Type, c.Formula != nil)
				}
				if c.Style == 0 {
					t.Errorf("%s!%s: no style, want the Text format", name, c.Ref)
				}
				seen[c.Inline] = true
			}
		}
	}
	for _, v := range []string{hostileHyperlink, hostileDDE, hostilePlus, hostileMinus, hostileAt, hostileSum, hostileSpaces} {
		if !seen[v] {
			t.Errorf("value %q not found verbatim in any cell", v)
		}
	}
	// The Summary is written in normal mode: strings are shared strings, and
	// no cell anywhere may be a formula.
	for _, r := range sheets[SummarySheet].Rows {
		for _, c := range r.Cells {
			if c.Formula != nil {
				t.Errorf("%s!%s is a formula", SummarySheet, c.Ref)
			}
			if c.Type != "s" && c.Type != "" {
				t.Errorf("%s!%s: type %q, want shared string or number", SummarySheet, c.Ref, c.Type)
			}
		}
	}
}

// Splitting: each part has the header, a frozen first row and an autofilter
// over exactly its rows; together the parts hold every row once, in order.
func TestWriteAuditSplitsLongSheets(t *testing.T) {
	tests := []struct {
		maxRows       int
		gaps, unmatch []string
	}{
		{2, []string{"Gaps", "Gaps (2)", "Gaps (3)", "Gaps (4)", "Gaps (5)"}, []string{"Unmatched", "Unmatched (2)", "Unmatched (3)", "Unmatched (4)"}},
		{3, []string{"Gaps", "Gaps (2)", "Gaps (3)"}, []string{"Unmatched", "Unmatched (2)"}},
		{5, []string{"Gaps", "Gaps (2)"}, []string{"Unmatched"}},
		{6, []string{"Gaps"}, []string{"Unmatched"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("limit %d", tt.maxRows), func(t *testing.T) {
			p := writeFixture(t, fixtureAudit(), tt.maxRows)
			f, err := excelize.OpenFile(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			want := append(append([]string{SummarySheet}, tt.gaps...), tt.unmatch...)
			if got := f.GetSheetList(); !reflect.DeepEqual(got, want) {
				t.Fatalf("sheets = %q, want %q", got, want)
			}
			raw := rawSheets(t, p)
			for _, part := range []struct {
				names []string
				want  [][]string
			}{{tt.gaps, wantGapRows}, {tt.unmatch, wantUnmatchedRows}} {
				all := [][]string{part.want[0]}
				for _, name := range part.names {
					rows := readRows(t, f, name)
					if len(rows) > tt.maxRows || !reflect.DeepEqual(rows[0], part.want[0]) {
						t.Errorf("%s: %d rows, header %q", name, len(rows), rows[0])
					}
					all = append(all, rows[1:]...)
					checkSheetFrame(t, name, raw[name], len(rows), len(part.want[0]))
				}
				if !reflect.DeepEqual(all, part.want) {
					t.Errorf("rows over %q:\n%q\nwant:\n%q", part.names, all, part.want)
				}
			}
		})
	}
}

// checkSheetFrame checks a data sheet's frozen header, autofilter and widths.
func checkSheetFrame(t *testing.T, name string, ws xlsxSheet, rows, cols int) {
	t.Helper()
	last, _ := excelize.CoordinatesToCellName(cols, rows)
	// excelize writes the reference absolute ($A$1:$N$9); both forms are valid.
	if ws.AutoFilter == nil || strings.ReplaceAll(ws.AutoFilter.Ref, "$", "") != "A1:"+last {
		t.Errorf("%s: autofilter %+v, want A1:%s", name, ws.AutoFilter, last)
	}
	if ws.Pane == nil || ws.Pane.State != "frozen" || ws.Pane.YSplit != 1 || ws.Pane.TopLeft != "A2" {
		t.Errorf("%s: pane %+v, want the first row frozen", name, ws.Pane)
	}
	if len(ws.Cols) != cols {
		t.Errorf("%s: %d column widths, want %d", name, len(ws.Cols), cols)
	}
}

func TestWriteAuditEmpty(t *testing.T) {
	p := writeFixture(t, &Audit{}, excelize.TotalRows)
	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tt := range []struct {
		sheet string
		cols  []column
	}{{GapsSheet, gapColumns}, {UnmatchedSheet, unmatchedColumns}} {
		if rows := readRows(t, f, tt.sheet); len(rows) != 1 || rows[0][0] != tt.cols[0].Title {
			t.Errorf("%s = %q, want the header only", tt.sheet, rows)
		}
	}
}

// Identical input must give identical bytes, also with several streamed
// sheets (excelize writes those in map order) and a parameters map.
func TestWriteAuditDeterministic(t *testing.T) {
	for _, maxRows := range []int{excelize.TotalRows, 2} {
		t.Run(fmt.Sprintf("limit %d", maxRows), func(t *testing.T) {
			var first []byte
			for i := range 5 {
				b, err := os.ReadFile(writeFixture(t, fixtureAudit(), maxRows))
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = b
				} else if !bytes.Equal(b, first) {
					t.Fatalf("write %d differs from the first (%d vs %d bytes)", i+1, len(b), len(first))
				}
			}
		})
	}
}

func TestWriteAuditAtomic(t *testing.T) {
	t.Run("replaces an existing file whole", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "report.xlsx")
		if err := os.WriteFile(p, bytes.Repeat([]byte("x"), 1<<20), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := WriteAudit(context.Background(), p, fixtureAudit()); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if !bytes.HasPrefix(b, []byte("PK")) || bytes.Contains(b, []byte("xxxx")) {
			t.Errorf("file is not a fresh workbook")
		}
		assertOnly(t, dir, "report.xlsx")
	})
	t.Run("leaves nothing behind on error", func(t *testing.T) {
		dir := t.TempDir()
		// A directory in the way makes the final rename fail after the
		// temporary file was fully written.
		p := filepath.Join(dir, "report.xlsx")
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WriteAudit(context.Background(), p, fixtureAudit()); err == nil {
			t.Fatal("no error writing over a directory")
		}
		assertOnly(t, dir, "report.xlsx")
	})
	t.Run("missing directory", func(t *testing.T) {
		err := WriteAudit(context.Background(), filepath.Join(t.TempDir(), "nope", "report.xlsx"), fixtureAudit())
		if err == nil || !strings.Contains(err.Error(), "report.xlsx") {
			t.Errorf("err = %v, want one naming the file", err)
		}
	})
	t.Run("no room for data", func(t *testing.T) {
		dir := t.TempDir()
		if err := writeAudit(context.Background(), filepath.Join(dir, "r.xlsx"), fixtureAudit(), 1); err == nil {
			t.Error("no error for a one-row limit")
		}
		assertOnly(t, dir)
	})
}

// Streamed sheets past 16 MB spill into excelize temp files; those must go
// too, whether the write succeeds or fails.
func TestWriteAuditRemovesSpillFiles(t *testing.T) {
	a := &Audit{Gaps: synthGaps(80_000)}
	for _, tt := range []struct {
		name    string
		blocked bool
	}{{"success", false}, {"failed rename", true}} {
		t.Run(tt.name, func(t *testing.T) {
			dir, spill := t.TempDir(), t.TempDir()
			t.Setenv("TMPDIR", spill) // where excelize (os.CreateTemp("", …)) spills
			p := filepath.Join(dir, "report.xlsx")
			if tt.blocked {
				if err := os.Mkdir(p, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteAudit(context.Background(), p, a); (err != nil) != tt.blocked {
				t.Fatalf("err = %v", err)
			}
			assertOnly(t, dir, "report.xlsx")
			assertOnly(t, spill)
		})
	}
}

// assertOnly fails unless dir holds exactly the named entries.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !reflect.DeepEqual(got, names) && !(len(got) == 0 && len(names) == 0) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

func TestShowGap(t *testing.T) {
	base := pipeline.Gap{MatchStatus: pipeline.Matched, MobileState: pipeline.InSync,
		OtherMobileState: pipeline.Unverifiable, Effect: pipeline.NoEffect}
	tests := []struct {
		name string
		edit func(*pipeline.Gap)
		want bool
	}{
		{"in sync, other unknown", func(*pipeline.Gap) {}, false},
		{"effect", func(g *pipeline.Gap) { g.Effect = pipeline.FillsCloud }, true},
		{"format only without effect", func(g *pipeline.Gap) { g.MobileState = pipeline.FormatOnly }, true},
		{"other invalid", func(g *pipeline.Gap) { g.OtherMobileState = pipeline.Invalid }, true},
		{"anchor conflict", func(g *pipeline.Gap) {
			g.MatchStatus, g.MobileState = pipeline.AnchorConflict, pipeline.Mismatch
		}, true},
		{"ambiguous never", func(g *pipeline.Gap) {
			g.MatchStatus, g.MobileState, g.Effect = pipeline.Ambiguous, pipeline.Mismatch, pipeline.OverwritesCloud
		}, false},
		{"not applicable", func(g *pipeline.Gap) {
			g.MatchStatus, g.MobileState, g.OtherMobileState = pipeline.ADOnly, pipeline.NotApplicable, pipeline.NotApplicable
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := base
			tt.edit(&g)
			if got := showGap(&g); got != tt.want {
				t.Errorf("showGap = %v, want %v", got, tt.want)
			}
		})
	}
}

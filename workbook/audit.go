// Package workbook writes the Excel workbooks people read and sign (docs/rules.md, "Plan").
//
// The audit workbook is the read-only view of a snapshot's gaps: a Summary a
// change board can read, and Gaps and Unmatched sheets to filter. Directory data
// is always written as text cells, so a value such as =HYPERLINK(...) that
// someone typed into AD shows as that text and is never evaluated.
//
//	err := workbook.WriteAudit("report.xlsx", &workbook.Audit{
//		Snapshot: dir, ToolVersion: version, Tenant: flags, Gaps: gaps,
//	})
package workbook

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// Audit is everything the audit workbook shows; WriteAudit reads it only.
type Audit struct {
	// Snapshot identifies the snapshot: the short hash of its extraction
	// tables, the same wherever the snapshot is copied or replayed (a
	// directory path would change with both).
	Snapshot     string
	ADReadAt     time.Time                   // when extract-ad finished reading AD (zero: unknown)
	CloudReadAt  time.Time                   // when extract-entra finished reading Entra ID
	ToolVersion  string                      // version of the tool that wrote the workbook
	Inputs       []pipeline.InputRecord      // external inputs with SHA-256 (the LDIF, export files)
	Formats      []string                    // detected Entra formats, for the Summary
	WeakEvidence bool                        // an export without sync flag/immutableId: join evidence is weaker
	Parameters   map[string]string           // e.g. default_region
	Tenant       []pipeline.TenantFlag       // tenant feature flags as read
	Gaps         pipeline.Rows[pipeline.Gap] // every gaps row, in table order
}

// gaps are a.Gaps, or none when unset.
func (a *Audit) gaps() pipeline.Rows[pipeline.Gap] {
	if a.Gaps == nil {
		return pipeline.Slice[pipeline.Gap](nil)
	}
	return a.Gaps
}

// Sheet names of the audit workbook. Gaps and Unmatched continue on
// "Gaps (2)", "Unmatched (2)", … when they exceed Excel's row limit.
const (
	SummarySheet   = "Summary"
	GapsSheet      = "Gaps"
	UnmatchedSheet = "Unmatched"
)

// WriteAudit writes the audit workbook to path atomically: the file appears
// complete under its name or not at all. Identical input gives identical bytes.
func WriteAudit(ctx context.Context, path string, a *Audit) error {
	return writeAudit(ctx, path, a, excelize.TotalRows)
}

// writeAudit is WriteAudit with the per-sheet row limit (header included) as
// a parameter, so tests can exercise sheet splitting without a million rows.
func writeAudit(ctx context.Context, path string, a *Audit, maxRows int) error {
	return writeBook(ctx, path, a, nil, maxRows)
}

// writeBook writes the audit workbook, or with p the plan workbook, atomically.
func writeBook(ctx context.Context, path string, a *Audit, p *PlanBook, maxRows int) error {
	if a == nil {
		return fmt.Errorf("write %s: no audit", path)
	}
	if maxRows < 2 {
		return fmt.Errorf("write %s: row limit %d leaves no room for data", path, maxRows)
	}
	return saveBook(ctx, path, func(f *excelize.File, rows *rowSet) error { return build(f, a, p, maxRows, rows) })
}

// saveBook lays a new workbook out with lay, whose streamed sheets'
// data rows go to rows, and writes it to path atomically. The rows spill
// into a directory beside path, removed however saveBook ends, also when
// ctx is cancelled (Ctrl-C), which ends the rows being written.
func saveBook(ctx context.Context, path string, lay func(f *excelize.File, rows *rowSet) error) error {
	spillDir := pipeline.NewSpillDir(filepath.Dir(path))
	defer spillDir.Remove()
	spill, err := spillDir.Path()
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f := excelize.NewFile()
	// Close removes excelize's own temporary files (streamed sheets spill to
	// disk beyond 16 MB); it must run on every path so nothing is left behind.
	defer f.Close()
	rows := newRowSet(ctx, spill)
	defer rows.stop() // before the directory is removed: Windows removes no open file
	if err := lay(f, rows); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr // a stage stopped by a signal says no more than that
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	parts := map[string]*sheetRows{}
	for id, name := range f.GetSheetMap() {
		if r := rows.bySheet[name]; r != nil {
			parts["xl/worksheets/sheet"+strconv.Itoa(id)+".xml"] = r
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sortContentTypes(f)
	out, err := pipeline.CreateAtomic(path)
	if err != nil {
		return err
	}
	// The archive goes straight into the file: File.Write would build all
	// of it in a buffer first, as large as the workbook. WriteToBuffer
	// hands the zip writer its buffer, which the writer leaves empty.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zipWithRows(parts)(out) })
	if _, err := f.WriteToBuffer(); err != nil {
		out.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return out.Commit()
}

// build lays out all sheets in f. The audit workbook: Summary, Gaps,
// Unmatched. The plan workbook: Decision brief, Plan, Sign-off, Summary,
// Review, Gaps, Unmatched, Glossary (each data sheet continuing on "(2)", …).
func build(f *excelize.File, a *Audit, p *PlanBook, maxRows int, rows *rowSet) error {
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	st.rows = rows
	first := SummarySheet
	if p != nil {
		first = BriefSheet
	}
	if err := f.SetSheetName("Sheet1", first); err != nil {
		return err
	}
	title := "syncgap audit"
	if p != nil {
		title = "syncgap change plan (" + p.Policy + ")"
	}
	// No times: excelize's template dates stay, so the bytes depend on the
	// input only. The creator would otherwise read "xuri".
	if err := f.SetDocProps(&excelize.DocProperties{
		Creator: "syncgap " + a.ToolVersion, Title: title, Subject: a.Snapshot,
	}); err != nil {
		return err
	}
	s, err := summarize(a)
	if err != nil {
		return err
	}
	var lay *planLayout
	var counts planCounts
	if p != nil {
		x, err := indexPlan(p, rows.dir)
		if err != nil {
			return err
		}
		defer x.members.Close()
		counts = x.counts
		if lay, err = writePlanSheets(f, st, x, maxRows); err != nil {
			return err
		}
		if err := writeSignOff(f, st, a, p, counts); err != nil {
			return fmt.Errorf("sheet %s: %w", SignOffSheet, err)
		}
		if _, err := f.NewSheet(SummarySheet); err != nil {
			return err
		}
	}
	if err := writeSummary(f, st, a, s, p, lay, counts); err != nil {
		return fmt.Errorf("sheet %s: %w", SummarySheet, err)
	}
	if p != nil {
		if err := writeReviewSheets(f, st, p, maxRows); err != nil {
			return err
		}
	}
	if err := writeGaps(f, st, a.gaps(), maxRows); err != nil {
		return fmt.Errorf("sheet %s: %w", GapsSheet, err)
	}
	if err := writeUnmatched(f, st, a.gaps(), maxRows); err != nil {
		return fmt.Errorf("sheet %s: %w", UnmatchedSheet, err)
	}
	if p == nil {
		// Summary is the first sheet and so already the active one. Do not
		// call SetActiveSheet: it re-reads every sheet, and for a streamed
		// one that means parsing its whole XML back (half a second at 400k
		// rows).
		return nil
	}
	if err := writeGlossary(f, st); err != nil {
		return fmt.Errorf("sheet %s: %w", GlossarySheet, err)
	}
	// The brief is the first sheet (and so the active one) but is written
	// last: its formulas name the Plan rows, which are known only now.
	if err := writeBrief(f, st, a, p, s, lay, counts); err != nil {
		return fmt.Errorf("sheet %s: %w", BriefSheet, err)
	}
	// Excel recalculates the brief's formulas on opening, since they carry
	// no cached values; LibreOffice does for cells without one.
	full := true
	return f.SetCalcProps(&excelize.CalcPropsOptions{FullCalcOnLoad: &full})
}

// sortContentTypes orders the [Content_Types].xml defaults. AddChart makes
// excelize append the image extensions from a Go map, in random order, which
// alone breaks byte-identical output.
func sortContentTypes(f *excelize.File) {
	if f.ContentTypes == nil {
		return
	}
	d := f.ContentTypes.Defaults
	sort.SliceStable(d, func(i, j int) bool { return d[i].Extension < d[j].Extension })
}

// styles are the cell formats the workbook uses. Every style that can hold
// directory data carries the Text number format ("@", id 49): the cells are
// already string cells, and the format keeps them text when a reviewer edits
// one (Excel would otherwise turn a re-entered "=…" or "+1 425…" into a
// formula or number).
type styles struct {
	title, label, header, text int
	input                      int // a cell a reviewer fills in: unlocked, pale yellow
	count                      int // integers with thousands separators
	risk                       map[pipeline.Risk]int

	wrap                 int // text that wraps, top-aligned
	helper, helperHeader int // the brief's helper columns: grey, locked
	helperFormula        int // a helper formula cell (General format)
	group, groupInput    int // a group row's text and Decision cells
	deletes, deleteFlag  int // a row that deletes an AD value, and its "deletes" cell
	heading              int // a section heading on the brief
	para                 int // a wrapped paragraph on the brief
	note                 int // small grey text
	live                 int // a count the brief recalculates as the board decides
	bigCount             int // a bold count
	unknown              int // the word "unknown" where a value cannot be read
	unknownPara          int // the brief's sentence about what cannot be read
	noteFormula          int // a small grey sentence computed by a formula
	headerRight          int // a header over numbers
	labelWrap            int // a bold label that wraps

	// rows collects the data rows of the streamed sheets, by sheet name,
	// for the zip writer to splice in (sheetRows); shared by every sheet
	// writer of the workbook, like the style ids.
	rows *rowSet
}

// textFormat is Excel's built-in "@" number format.
const textFormat = 49

// font names the family and size on every style: a font without them makes
// LibreOffice fall back to its serif default.
func font(bold bool, size float64, color string) *excelize.Font {
	return &excelize.Font{Family: "Calibri", Size: size, Bold: bold, Color: color}
}

// Risk cell colours: high red, medium amber, low yellow-green, as a reviewer
// expects from a traffic light.
const (
	redFill, redText                 = "FFC7CE", "9C0006"
	amberFill, amberText             = "FFD966", "7F6000"
	yellowGreenFill, yellowGreenText = "D8E4A0", "3A5A00"
)

// newStyles registers the workbook's styles; excelize deduplicates them.
func newStyles(f *excelize.File) (*styles, error) {
	var st styles
	var err error
	mk := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(s)
		return id
	}
	st.title = mk(&excelize.Style{Font: font(true, 14, "")})
	st.label = mk(&excelize.Style{Font: font(true, 11, ""), NumFmt: textFormat, Alignment: &excelize.Alignment{Vertical: "top"}})
	st.header = mk(&excelize.Style{
		Font:      font(true, 11, ""),
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
		NumFmt:    textFormat,
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	st.headerRight = mk(&excelize.Style{
		Font:      font(true, 11, ""),
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
		NumFmt:    textFormat,
		Alignment: &excelize.Alignment{Vertical: "center", Horizontal: "right"},
	})
	st.text = mk(&excelize.Style{Font: font(false, 11, ""), NumFmt: textFormat, Alignment: &excelize.Alignment{Vertical: "top"}})
	st.labelWrap = mk(&excelize.Style{Font: font(true, 11, ""), NumFmt: textFormat, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	st.input = mk(&excelize.Style{
		Font:       font(false, 11, ""),
		Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}},
		Border:     []excelize.Border{{Type: "bottom", Color: "BFBFBF", Style: 1}},
		NumFmt:     textFormat,
		Protection: &excelize.Protection{Locked: false},
		Alignment:  &excelize.Alignment{Vertical: "top"},
	})
	st.count = mk(&excelize.Style{Font: font(false, 11, ""), NumFmt: 3, Alignment: &excelize.Alignment{Vertical: "top"}}) // #,##0
	riskFill := func(bg, fg string) int {
		return mk(&excelize.Style{
			Font:      font(false, 11, fg),
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{bg}},
			NumFmt:    textFormat,
			Alignment: &excelize.Alignment{Vertical: "top"},
		})
	}
	top := &excelize.Alignment{Vertical: "top", WrapText: true}
	st.wrap = mk(&excelize.Style{Font: font(false, 11, ""), NumFmt: textFormat, Alignment: top})
	grey := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EDEDED"}}
	st.helper = mk(&excelize.Style{Font: font(false, 10, "595959"), Fill: grey, NumFmt: textFormat, Alignment: &excelize.Alignment{Vertical: "top"}})
	st.helperFormula = mk(&excelize.Style{Font: font(false, 10, "595959"), Fill: grey, Alignment: &excelize.Alignment{Vertical: "top"}})
	st.helperHeader = mk(&excelize.Style{
		Font:   font(true, 10, "595959"),
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}},
		Border: []excelize.Border{{Type: "bottom", Color: "A6A6A6", Style: 1}}, NumFmt: textFormat,
	})
	blue := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}
	groupBorder := []excelize.Border{{Type: "top", Color: "5B9BD5", Style: 1}, {Type: "bottom", Color: "5B9BD5", Style: 1}}
	st.group = mk(&excelize.Style{Font: font(true, 11, "1F3864"), Fill: blue, Border: groupBorder, NumFmt: textFormat, Alignment: top})
	st.groupInput = mk(&excelize.Style{
		Font: font(true, 11, ""), Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFE699"}},
		Border: []excelize.Border{{Type: "top", Color: "5B9BD5", Style: 1}, {Type: "bottom", Color: "5B9BD5", Style: 1},
			{Type: "left", Color: "BF8F00", Style: 1}, {Type: "right", Color: "BF8F00", Style: 1}},
		NumFmt: textFormat, Protection: &excelize.Protection{Locked: false}, Alignment: &excelize.Alignment{Vertical: "top"},
	})
	st.deletes = mk(&excelize.Style{
		Font: font(false, 11, redText), Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FCE4E4"}},
		NumFmt: textFormat, Alignment: top,
	})
	st.deleteFlag = mk(&excelize.Style{
		Font: font(true, 11, "FFFFFF"), Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C00000"}},
		NumFmt: textFormat, Alignment: &excelize.Alignment{Vertical: "top"},
	})
	st.heading = mk(&excelize.Style{
		Font: font(true, 12, "1F3864"), NumFmt: textFormat,
		Border: []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
	})
	st.para = mk(&excelize.Style{Font: font(false, 11, ""), NumFmt: textFormat, Alignment: top})
	st.note = mk(&excelize.Style{Font: font(false, 9, "595959"), NumFmt: textFormat, Alignment: top})
	st.live = mk(&excelize.Style{
		Font: font(true, 11, ""), Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}, NumFmt: 3,
		Alignment: &excelize.Alignment{Vertical: "top"},
		Border:    []excelize.Border{{Type: "left", Color: "BF8F00", Style: 1}, {Type: "right", Color: "BF8F00", Style: 1}},
	})
	st.bigCount = mk(&excelize.Style{Font: font(true, 11, ""), NumFmt: 3, Alignment: &excelize.Alignment{Vertical: "top"}})
	st.unknown = mk(&excelize.Style{Font: font(true, 11, amberText), NumFmt: textFormat, Alignment: &excelize.Alignment{Horizontal: "right"}})
	st.unknownPara = mk(&excelize.Style{Font: font(true, 11, amberText), NumFmt: textFormat, Alignment: top,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}})
	st.noteFormula = mk(&excelize.Style{Font: font(true, 10, "1F3864"), Alignment: &excelize.Alignment{Vertical: "top"}})
	st.risk = map[pipeline.Risk]int{
		pipeline.RiskHigh:   riskFill(redFill, redText),
		pipeline.RiskMedium: riskFill(amberFill, amberText),
		pipeline.RiskLow:    riskFill(yellowGreenFill, yellowGreenText),
	}
	return &st, err
}

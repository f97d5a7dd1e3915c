package workbook

import (
	"strings"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// gapColumns are the Gaps sheet's columns, in the order gapRow fills them.
var gapColumns = []column{
	{Title: "UPN", Width: 34}, {Title: "DN", Width: 48}, {Title: "Match", Width: 15}, {Title: "Mobile state", Width: 17}, {Title: "Other mobile state", Width: 18},
	{Title: "AD mobile", Width: 18}, {Title: "Cloud mobile", Width: 18}, {Title: "AD otherMobile", Width: 26, Wrap: true}, {Title: "Cloud otherMobile", Width: 26, Wrap: true},
	{Title: "Effect", Width: 17}, {Title: "Risk", Width: 9}, {Title: "Timing", Width: 16}, {Title: "Region", Width: 8}, {Title: "Reason", Width: 50, Wrap: true},
}

// unmatchedColumns are the Unmatched sheet's columns, in the order unmatchedRow fills them.
var unmatchedColumns = []column{
	{Title: "Match status", Width: 16}, {Title: "Method", Width: 15}, {Title: "UPN", Width: 30, Wrap: true}, {Title: "DN", Width: 36, Wrap: true}, {Title: "Entra id", Width: 38}, {Title: "Reason", Width: 44, Wrap: true},
}

// unknownCloud marks a cloud otherMobile that is not known (no legacy export),
// as opposed to an empty one.
const unknownCloud = "(unknown)"

// quiet states say there is nothing to look at in an attribute.
func quiet(s pipeline.State) bool {
	return s == pipeline.InSync || s == pipeline.Unverifiable || s == pipeline.NotApplicable
}

// showGap reports whether a gaps row belongs on the Gaps sheet: a synced pair
// where enabling bypass changes something or an attribute differs.
func showGap(g *pipeline.Gap) bool {
	if !synced(g.MatchStatus) {
		return false
	}
	return g.Effect != pipeline.NoEffect || !quiet(g.MobileState) || !quiet(g.OtherMobileState)
}

// gapRow fills row (len(gapColumns)) for g; the risk cell carries its colour.
func gapRow(row []any, g *pipeline.Gap, st *styles) []any {
	cloudOther := any(unknownCloud)
	if g.OtherMobileEntra != nil {
		cloudOther = str(strings.Join(g.OtherMobileEntra, "; "))
	}
	var risk any = str(string(g.Risk))
	if id, ok := st.risk[g.Risk]; ok {
		risk = excelize.Cell{StyleID: id, Value: string(g.Risk)}
	}
	row = append(row[:0],
		str(g.UPN), str(g.DN), str(string(g.MatchStatus)),
		str(string(g.MobileState)), str(string(g.OtherMobileState)),
		str(g.MobileAD), str(g.MobileEntra),
		str(strings.Join(g.OtherMobileAD, "; ")), cloudOther,
		str(string(g.Effect)), risk, str(string(g.Timing)), str(g.Region), str(g.Reason),
	)
	return row
}

// unmatchedRow fills row (len(unmatchedColumns)) for g.
func unmatchedRow(row []any, g *pipeline.Gap) []any {
	return append(row[:0],
		str(string(g.MatchStatus)), str(string(g.MatchMethod)),
		str(g.UPN), str(g.DN), str(g.EntraID), str(g.Reason),
	)
}

// writeGaps streams the rows worth a reviewer's look onto Gaps, Gaps (2), ….
func writeGaps(f *excelize.File, st *styles, gaps pipeline.Rows[pipeline.Gap], maxRows int) error {
	t := newTableWriter(f, st, GapsSheet, gapColumns, maxRows)
	// Fourteen columns print legibly only two pages wide; the UPN repeats.
	t.pagesWide, t.wrapAll = 2, true
	row := make([]any, 0, len(gapColumns))
	gaps = pipeline.OnlyColumns(gaps, "upn", "dn", "match_status", "mobile_state", "other_mobile_state", "mobile_ad", "mobile_entra",
		"other_mobile_ad", "other_mobile_entra", "effect", "risk", "timing", "region", "reason")
	for _, g := range gaps.All() {
		if !showGap(g) {
			continue
		}
		row = gapRow(row, g, st)
		if err := t.add(row); err != nil {
			return err
		}
	}
	if err := pipeline.PassErr(gaps); err != nil {
		return err
	}
	return t.close()
}

// writeUnmatched streams every row that is not a clean match, including
// ambiguous and conflicting ones, onto Unmatched, Unmatched (2), ….
func writeUnmatched(f *excelize.File, st *styles, gaps pipeline.Rows[pipeline.Gap], maxRows int) error {
	t := newTableWriter(f, st, UnmatchedSheet, unmatchedColumns, maxRows)
	row := make([]any, 0, len(unmatchedColumns))
	gaps = pipeline.OnlyColumns(gaps, "match_status", "match_method", "upn", "dn", "entra_id", "reason")
	for _, g := range gaps.All() {
		if g.MatchStatus == pipeline.Matched {
			continue
		}
		row = unmatchedRow(row, g)
		if err := t.add(row); err != nil {
			return err
		}
	}
	if err := pipeline.PassErr(gaps); err != nil {
		return err
	}
	return t.close()
}

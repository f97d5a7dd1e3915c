package workbook

import (
	"strings"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// Plain words for the diff workbook, which a change board reads without
// the Glossary of the plan workbook: every enum value it shows is one of
// these (an unknown value shows as it is stored).
var (
	kindWords = map[pipeline.ChangeKind]string{
		pipeline.Appeared:       "New users (only in the later audit)",
		pipeline.Disappeared:    "Users gone (only in the earlier audit)",
		pipeline.ADChanged:      "AD number edited (mobile or otherMobile)",
		pipeline.CloudChanged:   "Cloud number edited (mobile or otherMobile)",
		pipeline.StateChanged:   "Verdict changed (e.g. different numbers → in sync)",
		pipeline.EffectChanged:  "What the switch would do changed",
		pipeline.MatchChanged:   "Match changed (an account linked, unlinked or in doubt)",
		pipeline.UPNChanged:     "UPN changed",
		pipeline.DNChanged:      "Moved or renamed in AD (DN changed)",
		pipeline.EntraIDChanged: "Another cloud account (object id changed)",
	}
	stateWords = map[pipeline.State]string{
		pipeline.InSync:         "in sync",
		pipeline.FormatOnly:     "same number, other format",
		pipeline.MissingInEntra: "missing in the cloud",
		pipeline.MissingInAD:    "missing in AD",
		pipeline.Mismatch:       "different numbers",
		pipeline.Invalid:        "not a phone number",
		pipeline.Unverifiable:   "cloud unknown",
		pipeline.NotApplicable:  "not compared",
	}
	// effectWords finish "the switch would …".
	effectWords = map[pipeline.Effect]string{
		pipeline.ClearsCloud:     "clear a cloud number",
		pipeline.OverwritesCloud: "overwrite a cloud number",
		pipeline.FillsCloud:      "fill an empty cloud number",
		pipeline.ReformatsCloud:  "reformat a cloud number",
		pipeline.NoEffect:        "change nothing",
	}
	effectRowWords = map[pipeline.Effect]string{
		pipeline.ClearsCloud:     "Clears cloud numbers (data loss)",
		pipeline.OverwritesCloud: "Overwrites cloud numbers",
		pipeline.FillsCloud:      "Fills empty cloud numbers",
		pipeline.ReformatsCloud:  "Reformats cloud numbers",
		pipeline.NoEffect:        "Changes nothing known",
	}
	matchWords = map[pipeline.MatchStatus]string{
		pipeline.Matched:        "matched",
		pipeline.Ambiguous:      "ambiguous",
		pipeline.AnchorConflict: "anchor conflict",
		pipeline.ADOnly:         "AD only",
		pipeline.CloudOnly:      "cloud only",
		pipeline.OrphanedSynced: "synced, no AD user",
	}
	keyWords = map[pipeline.DiffKey]string{
		pipeline.KeyEntraID: "object id",
		pipeline.KeyDN:      "DN",
		pipeline.KeyUPN:     "UPN",
	}
	moveTitles = map[string]string{
		FieldMatch:       "Match",
		FieldMobile:      "Mobile verdict",
		FieldOtherMobile: "Other mobile verdict",
		FieldEffect:      "The switch would",
	}
)

// word is m's word for v; a value m lacks shows as stored.
func word[K ~string](m map[K]string, v K) string {
	if w, ok := m[v]; ok {
		return w
	}
	return string(v)
}

// fieldWord is the word for a value of one of the Move fields.
func fieldWord(field, v string) string {
	switch field {
	case FieldMatch:
		return word(matchWords, pipeline.MatchStatus(v))
	case FieldEffect:
		return word(effectWords, pipeline.Effect(v))
	}
	return word(stateWords, pipeline.State(v))
}

// changeColumns are the Changes sheet's columns, in the order changeRow
// fills them: who, what changed in words, then each compared value
// before and after.
var changeColumns = []column{
	{Title: "UPN", Width: 34}, {Title: "DN", Width: 44, Wrap: true}, {Title: "What changed", Width: 46, Wrap: true}, {Title: "Paired by", Width: 11},
	{Title: "Match before", Width: 15}, {Title: "Match after", Width: 15},
	{Title: "AD mobile before", Width: 18}, {Title: "AD mobile after", Width: 18},
	{Title: "Cloud mobile before", Width: 19}, {Title: "Cloud mobile after", Width: 18},
	{Title: "AD otherMobile before", Width: 24, Wrap: true}, {Title: "AD otherMobile after", Width: 24, Wrap: true},
	{Title: "Cloud otherMobile before", Width: 24, Wrap: true}, {Title: "Cloud otherMobile after", Width: 24, Wrap: true},
	{Title: "Mobile verdict before", Width: 20}, {Title: "Mobile verdict after", Width: 20},
	{Title: "Other mobile verdict before", Width: 20}, {Title: "Other mobile verdict after", Width: 20},
	{Title: "Switch would, before", Width: 22}, {Title: "Switch would, after", Width: 22},
}

// changeRow fills row (len(changeColumns)) for r. A side the user is
// missing from is blank; so are the AD cells of a row without an AD user
// and the cloud cells of one without a cloud user.
func changeRow(row []any, r *pipeline.DiffRow) []any {
	row = append(row[:0], str(r.UPN), str(r.DN), str(changeWords(r)), str(word(keyWords, r.MatchKey)))
	both := func(cell func(s *pipeline.DiffSide) any) {
		row = append(row, cell(&r.Before), cell(&r.After))
	}
	both(func(s *pipeline.DiffSide) any { return present(s.Present(), word(matchWords, s.MatchStatus)) })
	both(func(s *pipeline.DiffSide) any { return present(s.HasAD(), s.MobileAD) })
	both(func(s *pipeline.DiffSide) any { return present(s.HasEntra(), s.MobileEntra) })
	both(func(s *pipeline.DiffSide) any { return present(s.HasAD(), strings.Join(s.OtherMobileAD, "; ")) })
	both(func(s *pipeline.DiffSide) any { return present(s.HasEntra(), cloudOther(s.OtherMobileEntra)) })
	both(func(s *pipeline.DiffSide) any { return present(s.Present(), word(stateWords, s.MobileState)) })
	both(func(s *pipeline.DiffSide) any { return present(s.Present(), word(stateWords, s.OtherMobileState)) })
	both(func(s *pipeline.DiffSide) any { return present(s.Present(), word(effectWords, s.Effect)) })
	return row
}

// present is v as a cell where the side has what v describes, else blank.
func present(has bool, v string) any {
	if !has {
		return nil
	}
	return str(v)
}

// cloudOther is a cloud otherMobile as the Gaps sheet shows it: the
// values, or (unknown) where they were not read.
func cloudOther(vals []string) string {
	if vals == nil {
		return unknownCloud
	}
	return strings.Join(vals, "; ")
}

// changeWords is a diff row's changes in words, in the row's order, with
// what the user's identifiers were before.
func changeWords(r *pipeline.DiffRow) string {
	b, a := &r.Before, &r.After
	var parts []string
	for _, k := range r.Changes {
		switch pipeline.ChangeKind(k) {
		case pipeline.Appeared:
			parts = append(parts, "new user")
		case pipeline.Disappeared:
			parts = append(parts, "user gone")
		case pipeline.UPNChanged:
			parts = append(parts, "UPN changed (was "+b.UPN+")")
		case pipeline.DNChanged:
			parts = append(parts, "moved or renamed in AD (was "+b.DN+")")
		case pipeline.EntraIDChanged:
			parts = append(parts, "another cloud account (object id was "+b.EntraID+")")
		case pipeline.MatchChanged:
			parts = append(parts, "match: "+word(matchWords, b.MatchStatus)+" → "+word(matchWords, a.MatchStatus))
		case pipeline.ADChanged:
			parts = append(parts, edited("AD", b.MobileAD != a.MobileAD, !pipeline.SameValues(b.OtherMobileAD, a.OtherMobileAD)))
		case pipeline.CloudChanged:
			other := b.OtherMobileEntra != nil && a.OtherMobileEntra != nil && !pipeline.SameValues(b.OtherMobileEntra, a.OtherMobileEntra)
			parts = append(parts, edited("cloud", b.MobileEntra != a.MobileEntra, other))
		case pipeline.StateChanged:
			if b.MobileState != a.MobileState {
				parts = append(parts, "mobile: "+word(stateWords, b.MobileState)+" → "+word(stateWords, a.MobileState))
			}
			if b.OtherMobileState != a.OtherMobileState {
				parts = append(parts, "otherMobile: "+word(stateWords, b.OtherMobileState)+" → "+word(stateWords, a.OtherMobileState))
			}
		case pipeline.EffectChanged:
			parts = append(parts, "the switch would "+word(effectWords, b.Effect)+", now "+word(effectWords, a.Effect))
		default:
			parts = append(parts, k)
		}
	}
	return strings.Join(parts, "; ")
}

// edited names the attributes of one side that were edited.
func edited(side string, mobile, other bool) string {
	switch {
	case mobile && other:
		return side + " mobile and otherMobile edited"
	case other:
		return side + " otherMobile edited"
	}
	return side + " mobile edited"
}

// writeChanges streams the diff rows onto Changes, Changes (2), ….
func writeChanges(f *excelize.File, st *styles, rows pipeline.Rows[pipeline.DiffRow], maxRows int) error {
	t := newTableWriter(f, st, ChangesSheet, changeColumns, maxRows)
	// Twenty columns print legibly only three pages wide; the UPN repeats.
	t.pagesWide, t.wrapAll = 3, true
	row := make([]any, 0, len(changeColumns))
	for _, r := range rows.All() {
		row = changeRow(row, r)
		if err := t.add(row); err != nil {
			return err
		}
	}
	return t.close()
}

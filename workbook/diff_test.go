package workbook

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

const hostile = `=HYPERLINK("http://evil.example","call me")`

func pairSide(upn, dn, id string) pipeline.DiffSide {
	return pipeline.DiffSide{
		UPN: upn, DN: dn, EntraID: id, MatchStatus: pipeline.Matched,
		MobileState: pipeline.InSync, OtherMobileState: pipeline.InSync,
		MobileAD: "+1 425 555 0100", MobileEntra: "+1 425 555 0100",
		OtherMobileAD: []string{}, OtherMobileEntra: []string{}, Effect: pipeline.NoEffect,
	}
}

// fixtureDiff is a diff of three users: one new, one whose AD mobile was
// edited into a formula-like text, one gone whose cloud otherMobile was
// unknown.
func fixtureDiff() *DiffBook {
	edited := pairSide("ann@contoso.com", "CN=Ann,DC=contoso,DC=com", "id-ann")
	edited.MobileAD, edited.MobileState, edited.Effect = hostile, pipeline.Invalid, pipeline.OverwritesCloud
	gone := pairSide("bob@contoso.com", "CN=Bob,DC=contoso,DC=com", "id-bob")
	gone.OtherMobileAD, gone.OtherMobileEntra, gone.OtherMobileState = []string{"+1 425 555 0101", "+1 425 555 0102"}, nil, pipeline.Unverifiable
	added := pairSide("cy@contoso.com", "CN=Cy,DC=contoso,DC=com", "")
	added.MobileEntra, added.OtherMobileEntra, added.MatchStatus = "", nil, pipeline.ADOnly
	added.MobileState, added.OtherMobileState = pipeline.NotApplicable, pipeline.NotApplicable
	rows := pipeline.Slice[pipeline.DiffRow]{
		{UPN: edited.UPN, DN: edited.DN, EntraID: edited.EntraID, MatchKey: pipeline.KeyEntraID,
			Changes: []string{"ad_changed", "state_changed", "effect_changed"},
			Before:  pairSide("ann@contoso.com", "CN=Ann,DC=contoso,DC=com", "id-ann"), After: edited},
		{UPN: gone.UPN, DN: gone.DN, EntraID: gone.EntraID, Changes: []string{"disappeared"}, Before: gone},
		{UPN: added.UPN, DN: added.DN, Changes: []string{"appeared"}, After: added},
	}
	c := NewDiffCounts()
	c.Before, c.After, c.Paired, c.Changed = 2, 2, 1, 1
	c.ByKind = map[pipeline.ChangeKind]int{pipeline.ADChanged: 1, pipeline.StateChanged: 1, pipeline.EffectChanged: 1, pipeline.Disappeared: 1, pipeline.Appeared: 1}
	c.ByKey = map[pipeline.DiffKey]int{pipeline.KeyEntraID: 1}
	c.Moves = map[Move]int{{FieldMobile, "in_sync", "invalid"}: 1, {FieldEffect, "none", "overwrites_cloud"}: 1}
	c.EffectBefore = map[pipeline.Effect]int{pipeline.NoEffect: 2}
	c.EffectAfter = map[pipeline.Effect]int{pipeline.NoEffect: 1, pipeline.OverwritesCloud: 1}
	c.Worse, c.UnknownBefore = 1, 1
	return &DiffBook{
		Before:      DiffSnapshot{Name: "=1+2 snap-2026-11-24", ID: "aaaaaaaaaaaa", ADReadAt: time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC), CloudReadAt: time.Date(2026, 11, 24, 6, 5, 0, 0, time.UTC)},
		After:       DiffSnapshot{Name: "snap-2026-12-01", ID: "bbbbbbbbbbbb", ADReadAt: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC), CloudReadAt: time.Date(2026, 12, 1, 6, 5, 0, 0, time.UTC)},
		ToolVersion: "syncgap test", Counts: c, Rows: rows,
	}
}

// wantChangeRows is the Changes sheet of fixtureDiff, as a reader sees it.
var wantChangeRows = [][]string{
	{"UPN", "DN", "What changed", "Paired by", "Match before", "Match after", "AD mobile before", "AD mobile after", "Cloud mobile before", "Cloud mobile after",
		"AD otherMobile before", "AD otherMobile after", "Cloud otherMobile before", "Cloud otherMobile after", "Mobile verdict before", "Mobile verdict after",
		"Other mobile verdict before", "Other mobile verdict after", "Switch would, before", "Switch would, after"},
	{"ann@contoso.com", "CN=Ann,DC=contoso,DC=com", "AD mobile edited; mobile: in sync → not a phone number; the switch would change nothing, now overwrite a cloud number", "object id",
		"matched", "matched", "+1 425 555 0100", hostile, "+1 425 555 0100", "+1 425 555 0100", "", "", "", "",
		"in sync", "not a phone number", "in sync", "in sync", "change nothing", "overwrite a cloud number"},
	{"bob@contoso.com", "CN=Bob,DC=contoso,DC=com", "user gone", "", "matched", "", "+1 425 555 0100", "", "+1 425 555 0100", "",
		"+1 425 555 0101; +1 425 555 0102", "", "(unknown)", "", "in sync", "", "cloud unknown", "", "change nothing", ""},
	{"cy@contoso.com", "CN=Cy,DC=contoso,DC=com", "new user", "", "", "AD only", "", "+1 425 555 0100", "", "",
		"", "", "", "", "", "not compared", "", "not compared", "", "change nothing"},
}

func writeDiffFixture(t *testing.T, d *DiffBook, maxRows int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), DiffFile)
	if err := writeDiff(context.Background(), p, d, maxRows); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteDiffSheets(t *testing.T) {
	f, err := excelize.OpenFile(writeDiffFixture(t, fixtureDiff(), excelize.TotalRows))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{SummarySheet, ChangesSheet}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	if got := readRows(t, f, ChangesSheet); !reflect.DeepEqual(got, wantChangeRows) {
		t.Errorf("Changes:\n%q\nwant:\n%q", got, wantChangeRows)
	}
	sum, err := f.GetRows(SummarySheet)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]string{
		{"Snapshot", "=1+2 snap-2026-11-24", "snap-2026-12-01"},
		{"AD read", "2026-11-24 06:00 UTC", "2026-12-01 06:00 UTC"},
		{"New users (only in the later audit)", "1"},
		{"Users gone (only in the earlier audit)", "1"},
		{"AD number edited (mobile or otherMobile)", "1"},
		{"Cloud number edited (mobile or otherMobile)", "0"},
		{"Unchanged (not listed on Changes)", "0"},
		{"Overwrites cloud numbers", "0", "1", "1"},
		{"Changes nothing known", "2", "1", "-1"},
		{"in sync", "not a phone number", "1"},
		{"change nothing", "overwrite a cloud number", "1"},
		{"1 user is in both audits: 1 changed and 0 did not. 1 user is new and 1 is gone."},
		{"For 0 of the users in both audits the switch would now do less harm, for 1 more."},
	} {
		if got := rowWith(sum, want[0]); !reflect.DeepEqual(got, want) {
			t.Errorf("Summary row %q = %q", want, got)
		}
	}
	// Every cell holding directory data is a string cell, never a formula.
	if ft, _ := f.GetCellFormula(ChangesSheet, "H2"); ft != "" {
		t.Errorf("H2 is the formula %q", ft)
	}
}

// Two snapshots given the wrong way round are compared as given, and
// the Summary says so.
func TestWriteDiffSaysWhenBackwards(t *testing.T) {
	const note = "Before was read after After: the changes are shown from Before to After as given, which is backwards in time."
	for _, swap := range []bool{false, true} {
		d := fixtureDiff()
		if swap {
			d.Before, d.After = d.After, d.Before
		}
		f, err := excelize.OpenFile(writeDiffFixture(t, d, excelize.TotalRows))
		if err != nil {
			t.Fatal(err)
		}
		sum, _ := f.GetRows(SummarySheet)
		f.Close()
		if got := rowWith(sum, note) != nil; got != swap {
			t.Errorf("snapshots swapped %v: the Summary says they are backwards: %v", swap, got)
		}
	}
}

func TestWriteDiffSplitsChanges(t *testing.T) {
	p := writeDiffFixture(t, fixtureDiff(), 2)
	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{SummarySheet, ChangesSheet, ChangesSheet + " (2)", ChangesSheet + " (3)"}
	if got := f.GetSheetList(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	for i, sheet := range want[1:] {
		if got := readRows(t, f, sheet); !reflect.DeepEqual(got, [][]string{wantChangeRows[0], wantChangeRows[i+1]}) {
			t.Errorf("%s: %q", sheet, got)
		}
	}
}

func TestWriteDiffEmpty(t *testing.T) {
	d := &DiffBook{Counts: NewDiffCounts()}
	f, err := excelize.OpenFile(writeDiffFixture(t, d, excelize.TotalRows))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := readRows(t, f, ChangesSheet); len(got) != 1 {
		t.Errorf("Changes of an empty diff: %q", got)
	}
	sum, _ := f.GetRows(SummarySheet)
	if got := rowWith(sum, "(no changes)"); got == nil {
		t.Error("Summary of an empty diff does not say there are no verdict changes")
	}
}

func TestWriteDiffDeterministic(t *testing.T) {
	a, _ := os.ReadFile(writeDiffFixture(t, fixtureDiff(), excelize.TotalRows))
	b, _ := os.ReadFile(writeDiffFixture(t, fixtureDiff(), excelize.TotalRows))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the same diff gives two different workbooks")
	}
}

// TestDiffInGnumeric: gnumeric opens both sheets, reads the formula-like
// value as the text it is, and the Summary's tables.
func TestDiffInGnumeric(t *testing.T) {
	csv := SheetCSV(t, writeDiffFixture(t, fixtureDiff(), excelize.TotalRows))
	changes := normalize(csv[ChangesSheet], len(changeColumns))
	if !reflect.DeepEqual(changes, wantChangeRows) {
		t.Errorf("Changes in gnumeric:\n%q\nwant:\n%q", changes, wantChangeRows)
	}
	if got := summaryTable(t, csv[SummarySheet], "What changed"); len(got) != len(diffKindOrder)+1 || got[0] != [2]string{"New users (only in the later audit)", "1"} {
		t.Errorf("What changed in gnumeric: %q", got)
	}
}

// TestDiffInLibreOffice: LibreOffice reads every Changes cell and the
// snapshot names as strings, never as formulas or numbers.
func TestDiffInLibreOffice(t *testing.T) {
	sheets := libreOfficeSheets(t, writeDiffFixture(t, fixtureDiff(), excelize.TotalRows))
	if got := loStrings(t, sheets, ChangesSheet, len(changeColumns)); !reflect.DeepEqual(got, wantChangeRows) {
		t.Errorf("Changes in LibreOffice:\n%q\nwant:\n%q", got, wantChangeRows)
	}
	types := loTypes(t, sheets, SummarySheet)
	if types["=1+2 snap-2026-11-24"] != "string" {
		t.Errorf("the snapshot name is of type %q, want string", types["=1+2 snap-2026-11-24"])
	}
}

func TestChangeWords(t *testing.T) {
	b := pairSide("a@x", "CN=A,DC=x", "id-a")
	a := b
	a.UPN, a.DN, a.EntraID = "a2@x", "CN=A,OU=New,DC=x", "id-a2"
	a.MobileEntra, a.OtherMobileEntra, a.OtherMobileAD = "+1 425 555 0199", []string{"+1 425 555 0111"}, []string{"+1 425 555 0112"}
	a.MatchStatus, a.OtherMobileState = pipeline.AnchorConflict, pipeline.Mismatch
	r := &pipeline.DiffRow{Before: b, After: a}
	for _, k := range pipeline.ChangeKinds[2:] {
		r.Changes = append(r.Changes, string(k))
	}
	want := "UPN changed (was a@x); moved or renamed in AD (was CN=A,DC=x); another cloud account (object id was id-a); " +
		"match: matched → anchor conflict; AD otherMobile edited; cloud mobile and otherMobile edited; " +
		"otherMobile: in sync → different numbers; the switch would change nothing, now change nothing"
	if got := changeWords(r); got != want {
		t.Errorf("changeWords:\n got %s\nwant %s", got, want)
	}
	// A cloud otherMobile unknown on one side is not called edited.
	r.After.OtherMobileEntra = nil
	r.Changes = []string{string(pipeline.CloudChanged)}
	if got := changeWords(r); got != "cloud mobile edited" {
		t.Errorf("with an unknown otherMobile: %s", got)
	}
	if got := changeWords(&pipeline.DiffRow{Changes: []string{"renamed_in_future"}}); !strings.Contains(got, "renamed_in_future") {
		t.Errorf("an unknown change kind is dropped: %q", got)
	}
}

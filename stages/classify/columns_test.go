package classify

import (
	"reflect"
	"testing"
	"time"

	"syncgap/phone"
	"syncgap/pipeline"
)

// Row's verdict on a joined row read through joinedRow is its verdict on
// the whole row: the columns joinedRow leaves out are set here to values
// that would change the verdict if Row read them, so a Row that comes to
// read one fails this test until joinedRow has it.
func TestRowReadsOnlyJoinedRowColumns(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	full := func(j *pipeline.Joined) *pipeline.Joined {
		j.Note = "note"
		j.AD.ObjectGUID, j.AD.ConsistencyGUID, j.AD.SourceAnchor = "0f0e0d0c-0b0a-0908-0706-050403020100", "00000000-0000-0000-0000-000000000001", "AAECAwQFBgcICQoLDA0ODw=="
		j.AD.SamAccountName, j.AD.Enabled, j.AD.Origin, j.AD.WhenChanged = "sam", pipeline.Known(false), "ad.ldif:7", t0.Add(time.Hour)
		j.Entra.BusinessPhones, j.Entra.OnPremisesSyncEnabled = []string{"+1 425 555 0111"}, pipeline.Known(true)
		j.Entra.OnPremisesImmutableID, j.Entra.OnPremisesUPN = "AAECAwQFBgcICQoLDA0ODw==", "other@x.com"
		j.Entra.OnPremisesSamAccountName, j.Entra.OnPremisesDN = "sam2", "CN=b"
		j.Entra.AccountEnabled, j.Entra.Origin, j.Entra.OnPremisesLastSync = pipeline.Known(false), "users.json:3", t0
		return j
	}
	var rows []pipeline.Joined
	for _, m := range [][2]string{{"+1 425 555 0100", "+1 425 555 0100"}, {"+1 (425) 555-0100", "425.555.0100"},
		{"", "+1 425 555 0100"}, {"+1 425 555 0100", "+1 425 555 0199"}, {"n/a", ""}} {
		for _, st := range []pipeline.MatchStatus{pipeline.Matched, pipeline.AnchorConflict, pipeline.Ambiguous, pipeline.ADOnly} {
			j := full(matched(m[0], m[1], []string{"+14255550100"}, []string{"+14255550199"}, "US"))
			j.MatchStatus = st
			rows = append(rows, *j)
		}
	}
	cloudOnly := full(&pipeline.Joined{MatchStatus: pipeline.CloudOnly, MatchMethod: pipeline.ByNone})
	cloudOnly.Entra.ID, cloudOnly.Entra.UPN, cloudOnly.Entra.UsageLocation = "2", "b@x.com", "GB"
	rows = append(rows, *cloudOnly)

	dir := t.TempDir()
	w, err := pipeline.CreateTable[pipeline.Joined](dir, pipeline.JoinedTable)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	back, err := pipeline.ReadRows[joinedRow](dir + "/" + pipeline.FileName(pipeline.JoinedTable))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(rows) {
		t.Fatalf("read %d rows back, wrote %d", len(back), len(rows))
	}
	for _, cfg := range []Config{{}, {BypassEnabled: true}} {
		for i := range rows {
			want := cfg.Row(&rows[i], phone.NewParser())
			j := back[i].joined()
			if got := cfg.Row(&j, phone.NewParser()); !reflect.DeepEqual(got, want) {
				t.Errorf("row %d (%s): through joinedRow\n%+v\nwhole\n%+v", i, rows[i].MatchStatus, got, want)
			}
		}
	}
}

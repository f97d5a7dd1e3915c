package forecast

import (
	"errors"
	"testing"

	"syncgap/pipeline"
)

func TestOutcome(t *testing.T) {
	f := New()
	for _, tt := range []struct {
		name          string
		before, after []string
		want          pipeline.CloudOutcome
	}{
		{"unknown cloud", nil, []string{"+44 20 7946 0000"}, pipeline.UnknownOutcome},
		{"unknown cloud, AD empty", nil, []string{}, pipeline.UnknownOutcome},
		{"both empty", []string{}, []string{}, pipeline.Unchanged},
		{"same text", []string{"+44 20 7946 0000"}, []string{"+44 20 7946 0000"}, pipeline.Unchanged},
		{"same text, spaces", []string{" +44 20 7946 0000\u00a0"}, []string{"+44 20 7946 0000"}, pipeline.Unchanged},
		{"same set, other order", []string{"+1 206 555 0100", "+1 206 555 0101"}, []string{"+1 206 555 0101", "+1 206 555 0100"}, pipeline.Unchanged},
		{"reformatted", []string{"+442079460000"}, []string{"+44 20 7946 0000"}, pipeline.Reformatted},
		{"national reformatted", []string{"020 7946 0000"}, []string{"+44 20 7946 0000"}, pipeline.Reformatted},
		{"filled", []string{}, []string{"+44 20 7946 0000"}, pipeline.Filled},
		{"filled with one more", []string{"+1 206 555 0100"}, []string{"+1 206 555 0100", "+1 206 555 0101"}, pipeline.Filled},
		{"changed", []string{"+44 20 7946 0000"}, []string{"+44 20 7946 0001"}, pipeline.Changed},
		{"one of two replaced", []string{"+1 206 555 0100", "+1 206 555 0101"}, []string{"+1 206 555 0100", "+1 206 555 0199"}, pipeline.Changed},
		{"lost to nothing", []string{"+44 20 7946 0000"}, []string{}, pipeline.Lost},
		{"lost to junk", []string{"+44 20 7946 0000"}, []string{"n/a"}, pipeline.Lost},
		{"cleaned to nothing", []string{"TBD"}, []string{}, pipeline.Cleaned},
		{"cleaned to a number", []string{"TBD"}, []string{"+44 20 7946 0000"}, pipeline.Cleaned},
		{"junk beside a number removed", []string{"+44 20 7946 0000", "n/a"}, []string{"+44 20 7946 0000"}, pipeline.Cleaned},
		{"junk appears", []string{}, []string{"n/a"}, pipeline.Changed},
		{"junk changes", []string{"TBD"}, []string{"n/a"}, pipeline.Changed},
	} {
		if got := f.Outcome(tt.before, tt.after, "GB"); got != tt.want {
			t.Errorf("%s: Outcome(%q, %q) = %s, want %s", tt.name, tt.before, tt.after, got, tt.want)
		}
	}
}

func TestRowsApplyTheWrite(t *testing.T) {
	gaps := pipeline.Slice[pipeline.Gap]{
		{DN: "CN=A,DC=x", UPN: "a@x", MatchStatus: pipeline.Matched, MobileAD: "+44 20 7946 0000", MobileEntra: "+44 20 7946 0001", Region: "GB"},
		{DN: "CN=B,DC=x", UPN: "b@x", MatchStatus: pipeline.Ambiguous, MobileAD: "1", MobileEntra: "2"},
	}
	write := pipeline.Action{ActionID: "id1", Kind: pipeline.KindWrite, Target: pipeline.TargetAD, DN: "CN=A,DC=x", Attribute: "mobile",
		Expected: []string{"+44 20 7946 0000"}, Value: []string{"+44 20 7946 0001"}}
	f := New()
	rows, counts, err := f.Rows(pipeline.ApproveAll, gaps, NewWrites([]pipeline.Action{write}, func(*pipeline.Action) bool { return true }))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2 (the ambiguous user has none)", len(rows))
	}
	if r := rows[0]; r.Outcome != pipeline.Unchanged || r.ActionID != "id1" || r.CloudAfter[0] != "+44 20 7946 0001" {
		t.Errorf("mobile row %+v", r)
	}
	if r := rows[1]; r.Attribute != "otherMobile" || r.Outcome != pipeline.UnknownOutcome || r.CloudBefore != nil {
		t.Errorf("otherMobile row %+v", r)
	}
	flip, _, err := f.Rows(pipeline.FlipNow, gaps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if flip[0].Outcome != pipeline.Changed || flip[0].ActionID != "" {
		t.Errorf("flip_now row %+v", flip[0])
	}
	if counts[pipeline.Unchanged] != 1 || counts[pipeline.UnknownOutcome] != 1 {
		t.Errorf("counts %v", counts)
	}
}

// TestKnownFormsAgreeWithParsing: the E.164 forms classify left in gaps
// give the outcome parsing would.
func TestKnownFormsAgreeWithParsing(t *testing.T) {
	f := New()
	g := pipeline.Gap{DN: "CN=A", MatchStatus: pipeline.Matched, Region: "GB",
		MobileAD: "020 7946 0000", MobileEntra: "+44 20 7946 0001", MobileADE164: "+442079460000", MobileEntraE164: "+442079460001",
		OtherMobileAD: []string{}, OtherMobileEntra: []string{}}
	vals, _ := Values(&g)
	v := vals[0]
	for _, after := range [][]string{{"020 7946 0000"}, {"+44 20 7946 0001"}, {"+442079460001"}, {}, {"n/a"}} {
		a := &pipeline.Action{Value: after}
		if got, want := f.Row(pipeline.AsDecided, v, a).Outcome, f.Outcome(v.Cloud, after, "GB"); got != want {
			t.Errorf("after %q: %s with the known forms, %s parsing", after, got, want)
		}
	}
}

// TestStreamRefusesWritesOutOfOrder: the stream walks the writes beside the
// gaps rows, so writes in another order (a plan made from other gaps) are
// an error, never writes silently left out.
func TestStreamRefusesWritesOutOfOrder(t *testing.T) {
	gap := func(dn string) pipeline.Gap {
		return pipeline.Gap{DN: dn, UPN: dn + "@x", MatchStatus: pipeline.Matched, MobileAD: "+44 20 7946 0000", MobileEntra: "+44 20 7946 0001", Region: "GB"}
	}
	write := func(dn string) pipeline.Action {
		return pipeline.Action{ActionID: dn, Kind: pipeline.KindWrite, Target: pipeline.TargetAD, DN: dn, Attribute: "mobile",
			Expected: []string{"+44 20 7946 0000"}, Value: []string{"+44 20 7946 0001"}}
	}
	gaps := pipeline.Slice[pipeline.Gap]{gap("CN=A"), gap("CN=B"), gap("CN=C")}
	all := func(*pipeline.Action) bool { return true }
	rows, _, err := New().Rows(pipeline.ApproveAll, gaps, NewWrites([]pipeline.Action{write("CN=A"), write("CN=C")}, all))
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].ActionID != "CN=A" || rows[2].ActionID != "" || rows[4].ActionID != "CN=C" {
		t.Errorf("writes applied to %q %q %q, want CN=A, none, CN=C", rows[0].ActionID, rows[2].ActionID, rows[4].ActionID)
	}
	_, _, err = New().Rows(pipeline.ApproveAll, gaps, NewWrites([]pipeline.Action{write("CN=C"), write("CN=A")}, all))
	if !errors.Is(err, ErrWritesOrder) {
		t.Errorf("writes out of order: %v, want ErrWritesOrder", err)
	}
	if a := NewWrites([]pipeline.Action{write("CN=C"), write("CN=A")}, all).Lookup("CN=A", "mobile"); a == nil || a.ActionID != "CN=A" {
		t.Errorf("Lookup = %v", a)
	}
}

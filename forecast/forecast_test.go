package forecast

import (
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
	rows, counts := f.Rows(pipeline.ApproveAll, gaps, Writes([]pipeline.Action{write}, func(*pipeline.Action) bool { return true }))
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2 (the ambiguous user has none)", len(rows))
	}
	if r := rows[0]; r.Outcome != pipeline.Unchanged || r.ActionID != "id1" || r.CloudAfter[0] != "+44 20 7946 0001" {
		t.Errorf("mobile row %+v", r)
	}
	if r := rows[1]; r.Attribute != "otherMobile" || r.Outcome != pipeline.UnknownOutcome || r.CloudBefore != nil {
		t.Errorf("otherMobile row %+v", r)
	}
	flip, _ := f.Rows(pipeline.FlipNow, gaps, nil)
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

package plan

import (
	"fmt"
	"strings"
	"testing"

	"syncgap/forecast"
	"syncgap/pipeline"
	"syncgap/workbook"
)

// TestForecastByStatePolicyDecision plans one user per state under every
// policy and checks what the switch does to the mobile value when the row
// is approved, when it is rejected, and when there is no row to decide.
func TestForecastByStatePolicyDecision(t *testing.T) {
	const (
		num1 = "+1 206 555 0100"
		num2 = "+1 206 555 0101"
		e164 = "+12065550100"
	)
	type outcomes struct{ approve, reject pipeline.CloudOutcome } // reject == approve: no decidable row
	for _, tt := range []struct {
		name      string
		state     pipeline.State
		ad, cloud string
		want      map[Policy]outcomes
	}{
		{"in sync", pipeline.InSync, num1, num1, map[Policy]outcomes{
			EntraWins: {pipeline.Unchanged, pipeline.Unchanged}, Review: {pipeline.Unchanged, pipeline.Unchanged}, ADWins: {pipeline.Unchanged, pipeline.Unchanged}}},
		{"mismatch", pipeline.Mismatch, num2, num1, map[Policy]outcomes{
			EntraWins: {pipeline.Unchanged, pipeline.Changed}, Review: {pipeline.Unchanged, pipeline.Changed}, ADWins: {pipeline.Changed, pipeline.Changed}}},
		{"missing in AD", pipeline.MissingInAD, "", num1, map[Policy]outcomes{
			EntraWins: {pipeline.Unchanged, pipeline.Lost}, Review: {pipeline.Unchanged, pipeline.Lost}, ADWins: {pipeline.Lost, pipeline.Lost}}},
		{"missing in Entra", pipeline.MissingInEntra, num1, "", map[Policy]outcomes{
			EntraWins: {pipeline.Unchanged, pipeline.Filled}, Review: {pipeline.Unchanged, pipeline.Filled}, ADWins: {pipeline.Filled, pipeline.Filled}}},
		{"format only", pipeline.FormatOnly, e164, num1, map[Policy]outcomes{
			EntraWins: {pipeline.Reformatted, pipeline.Reformatted}, Review: {pipeline.Reformatted, pipeline.Reformatted}, ADWins: {pipeline.Reformatted, pipeline.Reformatted}}},
		{"junk in AD over a number", pipeline.Invalid, "n/a", num1, map[Policy]outcomes{
			EntraWins: {pipeline.Unchanged, pipeline.Lost}, Review: {pipeline.Unchanged, pipeline.Lost}, ADWins: {pipeline.Lost, pipeline.Lost}}},
		{"junk in the cloud", pipeline.Invalid, num1, "TBD", map[Policy]outcomes{
			EntraWins: {pipeline.Cleaned, pipeline.Cleaned}, Review: {pipeline.Cleaned, pipeline.Cleaned}, ADWins: {pipeline.Cleaned, pipeline.Cleaned}}},
	} {
		for _, policy := range []Policy{EntraWins, Review, ADWins} {
			name := fmt.Sprintf("%s/%s", tt.name, policy)
			g := gap("CN=A,DC=x", tt.state, tt.ad, tt.cloud)
			p, err := NewPlanner(Config{Policy: policy})
			if err != nil {
				t.Fatal(err)
			}
			acts, err := p.Row(nil, &g)
			if err != nil {
				t.Fatal(err)
			}
			var rows []pipeline.ForecastRow
			keep := func(r *pipeline.ForecastRow) error { rows = append(rows, forecast.Keep(r)); return nil }
			effects := make([]workbook.ActionEffect, len(acts))
			if err := newBriefing(keep).row(&g, acts, effects, 0); err != nil {
				t.Fatal(err)
			}
			writes := forecast.NewWrites(acts, func(*pipeline.Action) bool { return true })
			if _, err := forecast.New().Stream(pipeline.ApproveAll, pipeline.Slice[pipeline.Gap]{g}, writes, func(r *pipeline.ForecastRow, _ *pipeline.Action) error { return keep(r) }); err != nil {
				t.Fatal(err)
			}
			w := tt.want[policy]
			var got outcomes
			decidable := false
			for i, a := range acts {
				if a.Attribute == "mobile" && a.Kind.Writes() && a.Target == pipeline.TargetAD {
					decidable = true
					got = outcomes{effects[i].Approved, effects[i].Rejected}
					if effects[i].IfApproved == "" || effects[i].IfRejected == "" {
						t.Errorf("%s: no words for the decision", name)
					}
				}
			}
			flip := rows[0] // flip_now, mobile
			if flip.Scenario != pipeline.FlipNow || flip.Attribute != "mobile" {
				t.Fatalf("%s: first row %+v", name, flip)
			}
			if !decidable {
				got = outcomes{flip.Outcome, flip.Outcome}
			}
			if got != w {
				t.Errorf("%s: approve -> %s, reject -> %s; want %s, %s", name, got.approve, got.reject, w.approve, w.reject)
			}
			if decidable && flip.Outcome != got.reject {
				t.Errorf("%s: flip_now %s differs from rejecting the row (%s)", name, flip.Outcome, got.reject)
			}
			all := rows[2] // approve_all, mobile
			if all.Scenario != pipeline.ApproveAll || all.Outcome != got.approve {
				t.Errorf("%s: approve_all row %+v, want outcome %s", name, all, got.approve)
			}
		}
	}
}

// TestOneAcknowledgeRow: a Graph-only audit, where every user's cloud
// otherMobile is unknown, gets one acknowledge row, not one per user.
func TestOneAcknowledgeRow(t *testing.T) {
	p, err := NewPlanner(Config{Policy: EntraWins})
	if err != nil {
		t.Fatal(err)
	}
	var acts []pipeline.Action
	for i := range 50 {
		g := gap(fmt.Sprintf("CN=U%d,DC=x", i), pipeline.InSync, "+1 206 555 0100", "+1 206 555 0100")
		g.OtherMobileState, g.OtherMobileEntra = pipeline.Unverifiable, nil
		if i%5 == 0 {
			g.OtherMobileAD = []string{"+1 206 555 0199"}
		}
		if acts, err = p.Row(acts, &g); err != nil {
			t.Fatal(err)
		}
	}
	if len(acts) != 0 {
		t.Fatalf("%d per-user rows", len(acts))
	}
	a, err := p.Acknowledge()
	if err != nil || a == nil {
		t.Fatalf("acknowledge row: %v %v", a, err)
	}
	if a.Kind != pipeline.KindAcknowledge || !a.Kind.Decidable() || a.Kind.Writes() || a.Target != pipeline.TargetTenant {
		t.Errorf("row %+v", a)
	}
	for _, want := range []string{"cannot be read for 50 users", "otherMobile for 10 of them", "the switch makes the cloud equal AD"} {
		if !strings.Contains(a.Reason, want) {
			t.Errorf("reason %q lacks %q", a.Reason, want)
		}
	}
}

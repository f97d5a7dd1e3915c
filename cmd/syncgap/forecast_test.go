package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"syncgap/fixtures/tenantgen"
	"syncgap/forecast"
	"syncgap/pipeline"
)

// flipNowFromTruth is what the switch does to a value of the given state
// if flipped now, read off the state alone (docs/rules.md, "Forecast"). An
// invalid value's outcome depends on which side is not a number, and an
// otherMobile mismatch on whether AD's set holds all of the cloud's, which
// truth.csv does not say: those allow the outcomes they can have. truth.csv
// assumes the MSOnline export; without it every otherMobile is unknown.
func flipNowFromTruth(attr, state string) []pipeline.CloudOutcome {
	switch state {
	case "in_sync":
		return []pipeline.CloudOutcome{pipeline.Unchanged}
	case "format_only":
		return []pipeline.CloudOutcome{pipeline.Reformatted}
	case "missing_in_entra":
		return []pipeline.CloudOutcome{pipeline.Filled}
	case "missing_in_ad":
		return []pipeline.CloudOutcome{pipeline.Lost}
	case "mismatch":
		if attr == "otherMobile" {
			return []pipeline.CloudOutcome{pipeline.Changed, pipeline.Filled}
		}
		return []pipeline.CloudOutcome{pipeline.Changed}
	case "unverifiable":
		return []pipeline.CloudOutcome{pipeline.UnknownOutcome}
	case "invalid":
		if attr == "otherMobile" { // AD may hold a number beside the text
			return []pipeline.CloudOutcome{pipeline.Lost, pipeline.Cleaned, pipeline.Changed, pipeline.Filled}
		}
		return []pipeline.CloudOutcome{pipeline.Lost, pipeline.Cleaned, pipeline.Changed}
	}
	return nil
}

// TestForecastMatchesTruth plans a generated tenant (once with the MSOnline
// export, once Graph-only) and holds every flip_now row against the truth,
// and the approve_all rows against the plan.
func TestForecastMatchesTruth(t *testing.T) {
	dir := t.TempDir()
	if _, err := tenantgen.Generate(tenantgen.Config{Users: 3000, Seed: 23}, dir); err != nil {
		t.Fatal(err)
	}
	truth := readTruthStates(t, filepath.Join(dir, "truth.csv"))
	for _, withMSOnline := range []bool{true, false} {
		snap := filepath.Join(t.TempDir(), "snap")
		args := []string{"audit", "--ldif", filepath.Join(dir, "ad.ldif"), "--export", filepath.Join(dir, "graph")}
		if withMSOnline {
			args = append(args, "--export", filepath.Join(dir, "msol.csv"))
		}
		mustAudit(t, append(args, "--tenant-features", filepath.Join(dir, "tenant-features.json"), "--out", snap))
		mustRun(t, "plan", "--snapshot", snap, "--policy", "entra-wins", "--enable-bypass")
		rows, err := pipeline.ReadRows[pipeline.ForecastRow](filepath.Join(snap, "forecast.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		matched := 0
		for _, st := range truth {
			if st.status == "matched" {
				matched++
			}
		}
		if len(rows) != 2*2*matched {
			t.Fatalf("msonline=%v: %d forecast rows for %d matched users, want %d", withMSOnline, len(rows), matched, 4*matched)
		}
		ad := adValues(t, snap)
		region := map[string]string{}
		gaps, err := pipeline.ReadRows[pipeline.Gap](filepath.Join(snap, "gaps.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gaps {
			region[g.DN] = g.Region
		}
		full := forecast.New()
		plan := readPlan(t, snap)
		writes := map[string]pipeline.Action{}
		unknownOther, acknowledge, otherReview := 0, 0, 0
		for _, a := range plan {
			if a.Target == pipeline.TargetAD && a.Kind.Writes() {
				writes[strings.ToLower(a.DN)+"|"+a.Attribute] = a
			}
			if a.Kind == pipeline.KindAcknowledge {
				acknowledge++
			}
			if a.Kind == pipeline.KindReview && a.Attribute == "otherMobile" && a.State == pipeline.Unverifiable {
				otherReview++
			}
		}
		bad := 0
		for _, r := range rows {
			st, ok := truth[r.DN+"|"+strings.ToLower(r.EntraID)]
			if !ok || st.status != "matched" {
				t.Fatalf("forecast row for %s, which truth does not match", r.DN)
			}
			state := st.mobile
			if r.Attribute == "otherMobile" {
				state = st.other
			}
			if r.Scenario == pipeline.FlipNow {
				want := flipNowFromTruth(r.Attribute, state)
				if !withMSOnline && r.Attribute == "otherMobile" {
					want = []pipeline.CloudOutcome{pipeline.UnknownOutcome}
				}
				if r.Attribute == "otherMobile" && r.Outcome == pipeline.UnknownOutcome {
					unknownOther++
				}
				if !slices.Contains(want, r.Outcome) {
					if bad++; bad < 10 {
						t.Errorf("msonline=%v %s %s (%s): flip_now %s, truth allows %v", withMSOnline, r.DN, r.Attribute, state, r.Outcome, want)
					}
				}
				// The outcome read off classify's state is the one the
				// values give.
				if o := full.Outcome(r.CloudBefore, r.CloudAfter, region[r.DN]); o != r.Outcome {
					t.Errorf("%s %s (%s): flip_now %s, the values give %s", r.DN, r.Attribute, state, r.Outcome, o)
				}
				if r.ActionID != "" || !slices.Equal(r.CloudAfter, ad[r.DN+"|"+r.Attribute]) {
					t.Errorf("%s %s: flip_now leaves %q (action %q)", r.DN, r.Attribute, r.CloudAfter, r.ActionID)
				}
				continue
			}
			a, planned := writes[strings.ToLower(r.DN)+"|"+r.Attribute]
			switch {
			case planned && (r.ActionID != a.ActionID || !slices.Equal(r.CloudAfter, a.Value)):
				t.Errorf("%s %s: approve_all applies %q, the plan writes %q (%s)", r.DN, r.Attribute, r.CloudAfter, a.Value, a.ActionID)
			case planned && r.Outcome == pipeline.Lost:
				t.Errorf("%s %s: approving the plan's write still loses the cloud's value", r.DN, r.Attribute)
			case !planned && r.ActionID != "":
				t.Errorf("%s %s: approve_all applies %s, which the plan has not", r.DN, r.Attribute, r.ActionID)
			}
		}
		// Honest unknowns: Graph-only, every matched user's otherMobile is
		// unknown, and one row speaks for them all.
		if !withMSOnline && unknownOther != matched {
			t.Errorf("Graph-only: %d of %d matched users' otherMobile unknown", unknownOther, matched)
		}
		if otherReview != 0 || (unknownOther > 0) != (acknowledge == 1) || acknowledge > 1 {
			t.Errorf("msonline=%v: %d unknown otherMobile values, %d acknowledge rows, %d per-user review rows", withMSOnline, unknownOther, acknowledge, otherReview)
		}
	}
}

type truthState struct{ status, mobile, other string }

func readTruthStates(t *testing.T, path string) map[string]truthState {
	t.Helper()
	col, recs := truthRecords(t, path)
	out := map[string]truthState{}
	for _, r := range recs {
		out[r[col["dn"]]+"|"+strings.ToLower(r[col["entra_id"]])] = truthState{r[col["match_status"]], r[col["mobile_state"]], r[col["other_mobile_state"]]}
	}
	return out
}

// adValues reads AD's values per DN and attribute from the extracted
// ad_users table: what flip_now must copy to the cloud.
func adValues(t *testing.T, snap string) map[string][]string {
	t.Helper()
	users, err := pipeline.ReadRows[pipeline.ADUser](filepath.Join(snap, "ad_users.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, u := range users {
		mob := []string{}
		if u.Mobile != "" {
			mob = []string{u.Mobile}
		}
		other := u.OtherMobile
		if other == nil {
			other = []string{}
		}
		out[u.DN+"|mobile"], out[u.DN+"|otherMobile"] = mob, other
	}
	return out
}

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// restore-plan writes back exactly the cloud values the forecast said the
// switch would clear or replace, expecting AD's values after the flip, and
// leaves alone a value AD changed since and values unknown before.
func TestRestorePlanWritesBackWhatTheSwitchOverwrote(t *testing.T) {
	work := t.TempDir()
	gen := filepath.Join(work, "t")
	mustRun(t, "fixtures", "generate", "--users", "600", "--seed", "11", "--out", gen)
	before := filepath.Join(work, "before")
	mustRun(t, "audit", "--ldif", filepath.Join(gen, "ad.ldif"), "--export", filepath.Join(gen, "graph"), "--export", filepath.Join(gen, "msol.csv"),
		"--tenant-features", filepath.Join(gen, "tenant-features.json"), "--out", before)
	mustRun(t, "plan", "--snapshot", before, "--policy", "ad-wins")
	forecast, err := pipeline.ReadRows[pipeline.ForecastRow](filepath.Join(before, "forecast.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	ldif, _ := os.ReadFile(filepath.Join(gen, "ad.ldif"))
	adText := string(ldif)
	cloud := map[string][]string{}
	type key struct{ id, attr string }
	want := map[key][]string{} // the values to restore
	var changed string
	for _, f := range forecast {
		if f.Scenario != pipeline.ApproveAll {
			continue
		}
		if f.Attribute == "mobile" {
			cloud[f.EntraID] = f.CloudAfter // the flip: the cloud follows AD
		}
		if (f.Outcome != pipeline.Lost && f.Outcome != pipeline.Changed) || f.CloudBefore == nil {
			continue
		}
		if changed == "" && f.Attribute == "mobile" && len(f.CloudAfter) == 1 && plainMobile(adText, f.DN, f.CloudAfter[0]) {
			// AD edited after the flip: not to be written over.
			adText = replaceMobile(adText, f.DN, f.CloudAfter[0], "+1 425 555 0177")
			cloud[f.EntraID] = []string{"+1 425 555 0177"}
			changed = f.EntraID
			continue
		}
		want[key{f.EntraID, f.Attribute}] = f.CloudBefore
	}
	if changed == "" || len(want) < 5 {
		t.Fatalf("the tenant gave %d values to restore and changed %q", len(want), changed)
	}
	later := filepath.Join(work, "later")
	os.MkdirAll(filepath.Join(later, "graph"), 0o755)
	os.WriteFile(filepath.Join(later, "ad.ldif"), []byte(adText), 0o644)
	rewritePages(t, filepath.Join(gen, "graph"), filepath.Join(later, "graph"), cloud)
	features, _ := os.ReadFile(filepath.Join(gen, "tenant-features.json"))
	os.WriteFile(filepath.Join(later, "tenant-features.json"),
		[]byte(strings.Replace(string(features), `"bypassDirSyncOverridesEnabled":false`, `"bypassDirSyncOverridesEnabled":true`, 1)), 0o644)
	afterSnap := filepath.Join(work, "after")
	mustRun(t, "audit", "--ldif", filepath.Join(later, "ad.ldif"), "--export", filepath.Join(later, "graph"),
		"--tenant-features", filepath.Join(later, "tenant-features.json"), "--out", afterSnap)
	adAfter := map[string]pipeline.ADUser{}
	ads, _ := pipeline.ReadRows[pipeline.ADUser](filepath.Join(afterSnap, "ad_users.parquet"))
	for _, u := range ads {
		adAfter[strings.ToLower(u.DN)] = u
	}

	restore := filepath.Join(work, "restore")
	out := mustRun(t, "restore-plan", "--from", before, "--snapshot", afterSnap, "--out", restore)
	if !strings.Contains(out, "not restored: 1 changed in AD since the plan") {
		t.Errorf("summary:\n%s", out)
	}
	acts := readPlan(t, restore)
	got := map[key][]string{}
	for _, a := range acts {
		if a.Kind != pipeline.KindWrite || a.Target != pipeline.TargetAD {
			t.Errorf("action %s: %s on %s", a.ActionID, a.Kind, a.Target)
		}
		u := adAfter[strings.ToLower(a.DN)]
		adNow := []string{}
		if a.Attribute == "mobile" && u.Mobile != "" {
			adNow = []string{u.Mobile}
		} else if a.Attribute == "otherMobile" && u.OtherMobile != nil {
			adNow = u.OtherMobile
		}
		if !pipeline.SameValues(a.Expected, adNow) {
			t.Errorf("%s %s expects %q, AD holds %q after the flip", a.UPN, a.Attribute, a.Expected, adNow)
		}
		got[key{a.EntraID, a.Attribute}] = a.Value
	}
	if len(got) != len(want) {
		t.Errorf("%d restore writes, want %d", len(got), len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || !slices.Equal(g, v) {
			t.Errorf("%v: restores %q, the cloud held %q", k, g, v)
		}
	}
	if _, ok := got[key{changed, "mobile"}]; ok {
		t.Error("the value AD changed after the flip is written over")
	}
	for _, f := range []string{"plan.parquet", "report.xlsx", "changes.ldif"} {
		if _, err := os.Stat(filepath.Join(restore, f)); err != nil {
			t.Error(err)
		}
	}
	// It is a plan like any other: the dry run of apply reads it.
	if out := mustRun(t, "apply", "--snapshot", restore, "--approve-all"); !strings.Contains(out, "mobile") {
		t.Errorf("apply dry run:\n%s", out)
	}
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"syncgap/fixtures/graphserver"
	"syncgap/pipeline"
	"syncgap/stages/apply"
)

// TestRestorePlanAgainstSamba runs the restore loop of docs/rules.md
// ("Restore") against a real DC, through the binary: plan and apply the
// switch (ad-wins: AD stays as it is), simulate the flip (the later cloud
// export follows AD, the flag is on), edit one user's AD value after it,
// audit, restore-plan, apply the restore plan. A full export of AD before
// and after the restore apply shows AD holding, for exactly the values the
// switch overwrote or cleared, the cloud's values before the flip, and
// everything else, the edited user included, as it was.
func TestRestorePlanAgainstSamba(t *testing.T) {
	e := newApplyEnv(t, 400, 24)
	before := e.audit(t, "before")
	mustRun(t, "plan", "--snapshot", before, "--policy", "ad-wins", "--enable-bypass")

	// The switch: every action approved, the flag enabled through Graph.
	// ad-wins plans no AD write, so AD is left as it is.
	seeded := e.export(t, "seeded")
	ep, _ := graphServer(t, e.data, graphserver.Faults{})
	t.Setenv("SG_TOKEN", graphToken)
	out := mustRun(t, append(append([]string{"apply", "--snapshot", before, "--approve-all", "--execute"}, e.ldap...),
		"--graph", "--graph-endpoint", ep, "--access-token-env", "SG_TOKEN")...)
	if !strings.Contains(out, "Tenant action: applied: bypassDirSyncOverridesEnabled read back true") || !bypassOn(t, ep) {
		t.Fatalf("the switch was not flipped:\n%s", out)
	}
	expectState(t, seeded, e.export(t, "flipped"), nil)

	// The flip as the forecast approve_all foresaw it (apply --approve-all
	// records no approvals, so restore-plan follows approve_all too): the
	// cloud's mobilePhone equals AD's for every synced user. The values to
	// restore are those the forecast said the switch cleared or replaced
	// and whose cloud side was known before.
	forecast, err := pipeline.ReadRows[pipeline.ForecastRow](filepath.Join(before, "forecast.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	cloud := map[string][]string{} // cloud id → mobilePhone after the flip
	want := map[string][]string{}  // "dn|attribute" → the value to restore
	var planted pipeline.ForecastRow
	const edited = "+1 425 555 0177"
	unknown := 0 // values whose cloud side nobody could read before the flip
	for _, f := range forecast {
		if f.Scenario != pipeline.ApproveAll {
			continue
		}
		if f.Attribute == "mobile" {
			cloud[f.EntraID] = f.CloudAfter
		}
		if f.CloudBefore == nil {
			unknown++
		}
		if (f.Outcome != pipeline.Lost && f.Outcome != pipeline.Changed) || f.CloudBefore == nil {
			continue
		}
		if planted.DN == "" && f.Attribute == "mobile" && len(f.CloudAfter) == 1 {
			// Someone edits this user's mobile in AD after the flip, and
			// sync copies it: a later change restore must not write over.
			planted = f
			cloud[f.EntraID] = []string{edited}
			continue
		}
		want[strings.ToLower(f.DN)+"|"+strings.ToLower(f.Attribute)] = f.CloudBefore
	}
	// The forecast's cloud_before is what BEFORE's cloud export held.
	clouds, err := pipeline.ReadRows[pipeline.EntraUser](filepath.Join(before, pipeline.FileName(pipeline.EntraUsersTable)))
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]pipeline.EntraUser{}
	for _, u := range clouds {
		exported[u.ID] = u
	}
	attrs := map[string]int{}
	for _, f := range forecast {
		k := strings.ToLower(f.DN) + "|" + strings.ToLower(f.Attribute)
		v, ok := want[k]
		if !ok || f.Scenario != pipeline.ApproveAll {
			continue
		}
		attrs[f.Attribute]++
		u := exported[f.EntraID]
		held := u.AlternateMobilePhones
		if f.Attribute == "mobile" {
			held = nil
			if u.MobilePhone != "" {
				held = []string{u.MobilePhone}
			}
		}
		if !slices.Equal(sorted(held), sorted(v)) {
			t.Errorf("%s %s: the forecast says the cloud held %q, its export %q", f.UPN, f.Attribute, v, held)
		}
	}
	if planted.DN == "" || len(want) < 5 || attrs["mobile"] == 0 || attrs["otherMobile"] == 0 || unknown == 0 {
		t.Fatalf("the tenant gave %d values to restore (%v), %d unknown, planted %q", len(want), attrs, unknown, planted.DN)
	}
	c := e.conn(t)
	m := ldap.NewModifyRequest(planted.DN, nil)
	m.Replace("mobile", []string{edited})
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
	c.Close()

	later := filepath.Join(e.work, "later")
	if err := os.MkdirAll(filepath.Join(later, "graph"), 0o755); err != nil {
		t.Fatal(err)
	}
	rewritePages(t, filepath.Join(e.data, "graph"), filepath.Join(later, "graph"), cloud)
	features, err := os.ReadFile(filepath.Join(e.data, "tenant-features.json"))
	if err != nil {
		t.Fatal(err)
	}
	on := strings.Replace(string(features), `"bypassDirSyncOverridesEnabled":false`, `"bypassDirSyncOverridesEnabled":true`, 1)
	if on == string(features) {
		t.Fatal("tenant-features.json has no bypass flag set false")
	}
	if err := os.WriteFile(filepath.Join(later, "tenant-features.json"), []byte(on), 0o644); err != nil {
		t.Fatal(err)
	}
	// AFTER: live AD and the later cloud export (Graph only, as after
	// MSOnline's retirement: otherMobile's cloud side is unknown there).
	afterSnap := filepath.Join(e.work, "after")
	mustRun(t, append(append([]string{"audit"}, e.ldap...), "--base", e.dc.BaseDN, "--export", filepath.Join(later, "graph"),
		"--tenant-features", filepath.Join(later, "tenant-features.json"), "--out", afterSnap)...)

	restore := filepath.Join(e.work, "restore")
	out = mustRun(t, "restore-plan", "--from", before, "--snapshot", afterSnap, "--out", restore)
	if !strings.Contains(out, fmt.Sprintf("%d writes put back cloud values the switch overwrote (forecast approve_all)", len(want))) ||
		!strings.Contains(out, fmt.Sprintf("not restored: 1 changed in AD since the plan, %d unknown before the flip, 0 users gone", unknown)) {
		t.Errorf("restore-plan summary:\n%s", out)
	}
	got := map[string][]string{}
	for _, a := range readPlan(t, restore) {
		k := strings.ToLower(a.DN) + "|" + strings.ToLower(a.Attribute)
		if _, dup := got[k]; dup || a.Kind != pipeline.KindWrite || a.Target != pipeline.TargetAD {
			t.Errorf("action %s: %s on %s (%s), twice: %v", a.ActionID, a.Kind, a.Target, k, dup)
		}
		got[k] = a.Value
	}
	if _, ok := got[strings.ToLower(planted.DN)+"|mobile"]; ok {
		t.Errorf("the restore plan writes over %s's mobile, edited in AD after the flip", planted.DN)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || !slices.Equal(sorted(g), sorted(v)) {
			t.Errorf("%s: restores %q, the cloud held %q", k, g, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d restore writes, want %d", len(got), len(want))
	}

	// The dry run says what it would do and writes nothing.
	pre := e.export(t, "pre-restore")
	out = mustRun(t, append([]string{"apply", "--snapshot", restore, "--approve-all"}, e.ldap...)...)
	if !strings.Contains(out, "Dry run") || !strings.Contains(out, fmt.Sprintf("Approved AD actions: %d to apply", len(want))) {
		t.Errorf("dry run output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(restore, apply.JournalFile)); err == nil {
		t.Error("the dry run wrote a journal")
	}
	expectState(t, pre, e.export(t, "dry-run"), nil)

	out = mustRun(t, append([]string{"apply", "--snapshot", restore, "--approve-all", "--execute"}, e.ldap...)...)
	if !strings.Contains(out, fmt.Sprintf("Applied %d, drifted 0 (left alone), failed 0, not reached 0", len(want))) {
		t.Errorf("apply output:\n%s", out)
	}
	// The edited user keeps its edit: pre holds it, and it is not in want.
	if got := pre[strings.ToLower(planted.DN)].Mobile; got != edited {
		t.Errorf("%s's mobile before the restore: %q, edited to %q", planted.DN, got, edited)
	}
	expectState(t, pre, e.export(t, "restored"), want)

	// verify reads from the manifest that the apply ran with --approve-all.
	out = mustRun(t, append([]string{"verify", "--snapshot", restore}, e.ldap...)...)
	if !strings.Contains(out, fmt.Sprintf("Verified %d actions: 0 differ", len(want))) {
		t.Errorf("verify output:\n%s", out)
	}
	t.Logf("%d values restored (%d mobile, %d otherMobile), %d unknown, %s left alone", len(want), attrs["mobile"], attrs["otherMobile"], unknown, planted.UPN)
}

package main

import (
	"cmp"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"syncgap/fixtures/graphserver"
	"syncgap/pipeline"
	"syncgap/stages/apply"
)

// The preflight against the Graph-compatible server and the Samba DC:
// with two cloud values edited between the audit and the flip, apply
// leaves the flag alone and names exactly those users; with the cloud as
// audited it enables the flag; --skip-preflight enables it whatever the
// cloud holds, and the journal says so each time.
func TestApplyPreflight(t *testing.T) {
	e := newApplyEnv(t, 500, 31)
	snap := e.audit(t, "snap")
	mustRun(t, "plan", "--snapshot", snap, "--policy", "entra-wins", "--enable-bypass")
	fc, err := pipeline.ReadRows[pipeline.ForecastRow](filepath.Join(snap, "forecast.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	// Two users whose mobile the switch leaves as it is get another cloud
	// value after the audit: the switch would now change them.
	edited := map[string][]string{}
	var editedUPNs []string
	for _, f := range fc {
		if f.Scenario == pipeline.ApproveAll && f.Attribute == "mobile" && f.Outcome == pipeline.Unchanged && len(f.CloudBefore) == 1 && len(edited) < 2 {
			edited[f.EntraID] = []string{"+1 425 555 0199"}
			editedUPNs = append(editedUPNs, cmp.Or(f.UPN, f.DN))
		}
	}
	if len(edited) != 2 {
		t.Fatalf("found %d users to edit", len(edited))
	}
	later := filepath.Join(e.work, "later")
	if err := os.MkdirAll(filepath.Join(later, "graph"), 0o755); err != nil {
		t.Fatal(err)
	}
	rewritePages(t, filepath.Join(e.data, "graph"), filepath.Join(later, "graph"), edited)
	features, err := os.ReadFile(filepath.Join(e.data, "tenant-features.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(later, "tenant-features.json"), features, 0o644)

	t.Setenv("SG_TOKEN", graphToken)
	applyArgs := func(ep string, extra ...string) []string {
		args := append([]string{"apply", "--snapshot", snap, "--approve-all", "--execute"}, e.ldap...)
		return append(append(args, "--graph", "--graph-endpoint", ep, "--access-token-env", "SG_TOKEN"), extra...)
	}
	journal := func() []apply.JournalEntry {
		t.Helper()
		entries, err := apply.ReadJournal(filepath.Join(snap, apply.JournalFile))
		if err != nil {
			t.Fatal(err)
		}
		var pre []apply.JournalEntry
		for _, en := range entries {
			if en.Event == apply.EventPreflight {
				pre = append(pre, en)
			}
		}
		return pre
	}

	// 1. Refused: the flag stays off, the two users are named.
	epEdited, srvEdited := graphServer(t, later, graphserver.Faults{})
	stdout, stderr, code := syncgap(t, applyArgs(epEdited)...)
	if code != 1 || !strings.Contains(stderr, "the switch would now lose or change 2 cloud values beyond the approved approve_all forecast") {
		t.Fatalf("apply with edited cloud values: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, upn := range editedUPNs {
		if !strings.Contains(stderr, upn) {
			t.Errorf("the refusal does not name %s:\n%s", upn, stderr)
		}
	}
	if bypassOn(t, epEdited) || srvEdited.Stats().Patches.Load() != 0 {
		t.Error("the flag was changed although the preflight refused")
	}
	rows, err := pipeline.ReadRows[pipeline.PreflightRow](filepath.Join(snap, "preflight.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.EntraID)
		if r.Outcome != pipeline.Changed || r.ApprovedOutcome != pipeline.Unchanged || !r.InAudit.IsTrue() ||
			!slices.Equal(r.CloudBefore, []string{"+1 425 555 0199"}) || !strings.Contains(r.Reason, "cloud value changed since the audit") {
			t.Errorf("preflight row: %+v", r)
		}
	}
	slices.Sort(ids)
	want := slices.Sorted(maps.Keys(edited))
	if !slices.Equal(ids, want) {
		t.Errorf("preflight.parquet names %v, want %v", ids, want)
	}
	pre := journal()
	if len(pre) != 1 || pre[0].Preflight == nil || pre[0].Preflight.Unexpected != 2 || pre[0].Preflight.Scenario != pipeline.ApproveAll {
		t.Fatalf("journal preflight entries: %+v", pre)
	}
	if m, err := pipeline.LoadManifest(filepath.Join(snap, pipeline.PreflightDir)); err != nil || len(m.Stages) != 4 {
		t.Errorf("preflight/ is not a snapshot of the four re-read stages: %v", err)
	}
	// What the board saw is on record: the manifest lists the table.
	if m, _ := pipeline.LoadManifest(snap); m == nil {
		t.Fatal("no manifest")
	} else if rec, _ := m.Output("preflight.parquet"); rec == nil {
		t.Error("the manifest does not record preflight.parquet")
	}

	// 2. The cloud as audited: the preflight passes and the flag goes on.
	epSame, _ := graphServer(t, e.data, graphserver.Faults{})
	out := mustRun(t, applyArgs(epSame)...)
	if !strings.Contains(out, "Preflight: approved approve_all forecast") || !strings.Contains(out, "0 beyond the approved") ||
		!strings.Contains(out, "Tenant action: applied") || !bypassOn(t, epSame) {
		t.Errorf("apply with the cloud as audited:\n%s", out)
	}
	if pre := journal(); len(pre) != 2 || pre[1].Preflight == nil || pre[1].Preflight.Unexpected != 0 {
		t.Errorf("journal preflight entries: %+v", pre)
	}
	if rows, err := pipeline.ReadRows[pipeline.PreflightRow](filepath.Join(snap, "preflight.parquet")); err != nil || len(rows) != 0 {
		t.Errorf("preflight.parquet after a passed preflight: %d rows, %v", len(rows), err)
	}

	// 3. --skip-preflight on a snapshot audited after those writes, against
	// the edited cloud: the flag goes on, the journal says the check was
	// skipped, and stderr says so too.
	snap2 := e.audit(t, "snap2")
	mustRun(t, "plan", "--snapshot", snap2, "--policy", "entra-wins", "--enable-bypass")
	snap = snap2
	stdout, stderr, code = syncgap(t, applyArgs(epEdited, "--skip-preflight")...)
	if code != 0 || !strings.Contains(stdout, "Tenant action: applied") || !strings.Contains(stderr, "--skip-preflight") || !bypassOn(t, epEdited) {
		t.Errorf("apply --skip-preflight: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if pre := journal(); len(pre) != 1 || pre[0].Preflight != nil || !strings.Contains(pre[0].Message, "skipped (--skip-preflight)") {
		t.Errorf("journal preflight entries: %+v", pre)
	}
	if _, err := os.Stat(filepath.Join(snap2, pipeline.PreflightDir)); err == nil {
		t.Error("a skipped preflight re-read the directories")
	}
}

// The preflight's comparison on offline audits: a user whose AD mobile
// changed since the plan is unexpected (and refuses), a user the LDIF
// audit did not hold is counted outside the audit (and does not), and the
// rest of what the switch loses or changes was approved.
func TestPreflightCompare(t *testing.T) {
	work := t.TempDir()
	gen := filepath.Join(work, "t")
	mustRun(t, "fixtures", "generate", "--users", "400", "--seed", "5", "--out", gen)
	audit := func(ldif, out string) {
		t.Helper()
		mustRun(t, "audit", "--ldif", ldif, "--export", filepath.Join(gen, "graph"), "--export", filepath.Join(gen, "msol.csv"),
			"--tenant-features", filepath.Join(gen, "tenant-features.json"), "--out", out)
	}
	full := filepath.Join(work, "full")
	audit(filepath.Join(gen, "ad.ldif"), full)
	mustRun(t, "plan", "--snapshot", full, "--policy", "ad-wins")
	fc, err := pipeline.ReadRows[pipeline.ForecastRow](filepath.Join(full, "forecast.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(gen, "ad.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	ldif := string(b)
	var gone, edited pipeline.ForecastRow // left out of the audit; AD edited after the plan
	for _, f := range fc {
		if f.Scenario != pipeline.FlipNow || f.Attribute != "mobile" {
			continue
		}
		if _, ok := ldifEntry(ldif, f.DN); !ok {
			continue
		}
		switch {
		case gone.DN == "" && f.Outcome == pipeline.Changed:
			gone = f
		case edited.DN == "" && f.Outcome == pipeline.Unchanged && len(f.CloudAfter) == 1 && plainMobile(ldif, f.DN, f.CloudAfter[0]):
			edited = f
		}
	}
	if gone.DN == "" || edited.DN == "" {
		t.Fatal("the tenant has no user to leave out or to edit")
	}
	entry, _ := ldifEntry(ldif, gone.DN)
	without := filepath.Join(work, "without.ldif")
	os.WriteFile(without, []byte(strings.Replace(ldif, entry+"\n", "", 1)), 0o644)
	later := filepath.Join(work, "later.ldif")
	os.WriteFile(later, []byte(replaceMobile(ldif, edited.DN, edited.CloudAfter[0], "+1 425 555 0142")), 0o644)

	snap := filepath.Join(work, "snap")
	audit(without, snap)
	mustRun(t, "plan", "--snapshot", snap, "--policy", "ad-wins", "--enable-bypass")
	audit(later, filepath.Join(snap, pipeline.PreflightDir))

	c, rows, err := apply.Preflight(snap, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Unexpected != 1 || c.OutsideAudit != 1 || !c.Refused() || c.Scenario != pipeline.ApproveAll {
		t.Errorf("counts: %+v", c)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	for _, r := range rows {
		switch strings.ToLower(r.EntraID) {
		case strings.ToLower(edited.EntraID):
			if r.Outcome != pipeline.Changed || r.ApprovedOutcome != pipeline.Unchanged || !r.InAudit.IsTrue() ||
				!slices.Equal(r.CloudAfter, []string{"+1 425 555 0142"}) || !strings.Contains(r.Reason, "AD's value changed since the plan") {
				t.Errorf("edited user: %+v", r)
			}
		case strings.ToLower(gone.EntraID):
			if r.InAudit.IsTrue() || r.ApprovedOutcome != "" || !strings.Contains(r.Reason, "the audit did not hold this AD user") {
				t.Errorf("user left out of the audit: %+v", r)
			}
		default:
			t.Errorf("unexpected row: %+v", r)
		}
	}
	// A preflight whose re-read is no longer what its manifest says is
	// refused, not compared.
	os.WriteFile(filepath.Join(snap, pipeline.PreflightDir, "gaps.parquet"), []byte("PAR1"), 0o644)
	if _, _, err := apply.Preflight(snap, true); err == nil || !strings.Contains(err.Error(), "the preflight's re-read") {
		t.Errorf("a changed re-read: %v", err)
	}
}

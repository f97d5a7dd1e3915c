package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"syncgap/fixtures/tenantgen"
	"syncgap/phone"
	"syncgap/pipeline"
	"syncgap/workbook"
)

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := syncgap(t, args...)
	if code != 0 {
		t.Fatalf("syncgap %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

func readPlan(t *testing.T, snap string) []pipeline.Action {
	t.Helper()
	acts, err := pipeline.ReadRows[pipeline.Action](filepath.Join(snap, "plan.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	return acts
}

func planHash(t *testing.T, snap string) string {
	t.Helper()
	m, err := pipeline.LoadManifest(snap)
	if err != nil {
		t.Fatal(err)
	}
	rec := m.Stage("plan")
	if rec == nil || len(rec.Detail["plan_hash"]) != 64 {
		t.Fatalf("no plan hash in the manifest: %+v", rec)
	}
	return rec.Detail["plan_hash"]
}

// expectedActions derives, from the generator's ground truth, the plan rows
// docs/rules.md ("Plan") asks for: key "dn|entra_id|attribute|kind|op".
// Under entra-wins a write may be a decide (sync_pending); kind is then
// "write". Truth says a value is invalid, not which side is; for those,
// junkOverNumber reads the raw values (from the classified snapshot, whose
// states other tests hold against the truth) and applies the rule itself.
func expectedActions(t *testing.T, truthPath, policy string, junkOverNumber func(dn, entraID, attr string) bool) map[string]int {
	t.Helper()
	f, err := os.Open(truthPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	want := map[string]int{}
	add := func(r []string, attr, kind, op string) {
		want[strings.Join([]string{r[col["dn"]], r[col["entra_id"]], attr, kind, op}, "|")]++
	}
	unknownOther := false
	for _, r := range rows[1:] {
		switch r[col["match_status"]] {
		case "ambiguous", "anchor_conflict":
			add(r, "", "review", "")
			continue
		case "matched":
		default:
			continue
		}
		for _, a := range []struct{ attr, state string }{{"mobile", r[col["mobile_state"]]}, {"otherMobile", r[col["other_mobile_state"]]}} {
			switch a.state {
			case "invalid":
				if policy != "ad-wins" && junkOverNumber(r[col["dn"]], r[col["entra_id"]], a.attr) {
					add(r, a.attr, "decide", "replace")
				} else {
					add(r, a.attr, "review", "")
				}
			case "unverifiable":
				if a.attr == "otherMobile" {
					unknownOther = true // one acknowledge row for all of them
				} else {
					add(r, a.attr, "review", "")
				}
			case "mismatch":
				switch policy {
				case "entra-wins":
					add(r, a.attr, "write", "replace")
				case "review":
					add(r, a.attr, "decide", "replace")
				case "ad-wins":
					add(r, a.attr, "record", "replace")
				}
			case "missing_in_ad":
				switch policy {
				case "entra-wins":
					add(r, a.attr, "write", "add")
				case "review":
					add(r, a.attr, "decide", "add")
				case "ad-wins":
					add(r, a.attr, "record", "delete")
				}
			case "missing_in_entra":
				if policy != "ad-wins" {
					add(r, a.attr, "decide", "delete")
				}
			case "format_only":
				if policy == "ad-wins" {
					add(r, a.attr, "record", "replace")
				}
			}
		}
	}
	if unknownOther {
		want["||otherMobile|acknowledge|"]++
	}
	return want
}

// junkOverNumberIn answers, from a snapshot's gaps, whether AD holds text
// that is no phone number where the cloud holds only numbers.
func junkOverNumberIn(t *testing.T, snap string) func(dn, entraID, attr string) bool {
	t.Helper()
	gaps, err := pipeline.ReadRows[pipeline.Gap](filepath.Join(snap, "gaps.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*pipeline.Gap{}
	for i := range gaps {
		byKey[gaps[i].DN+"|"+strings.ToLower(gaps[i].EntraID)] = &gaps[i]
	}
	isNumber := func(v, region string) bool { _, ok := phone.E164(v, region); return ok }
	return func(dn, entraID, attr string) bool {
		g := byKey[dn+"|"+strings.ToLower(entraID)]
		if g == nil {
			t.Fatalf("no gaps row for %s", dn)
		}
		ad, cloud := []string{g.MobileAD}, []string{g.MobileEntra}
		if attr == "otherMobile" {
			ad, cloud = g.OtherMobileAD, g.OtherMobileEntra
		}
		junk := false
		for _, v := range ad {
			junk = junk || (strings.TrimSpace(v) != "" && !isNumber(v, g.Region))
		}
		numbers := len(cloud) > 0
		for _, v := range cloud {
			numbers = numbers && isNumber(v, g.Region)
		}
		return junk && numbers
	}
}

// TestPlanMatchesTruthPerPolicy plans a generated tenant under each policy
// and compares every plan row with what the ground truth implies.
func TestPlanMatchesTruthPerPolicy(t *testing.T) {
	dir := t.TempDir()
	if _, err := tenantgen.Generate(tenantgen.Config{Users: 4000, Seed: 11}, dir); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "snap")
	mustAudit(t, []string{"audit", "--ldif", filepath.Join(dir, "ad.ldif"), "--export", filepath.Join(dir, "graph"),
		"--export", filepath.Join(dir, "msol.csv"), "--tenant-features", filepath.Join(dir, "tenant-features.json"), "--out", snap})
	hashes := map[string]string{}
	for i, policy := range []string{"entra-wins", "review", "ad-wins"} {
		if i == 0 {
			mustRun(t, "plan", "--snapshot", snap, "--policy", policy)
		} else {
			mustRun(t, "replan", "--snapshot", snap, "--policy", policy)
		}
		hashes[policy] = planHash(t, snap)
		want := expectedActions(t, filepath.Join(dir, "truth.csv"), policy, junkOverNumberIn(t, snap))
		got := map[string]int{}
		for _, a := range readPlan(t, snap) {
			kind := string(a.Kind)
			if policy == "entra-wins" && a.Kind == pipeline.KindDecide && a.Op != pipeline.OpDelete && a.State != pipeline.Invalid {
				if a.Timing != pipeline.SyncPending {
					t.Errorf("%s %s: a decision without sync_pending timing", a.DN, a.Attribute)
				}
				kind = "write"
			}
			if policy == "entra-wins" && a.Kind == pipeline.KindWrite && a.Timing == pipeline.SyncPending {
				t.Errorf("%s %s: a write although AD changed after the last sync", a.DN, a.Attribute)
			}
			if a.Target == pipeline.TargetAD && a.Kind.Decidable() && a.Expected == nil {
				t.Errorf("%s %s: an AD action without the values it expects", a.DN, a.Attribute)
			}
			got[strings.Join([]string{a.DN, a.EntraID, a.Attribute, kind, string(a.Op)}, "|")]++
		}
		if len(want) == 0 {
			t.Fatalf("%s: the truth implies no actions: generator changed?", policy)
		}
		diff := 0
		for k, n := range want {
			if got[k] != n {
				diff++
				if diff < 10 {
					t.Errorf("%s: %s: planned %d, truth says %d", policy, k, got[k], n)
				}
			}
		}
		for k, n := range got {
			if _, ok := want[k]; !ok {
				diff++
				if diff < 10 {
					t.Errorf("%s: %s: planned %d, truth says none", policy, k, n)
				}
			}
		}
	}
	if hashes["entra-wins"] == hashes["review"] || hashes["review"] == hashes["ad-wins"] {
		t.Errorf("different policies gave the same hash: %v", hashes)
	}
}

// TestPlanDeterministicAndReplayable: the same snapshot and policy give the
// same hash and bytes; replay re-computes the plan; a changed input changes
// the hash.
func TestPlanDeterministicAndReplayable(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, snap := range []string{a, b} {
		mustAudit(t, demoArgs(t, snap))
		mustRun(t, "plan", "--snapshot", snap, "--policy", "entra-wins", "--normalize", "--enable-bypass")
	}
	if planHash(t, a) != planHash(t, b) {
		t.Errorf("same input, hashes %s and %s", planHash(t, a), planHash(t, b))
	}
	for _, f := range []string{"plan.parquet", "forecast.parquet", "changes.ldif"} {
		ha, _, err1 := pipeline.HashFile(filepath.Join(a, f))
		hb, _, err2 := pipeline.HashFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil || ha != hb {
			t.Errorf("%s differs between identical runs (%v %v)", f, err1, err2)
		}
	}
	// The workbooks of two audits differ where they say when the data was
	// read; replay keeps those times and must give the same bytes, the
	// workbook included.
	out := mustRun(t, "replay", a)
	for _, f := range []string{"plan.parquet", "forecast.parquet", "changes.ldif", "report.xlsx"} {
		if !strings.Contains(out, f) {
			t.Errorf("replay does not check %s:\n%s", f, out)
		}
	}

	// A different AD value for one user: a different plan hash.
	c := filepath.Join(dir, "c")
	args := demoArgs(t, c)
	ldif, err := os.ReadFile(args[2])
	if err != nil {
		t.Fatal(err)
	}
	first := regexp.MustCompile(`(?m)^mobile: .*$`).FindIndex(ldif)
	if first == nil {
		t.Fatal("demo LDIF has no mobile line")
	}
	changed := string(ldif[:first[0]]) + "mobile: +1 206 555 0142" + string(ldif[first[1]:])
	args[2] = filepath.Join(dir, "changed.ldif")
	if err := os.WriteFile(args[2], []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	mustAudit(t, args)
	mustRun(t, "plan", "--snapshot", c, "--policy", "entra-wins", "--normalize", "--enable-bypass")
	if planHash(t, c) == planHash(t, a) {
		t.Error("a changed input left the plan hash unchanged")
	}
}

// TestPlanRefusesStaleSnapshot: re-running classify with other parameters
// after join changed makes gaps stale; plan must refuse, not plan from it.
func TestPlanRefusesStaleSnapshot(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "s")
	mustAudit(t, demoArgs(t, snap))
	mustRun(t, "join", "--snapshot", snap)
	// join wrote the same bytes: still fresh.
	mustRun(t, "plan", "--snapshot", snap, "--policy", "review")
	// A table edited behind the manifest's back.
	p := filepath.Join(snap, "tenant.parquet")
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, append(b, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := syncgap(t, "plan", "--snapshot", snap, "--policy", "review")
	if code == 0 || !strings.Contains(stderr, "snapshot is stale") || !strings.Contains(stderr, "tenant.parquet") {
		t.Errorf("stale tenant table: exit %d\n%s", code, stderr)
	}
}

// signWorkbook edits the plan workbook with openpyxl, a program that is not
// excelize, as a reviewer's tool would.
func signWorkbook(t *testing.T, in, out string, spec map[string]any) {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import openpyxl").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-openpyxl is not importable by %s (make test installs it): %v", py, err)
		}
		t.Skipf("python3-openpyxl is not installed (apt-get install python3-openpyxl)")
	}
	b, _ := json.Marshal(spec)
	specPath := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(specPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(repoRoot(t), "cmd", "syncgap", "testdata", "sign_workbook.py")
	if o, err := exec.Command(py, script, in, out, specPath).CombinedOutput(); err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, o)
	}
}

func TestApproveRoundTripThroughOpenpyxl(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap")
	mustAudit(t, demoArgs(t, snap))
	mustRun(t, "plan", "--snapshot", snap, "--policy", "entra-wins", "--enable-bypass")
	hash := planHash(t, snap)
	var ids []string
	for _, a := range readPlan(t, snap) {
		if a.Kind.Decidable() {
			ids = append(ids, a.ActionID)
		}
	}
	if len(ids) < 6 {
		t.Fatalf("only %d decidable actions in the demo plan", len(ids))
	}
	decisions := map[string]string{}
	want := map[string]pipeline.Decision{}
	for i, id := range ids {
		switch i % 3 {
		case 0:
			decisions[id], want[id] = "Approve", pipeline.Approve
		case 1:
			decisions[id], want[id] = "reject", pipeline.Reject // as typed, not picked
		}
	}
	// Approving the switch takes accepting the AlternateMobilePhones nobody can read.
	for _, a := range readPlan(t, snap) {
		if a.Kind == pipeline.KindAcknowledge {
			decisions[a.ActionID], want[a.ActionID] = "Approve", pipeline.Approve
		}
	}
	book := filepath.Join(snap, "report.xlsx")
	signed := filepath.Join(dir, "signed.xlsx")
	signWorkbook(t, book, signed, map[string]any{"decisions": decisions, "approver": "Dana Whitfield", "role": "CAB chair", "date": "2026-11-23"})
	out := mustRun(t, "approve", "--snapshot", snap, "--workbook", signed)
	undecided := len(ids) - len(want)
	if !strings.Contains(out, fmt.Sprintf("%d undecided", undecided)) || !strings.Contains(out, "Dana Whitfield") {
		t.Errorf("approve summary:\n%s\nwant %d undecided", out, undecided)
	}
	approvals, err := pipeline.ReadRows[pipeline.Approval](filepath.Join(snap, "approvals.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	sum, _, _ := pipeline.HashFile(signed)
	got := map[string]pipeline.Decision{}
	for _, a := range approvals {
		got[a.ActionID] = a.Decision
		if a.Approver != "Dana Whitfield" || a.ApproverRole != "CAB chair" || a.SignedOn != "2026-11-23" ||
			a.PlanHash != hash || a.WorkbookSHA256 != sum || !strings.HasPrefix(a.Comment, "checked by phone") {
			t.Errorf("approval %+v", a)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("approvals differ from the decisions made:\n got %v\nwant %v", got, want)
	}
	approved, err := os.ReadFile(filepath.Join(snap, "approved-changes.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	nAD := 0
	for _, a := range readPlan(t, snap) {
		inFile := strings.Contains(string(approved), "# action "+a.ActionID+" ")
		if a.Target == pipeline.TargetAD && want[a.ActionID] == pipeline.Approve {
			nAD++
			if !inFile {
				t.Errorf("approved action %s missing from approved-changes.ldif", a.ActionID)
			}
		} else if inFile {
			t.Errorf("action %s (%s, %v) is in approved-changes.ldif", a.ActionID, a.Target, want[a.ActionID])
		}
	}
	if nAD == 0 {
		t.Error("no approved AD action to check")
	}

	// Refusals, each naming the sheet and cell.
	before, _, _ := pipeline.HashFile(filepath.Join(snap, "approvals.parquet"))
	member, otherGroup := rowInOtherGroup(t, book)
	for _, tt := range []struct {
		name string
		spec map[string]any
		want string
	}{
		{"tampered plan hash", map[string]any{"approver": "D", "date": "2026-11-23", "plan_hash": strings.Repeat("0", 64)}, `sheet "Sign-off" cell B4: plan hash 000000000000 is not this snapshot's plan`},
		{"duplicated row", map[string]any{"approver": "D", "date": "2026-11-23", "duplicate_first_row": true}, "appears twice (first at Plan!A2)"},
		{"unknown action", map[string]any{"approver": "D", "date": "2026-11-23", "rename_id": []string{ids[0], "feedfacefeedface"}}, `sheet "Plan" cell A`},
		{"not a decision", map[string]any{"approver": "D", "date": "2026-11-23", "decisions": map[string]string{ids[1]: "Yes please"}}, `decision "Yes please": write Approve or Reject`},
		{"no approver", map[string]any{"decisions": map[string]string{ids[1]: "Approve"}, "date": "2026-11-23"}, "approver 1 has no name"},
		{"a row moved into another group", map[string]any{"approver": "D", "date": "2026-11-23", "set_group": []string{member, otherGroup}}, "the Group cell was changed"},
		{"one approver only", map[string]any{"decisions": map[string]string{ids[1]: "Approve"}, "approver": "Ann Board", "date": "2026-11-23", "no_second": true}, "approver 2 has no name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.xlsx")
			signWorkbook(t, book, bad, tt.spec)
			_, stderr, code := syncgap(t, "approve", "--snapshot", snap, "--workbook", bad, "--replace")
			if code == 0 || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("exit %d, stderr:\n%s\nwant one line containing %q", code, stderr, tt.want)
			}
		})
	}
	// The refusals wrote nothing: approvals are still the good ones.
	if after, _, _ := pipeline.HashFile(filepath.Join(snap, "approvals.parquet")); after != before {
		t.Error("a refused workbook changed approvals.parquet")
	}

	// Approvals are not overwritten by accident, nor replaced by a replan.
	if _, stderr, code := syncgap(t, "approve", "--snapshot", snap, "--workbook", signed); code == 0 || !strings.Contains(stderr, "already holds approvals") {
		t.Errorf("a second approve without --replace: exit %d\n%s", code, stderr)
	}
	if _, stderr, code := syncgap(t, "replan", "--snapshot", snap, "--policy", "review"); code == 0 || !strings.Contains(stderr, "has approvals") {
		t.Errorf("replan over approvals without --replace: exit %d\n%s", code, stderr)
	}
	// With --replace the old plan's decisions go, files and manifest records.
	mustRun(t, "replan", "--snapshot", snap, "--policy", "review", "--replace")
	for _, f := range []string{"approvals.parquet", "approved-changes.ldif", "forecast_as_decided.parquet"} {
		if _, err := os.Stat(filepath.Join(snap, f)); err == nil {
			t.Errorf("%s survived a replan --replace", f)
		}
	}
	if m, _ := pipeline.LoadManifest(snap); m.Stage("approve") != nil {
		t.Error("the manifest still records the old plan's approve")
	}
	// A replan makes the signed workbook one for another plan.
	_, stderr, code := syncgap(t, "approve", "--snapshot", snap, "--workbook", signed)
	if code == 0 || !strings.Contains(stderr, "is not this snapshot's plan") {
		t.Errorf("approving the old plan's workbook after replan: exit %d\n%s", code, stderr)
	}
}

// TestPlanWorkbookSheets checks the workbook a reviewer opens, with gnumeric.
func TestPlanWorkbookSheets(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "snap")
	mustAudit(t, demoArgs(t, snap))
	mustRun(t, "plan", "--snapshot", snap, "--policy", "review", "--enable-bypass")
	sheets := sheetNames(t, filepath.Join(snap, "report.xlsx"))
	want := []string{"Decision brief", "Plan", "Sign-off", "Summary", "Review", "Gaps", "Unmatched", "Glossary"}
	if !reflect.DeepEqual(sheets, want) {
		t.Errorf("sheets %q, want %q", sheets, want)
	}
}

func sheetNames(t *testing.T, book string) []string {
	t.Helper()
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := f.GetSheetList()
	// gnumeric opens it too, with every sheet (ssconvert -S writes one file a sheet).
	ssconvert, err := exec.LookPath("ssconvert")
	if err != nil {
		t.Fatalf("ssconvert: %v (make test installs gnumeric)", err)
	}
	dir := t.TempDir()
	if o, err := exec.Command(ssconvert, "-S", book, filepath.Join(dir, "s.%n.csv")).CombinedOutput(); err != nil {
		t.Fatalf("ssconvert: %v\n%s", err, o)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != len(names) {
		t.Errorf("gnumeric exported %d sheets, the workbook has %q", len(entries), names)
	}
	return names
}

// rowInOtherGroup finds a Plan row with a group and a group it is not in.
func rowInOtherGroup(t *testing.T, book string) (actionID, group string) {
	t.Helper()
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(workbook.PlanSheet)
	if err != nil {
		t.Fatal(err)
	}
	idCol, groupCol := slices.Index(rows[0], workbook.ActionIDTitle), slices.Index(rows[0], workbook.GroupTitle)
	var groups []string
	for _, r := range rows[1:] {
		if len(r) > idCol && strings.HasPrefix(r[idCol], workbook.GroupIDPrefix) {
			groups = append(groups, r[idCol])
		}
	}
	for _, r := range rows[1:] {
		if len(r) <= groupCol || r[groupCol] == "" || strings.HasPrefix(r[idCol], workbook.GroupIDPrefix) {
			continue
		}
		for _, g := range groups {
			if g != r[groupCol] {
				return r[idCol], g
			}
		}
	}
	t.Fatalf("the plan has no row with a group and another group (groups %v)", groups)
	return "", ""
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
	"syncgap/stages/approve"
	"syncgap/workbook"
)

// briefLabels are the first words of the Decision brief's scenario rows.
var briefLabels = map[pipeline.CloudOutcome]string{
	pipeline.Lost: "Numbers lost", pipeline.Changed: "Numbers changed", pipeline.Filled: "Numbers added",
	pipeline.Reformatted: "Numbers reformatted", pipeline.Cleaned: "Junk text removed",
	pipeline.Unchanged: "Left as they are", pipeline.UnknownOutcome: "Unknown",
}

// TestBriefAsDecidedEqualsApprove: a board decides rows and a group in
// another program (openpyxl), LibreOffice recalculates the workbook, and
// the Decision brief's "As decided so far" column equals the as_decided
// forecast approve computes from the same workbook.
func TestBriefAsDecidedEqualsApprove(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatalf("soffice: %v (make test installs LibreOffice)", err)
	}
	d := filepath.Join(repoRoot(t), "fixtures", "demo")
	snap := filepath.Join(t.TempDir(), "snap")
	// Graph-only, as audits are since MSOnline's retirement.
	mustAudit(t, []string{"audit", "--ldif", filepath.Join(d, "ad.ldif"), "--export", filepath.Join(d, "graph"),
		"--tenant-features", filepath.Join(d, "tenant-features.json"), "--out", snap})
	mustRun(t, "plan", "--snapshot", snap, "--policy", "entra-wins", "--enable-bypass")

	decisions := map[string]string{"Group 1": "Approve"}
	n := 0
	for _, a := range readPlan(t, snap) {
		switch {
		case a.Kind == pipeline.KindAcknowledge, a.Target == pipeline.TargetTenant:
			decisions[a.ActionID] = "Approve"
		case a.Target == pipeline.TargetAD && a.Kind.Writes():
			switch n++; n % 3 {
			case 0:
				decisions[a.ActionID] = "Approve"
			case 1:
				decisions[a.ActionID] = "Reject"
			} // else: blank, the group's decision or none
		}
	}
	dir := t.TempDir()
	signed := filepath.Join(dir, "signed.xlsx")
	signWorkbook(t, filepath.Join(snap, workbook.File), signed, map[string]any{
		"decisions": decisions, "approver": "Dana Whitfield", "role": "CAB chair", "date": "2026-11-23", "change_id": "CHG0042"})
	out := mustRun(t, "approve", "--snapshot", snap, "--workbook", signed)
	m, err := pipeline.LoadManifest(snap)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := approve.Stage.Summary(m.Stage("approve"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.ByGroup == 0 || !strings.Contains(out, "came from group rows") {
		t.Errorf("no decision came from the group row:\n%s", out)
	}
	want := map[pipeline.CloudOutcome]int{pipeline.Lost: sum.Lost, pipeline.Changed: sum.Changed, pipeline.Filled: sum.Filled,
		pipeline.Reformatted: sum.Reformatted, pipeline.Cleaned: sum.Cleaned, pipeline.Unchanged: sum.Unchanged, pipeline.UnknownOutcome: sum.Unknown}

	// LibreOffice opens the board's file and saves it recalculated.
	lo := filepath.Join(dir, "lo")
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--convert-to", "xlsx", "--outdir", lo, signed)
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, o)
	}
	got := asDecidedSoFar(t, filepath.Join(lo, "signed.xlsx"))
	for o, w := range want {
		if got[o] != strconv.Itoa(w) {
			t.Errorf("%s: the brief says %q as decided so far, approve's forecast %d", o, got[o], w)
		}
	}
	if _, err := os.Stat(filepath.Join(snap, "forecast_as_decided.parquet")); err != nil {
		t.Error(err)
	}

	// LibreOffice's file keeps the text in shared strings: approve reads
	// the same decisions from it, under the default budget and under one
	// that spills the shared strings and the join (docs/architecture.md,
	// "Memory"), and leaves no spill file.
	sums := map[string]string{}
	for _, f := range []string{"approved-changes.ldif", "forecast_as_decided.parquet"} {
		sums[f], _, _ = pipeline.HashFile(filepath.Join(snap, f))
	}
	var approvals string
	for _, mem := range []string{"1GiB", "64KiB"} {
		mustRun(t, "approve", "--memory", mem, "--snapshot", snap, "--workbook", filepath.Join(lo, "signed.xlsx"), "--replace")
		for f, want := range sums {
			if got, _, _ := pipeline.HashFile(filepath.Join(snap, f)); got != want {
				t.Errorf("%s from LibreOffice's file with --memory %s: %s, want %s (from openpyxl's)", f, mem, got, want)
			}
		}
		got, _, _ := pipeline.HashFile(filepath.Join(snap, "approvals.parquet"))
		if approvals != "" && got != approvals {
			t.Errorf("approvals.parquet from LibreOffice's file with --memory %s: %s, want %s", mem, got, approvals)
		}
		approvals = got
	}
	if log, err := os.ReadFile(filepath.Join(snap, "syncgap.log")); err != nil || !strings.Contains(string(log), "checked the workbook's rows against the plan within the memory budget, spilling to disk") {
		t.Errorf("approve --memory 64KiB did not spill (%v)", err)
	}
	if left, _ := filepath.Glob(filepath.Join(snap, ".syncgap-spill-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// asDecidedSoFar reads the Decision brief's "As decided so far" column.
func asDecidedSoFar(t *testing.T, book string) map[pipeline.CloudOutcome]string {
	t.Helper()
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(workbook.BriefSheet)
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	out := map[pipeline.CloudOutcome]string{}
	for _, r := range rows {
		for i, c := range r {
			if c == "As decided so far" {
				col = i
			}
		}
		if col < 0 || len(r) <= col || len(r) == 0 {
			continue
		}
		for o, label := range briefLabels {
			if _, seen := out[o]; !seen && strings.HasPrefix(r[0], label) {
				out[o] = r[col]
			}
		}
	}
	if len(out) != len(briefLabels) {
		t.Fatalf("brief rows found: %v (column %d)", out, col)
	}
	return out
}

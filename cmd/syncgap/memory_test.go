package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// The same audit with a tiny --memory, which makes the sorts spill (and
// merge their runs in more than one level), writes the same tables byte
// for byte, and leaves no spill files behind (docs/architecture.md,
// "Memory"). So do report and plan: their workbooks say when AD and the
// cloud were read, so they are compared on one snapshot, written again
// under the tiny budget.
func TestTinyMemoryWritesTheSameTables(t *testing.T) {
	work := t.TempDir()
	gen := filepath.Join(work, "t100k")
	mustRun(t, "fixtures", "generate", "--users", "100000", "--seed", "9", "--out", gen)
	for _, tc := range []struct {
		name, data, memory string
	}{
		{"demo", filepath.Join(repoRoot(t), "fixtures", "demo"), "64KiB"},
		{"100k", gen, "1MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snaps := map[string]string{}
			for _, mem := range []string{"1GiB", tc.memory} {
				snap := filepath.Join(work, tc.name+"-"+mem)
				mustRun(t, "audit", "--memory", mem, "--ldif", filepath.Join(tc.data, "ad.ldif"), "--export", filepath.Join(tc.data, "graph"),
					"--export", filepath.Join(tc.data, "msol.csv"), "--tenant-features", filepath.Join(tc.data, "tenant-features.json"), "--out", snap)
				snaps[mem] = snap
			}
			a, b := snaps["1GiB"], snaps[tc.memory]
			tables, _ := filepath.Glob(filepath.Join(a, "*.parquet"))
			if len(tables) < 5 {
				t.Fatalf("%d tables", len(tables))
			}
			for _, f := range tables {
				want, _, err := pipeline.HashFile(f)
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := pipeline.HashFile(filepath.Join(b, filepath.Base(f)))
				if err != nil || got != want {
					t.Errorf("%s with --memory %s: %s, want %s (%v)", filepath.Base(f), tc.memory, got, want, err)
				}
			}
			for _, st := range []struct {
				args  []string
				files []string
			}{
				{[]string{"report"}, []string{"report.xlsx"}},
				{[]string{"plan", "--policy", "entra-wins", "--enable-bypass"}, []string{"plan.parquet", "forecast.parquet", "report.xlsx", "changes.ldif"}},
			} {
				sums := map[string]string{}
				for _, mem := range []string{"1GiB", tc.memory} {
					mustRun(t, append([]string{st.args[0], "--memory", mem, "--snapshot", a}, st.args[1:]...)...)
					for _, f := range st.files {
						sum, _, err := pipeline.HashFile(filepath.Join(a, f))
						if err != nil {
							t.Fatal(err)
						}
						if want, ok := sums[f]; ok && sum != want {
							t.Errorf("%s: %s with --memory %s: %s, want %s", st.args[0], f, mem, sum, want)
						}
						sums[f] = sum
					}
				}
			}
			approveUnderBoth(t, a, filepath.Join(work, tc.name), tc.memory)
			for snap, want := range map[string][]string{
				b: {"sorted the users within the memory budget, spilling to disk"},
				a: {"sorted the plan rows within the memory budget, spilling to disk",
					"checked the workbook's rows against the plan within the memory budget, spilling to disk"},
			} {
				log, err := os.ReadFile(filepath.Join(snap, "syncgap.log"))
				for _, w := range want {
					if err != nil || !strings.Contains(string(log), w) {
						t.Errorf("the tiny budget did not spill (%q: %v):\n%s", w, err, log)
					}
				}
				filepath.Walk(snap, func(p string, info os.FileInfo, err error) error {
					if err == nil && strings.Contains(p, ".syncgap-spill-") {
						t.Errorf("left behind: %s", p)
					}
					return nil
				})
			}
		})
	}
}

// approveUnderBoth signs snap's plan workbook (some rows approved, some
// rejected, a group decided, through openpyxl) and approves it under the
// default budget and under memory, which makes approve's sorts spill: the
// same approvals, LDIF and forecast byte for byte, and the same refusal of
// a workbook that repeats a row.
func approveUnderBoth(t *testing.T, snap, prefix, memory string) {
	t.Helper()
	decisions, n := map[string]string{"Group 1": "Approve"}, 0
	for _, a := range readPlan(t, snap) {
		switch {
		case a.Kind == pipeline.KindAcknowledge:
			decisions[a.ActionID] = "Approve"
		case a.Kind.Decidable():
			decisions[a.ActionID] = []string{"Approve", "reject", ""}[n%3]
			n++
		}
	}
	book := filepath.Join(snap, "report.xlsx")
	signed, bad := prefix+"-signed.xlsx", prefix+"-repeated.xlsx"
	spec := map[string]any{"decisions": decisions, "approver": "Dana Whitfield", "role": "CAB chair", "date": "2026-11-23"}
	signWorkbook(t, book, signed, spec)
	spec["duplicate_first_row"] = true
	signWorkbook(t, book, bad, spec)
	sums, refusals := map[string]string{}, map[string]string{}
	for _, mem := range []string{"1GiB", memory} {
		mustRun(t, "approve", "--memory", mem, "--snapshot", snap, "--workbook", signed, "--replace")
		for _, f := range []string{"approvals.parquet", "approved-changes.ldif", "forecast_as_decided.parquet"} {
			sum, _, err := pipeline.HashFile(filepath.Join(snap, f))
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := sums[f]; ok && sum != want {
				t.Errorf("approve: %s with --memory %s: %s, want %s", f, mem, sum, want)
			}
			sums[f] = sum
		}
		_, stderr, code := syncgap(t, "approve", "--memory", mem, "--snapshot", snap, "--workbook", bad, "--replace")
		if code == 0 || !strings.Contains(stderr, "appears twice (first at Plan!A2)") {
			t.Errorf("approve --memory %s of a repeated row: exit %d\n%s", mem, code, stderr)
		}
		refusals[mem] = stderr
	}
	if refusals[memory] != refusals["1GiB"] {
		t.Errorf("approve refuses differently with --memory %s:\n%s\nwant\n%s", memory, refusals[memory], refusals["1GiB"])
	}
	rows, err := pipeline.ReadRows[pipeline.Approval](filepath.Join(snap, "approvals.parquet"))
	if err != nil || len(rows) < 3 {
		t.Errorf("%d approvals (%v)", len(rows), err)
	}
}

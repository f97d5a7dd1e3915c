//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"syncgap/fixtures/tenantgen"
)

// TestSignalLeavesNothingBehind stops audits, plans, approves, extracts,
// joins and reports with
// SIGTERM and SIGINT at several points of their run: each either finishes
// or exits non-zero, and no temporary file or scratch directory is left in
// the directories it wrote to, nor a spill directory of a sort; an
// interrupted audit leaves no --out at all.
func TestSignalLeavesNothingBehind(t *testing.T) {
	data := t.TempDir()
	if _, err := tenantgen.Generate(tenantgen.Config{Users: 30000, Seed: 5}, data); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	audit := func(out string) []string {
		return []string{"audit", "--ldif", filepath.Join(data, "ad.ldif"), "--export", filepath.Join(data, "graph"),
			"--tenant-features", filepath.Join(data, "tenant-features.json"), "--out", out}
	}
	base := filepath.Join(work, "base")
	if _, stderr, code := syncgap(t, audit(base)...); code != 0 {
		t.Fatalf("audit: exit %d\n%s", code, stderr)
	}
	// approve with a tiny budget spills its join into base while it runs.
	mustRun(t, "plan", "--snapshot", base, "--policy", "entra-wins", "--enable-bypass")
	signed := filepath.Join(work, "signed.xlsx")
	signWorkbook(t, filepath.Join(base, "report.xlsx"), signed, map[string]any{"decisions": map[string]string{"Group 1": "Approve", "Group 2": "reject"},
		"approver": "Dana Whitfield", "role": "CAB chair", "date": "2026-11-23"})
	interrupted := 0
	for i, after := range []time.Duration{50 * time.Millisecond, 300 * time.Millisecond, 700 * time.Millisecond, 1200 * time.Millisecond} {
		sig := syscall.SIGTERM
		if i%2 == 1 {
			sig = syscall.SIGINT
		}
		out := filepath.Join(work, "snap"+string(rune('a'+i)))
		// extract-ad and join with a tiny budget spill into base while they run.
		spilling := []string{"extract-ad", "--memory", "256KiB", "--ldif", filepath.Join(data, "ad.ldif"), "--out", base}
		joining := []string{"join", "--memory", "256KiB", "--snapshot", base}
		approving := []string{"approve", "--memory", "256KiB", "--snapshot", base, "--workbook", signed, "--replace"}
		reporting := []string{"report", "--snapshot", base}
		for _, args := range [][]string{audit(out), {"plan", "--snapshot", base, "--policy", "entra-wins", "--enable-bypass", "--replace"}, approving, spilling, joining, reporting} {
			cmd := exec.Command(bin, args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(after)
			cmd.Process.Signal(sig)
			err := cmd.Wait()
			if err != nil {
				interrupted++
				// (A signal before main set up its handler ends the process
				// by the default action: exit code -1, nothing said.)
				if cmd.ProcessState.ExitCode() != -1 && !strings.Contains(stderr.String(), "syncgap: error: interrupted") {
					t.Errorf("%s after %v: %s does not say it was interrupted:\n%s", sig, after, args[0], stderr.String())
				}
				if args[0] == "audit" {
					if _, err := os.Stat(out); !os.IsNotExist(err) {
						t.Errorf("%s after %v: the interrupted audit left %s (%v)", sig, after, out, err)
					}
				}
			}
			for _, dir := range []string{work, base} {
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if strings.Contains(e.Name(), ".tmp-") || strings.Contains(e.Name(), ".syncgap-spill-") {
						t.Errorf("%s %s after %v: %s left in %s\n%s", sig, args[0], after, e.Name(), dir, stderr.String())
					}
				}
			}
		}
	}
	if interrupted == 0 {
		t.Error("no run was interrupted: the signals came too late to test anything")
	}
}

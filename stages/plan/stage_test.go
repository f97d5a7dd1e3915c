package plan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// snapshotDir writes a snapshot of gaps and a tenant table (no manifest:
// run is called without the runner) and returns an Env over it.
func snapshotDir(t *testing.T, gaps []pipeline.Gap) *pipeline.Env {
	t.Helper()
	dir := t.TempDir()
	if _, err := pipeline.WriteTable(dir, pipeline.GapsTable, gaps); err != nil {
		t.Fatal(err)
	}
	flags := []pipeline.TenantFlag{{Feature: pipeline.BypassFeature, Enabled: pipeline.Known(false), Source: "test"}}
	if _, err := pipeline.WriteTable(dir, pipeline.TenantTable, flags); err != nil {
		t.Fatal(err)
	}
	return &pipeline.Env{Dir: dir, Manifest: &pipeline.Manifest{Format: pipeline.ManifestFormat}, Params: map[string]string{"policy": "entra-wins"}}
}

// leftovers are the spill directories and unfinished files in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".syncgap-spill-") || strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestStageLeavesNoSpill: plan spills beside its outputs while it runs
// (at a tiny budget its Plan sheet sort spills too) and removes it all
// whether it succeeds, fails half-way or is cancelled.
func TestStageLeavesNoSpill(t *testing.T) {
	var gaps []pipeline.Gap
	for i := range 300 {
		gaps = append(gaps, gap(fmt.Sprintf("CN=U%03d,OU=Sales,DC=x", i), pipeline.Mismatch, "+1 206 555 0100", fmt.Sprintf("+1 206 555 %04d", 1000+i)))
	}
	ctx := pipeline.WithMemory(context.Background(), 64<<10)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tt := range []struct {
		name string
		ctx  context.Context
		gaps []pipeline.Gap
		want string // in the error; empty: success
	}{
		{"success", ctx, gaps, ""},
		{"a duplicate row half-way", ctx, append(append(append([]pipeline.Gap(nil), gaps[:200]...), gaps[150]), gaps[200:]...), "duplicate row"},
		{"cancelled", cancelled, gaps, context.Canceled.Error()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := snapshotDir(t, tt.gaps)
			sum, err := run(tt.ctx, env, Config{Policy: EntraWins, EnableBypass: true})
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want %q", err, tt.want)
			case tt.want == "" && (sum.Write != len(gaps)+1 || len(env.Outputs) != 4):
				t.Errorf("%d writes, %d outputs; want %d and 4", sum.Write, len(env.Outputs), len(gaps)+1)
			}
			if left := leftovers(t, env.Dir); len(left) > 0 {
				t.Errorf("left behind: %q", left)
			}
			if _, err := os.Stat(filepath.Join(env.Dir, pipeline.FileName(pipeline.ForecastTable))); tt.want != "" && err == nil {
				t.Error("a failed plan left its forecast")
			}
		})
	}
}

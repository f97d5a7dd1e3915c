package workbook

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReadSigned reads back the plan workbook of a million users
// (synthGaps' tenant, 400,000 plan rows of which 300,000 are decidable:
// a 75 MB workbook whose Plan sheet unzips to 380 MB). Writing it takes
// half a minute, so it is written once. Run with -benchtime 1x or 3x.
func BenchmarkReadSigned(b *testing.B) {
	a := &Audit{Snapshot: "snap", ToolVersion: "bench", Gaps: synthGaps(1_000_000)}
	p := planFixture(400_000)
	path := filepath.Join(b.TempDir(), "plan.xlsx")
	if err := WritePlan(context.Background(), path, a, p); err != nil {
		b.Fatal(err)
	}
	decidable := 0
	for _, act := range p.Actions {
		if act.Kind.Decidable() {
			decidable++
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := ReadSigned(path)
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Undecided) != decidable {
			b.Fatalf("%d rows read, want %d", len(s.Undecided), decidable)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(decidable), "rows")
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size())/1e6, "MB")
	}
}

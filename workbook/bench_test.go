package workbook

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkWriteAudit writes a 1M-user audit with ~400k Gaps rows, the size
// the design has to handle in under 8 s on two cores.
func BenchmarkWriteAudit(b *testing.B) {
	a := &Audit{Snapshot: "snap", ToolVersion: "bench", Gaps: synthGaps(1_000_000)}
	shown := 0
	for _, g := range a.Gaps.All() {
		if showGap(g) {
			shown++
		}
	}
	path := filepath.Join(b.TempDir(), "audit.xlsx")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := WriteAudit(context.Background(), path, a); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(shown), "gaprows")
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size())/1e6, "MB")
	}
}

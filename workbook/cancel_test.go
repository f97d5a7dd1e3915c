package workbook

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// cancelAfter is a context whose Err turns to Canceled at its n-th call:
// a Ctrl-C that comes while the rows of a sheet are being written.
type cancelAfter struct {
	context.Context
	n, calls atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) >= c.n.Load() {
		return context.Canceled
	}
	return nil
}

// TestCancelledWriteLeavesNothing: a workbook cancelled part way through
// its data rows stops there, says why, and leaves neither the workbook
// nor its spill files (docs/architecture.md, "Memory").
func TestCancelledWriteLeavesNothing(t *testing.T) {
	a := &Audit{Snapshot: "snap", ToolVersion: "test", Gaps: synthGaps(50_000)}
	for _, after := range []int64{1, 3} {
		ctx := &cancelAfter{Context: context.Background()}
		ctx.n.Store(after)
		dir := t.TempDir()
		err := WriteAudit(ctx, filepath.Join(dir, "report.xlsx"), a)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled at check %d: %v, want context.Canceled", after, err)
		}
		if ctx.calls.Load() < after {
			t.Errorf("cancelled at check %d, but only %d checks were made", after, ctx.calls.Load())
		}
		assertOnly(t, dir)
	}
	// Not cancelled, the same rows make a workbook: the checks above
	// stopped it, not something else.
	dir := t.TempDir()
	if err := WriteAudit(context.Background(), filepath.Join(dir, "report.xlsx"), a); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, dir, "report.xlsx")
}

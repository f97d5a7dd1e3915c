package workbook

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// streamedRows are a plan's rows handed out in passes, as the plan stage
// reads them back from its files; passes counts them.
type streamedRows struct {
	p      *PlanBook
	passes int
}

func (s *streamedRows) Each(fn func(a *pipeline.Action, e *ActionEffect) error) error {
	s.passes++
	for i := range s.p.Actions {
		// Copies, so that a sheet keeping a pointer past the call shows.
		a, e := s.p.Actions[i], s.p.effect(i)
		if err := fn(&a, &e); err != nil {
			return err
		}
		a, e = pipeline.Action{Reason: "reused"}, ActionEffect{IfApproved: "reused"}
	}
	return nil
}

// TestStreamedBooksAreTheSame: the workbooks written from rows read in
// passes (gaps from a table file, the plan's rows handed out one by one,
// the Plan sheet's order spilling at a tiny memory budget) are byte for
// byte those written from rows held in memory, sheets split or not
// (docs/architecture.md, "Memory").
func TestStreamedBooksAreTheSame(t *testing.T) {
	held := briefAudit()
	dir := t.TempDir()
	if _, err := pipeline.WriteTable(dir, pipeline.GapsTable, []pipeline.Gap(held.Gaps.(pipeline.Slice[pipeline.Gap]))); err != nil {
		t.Fatal(err)
	}
	file, err := pipeline.OpenTableFile[pipeline.Gap](filepath.Join(dir, pipeline.FileName(pipeline.GapsTable)))
	if err != nil {
		t.Fatal(err)
	}
	streamed := briefAudit()
	streamed.Gaps = file
	write := func(name string, fn func(path string) error) []byte {
		t.Helper()
		path := filepath.Join(t.TempDir(), name)
		if err := fn(path); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Errorf("%s: %d files beside the workbook, want none (spill files left behind?)", name, len(entries)-1)
		}
		return b
	}
	for _, maxRows := range []int{excelizeRows, 4} {
		want := write("audit.xlsx", func(path string) error { return writeAudit(context.Background(), path, held, maxRows) })
		if got := write("audit.xlsx", func(path string) error { return writeAudit(context.Background(), path, streamed, maxRows) }); !bytes.Equal(got, want) {
			t.Errorf("max rows %d: the audit workbook from the table file differs from the one from held rows", maxRows)
		}
		p := briefPlan()
		want = write("plan.xlsx", func(path string) error { return writePlan(context.Background(), path, held, p, maxRows) })
		rows := &streamedRows{p: briefPlan()}
		q := briefPlan()
		q.Actions, q.Effects, q.Rows, q.Memory = nil, nil, rows, 8<<10 // spills every few rows
		got := write("plan.xlsx", func(path string) error { return writePlan(context.Background(), path, streamed, q, maxRows) })
		if !bytes.Equal(got, want) {
			t.Errorf("max rows %d: the plan workbook from streamed rows differs from the one from held rows", maxRows)
		}
		if rows.passes != 2 {
			t.Errorf("max rows %d: %d passes over the plan's rows, want 2 (index, Review)", maxRows, rows.passes)
		}
	}
}

// excelizeRows is Excel's row limit, the default of the writers.
const excelizeRows = 1 << 20

// TestStreamedGapsFailLoudly: a table file that cannot be read any more
// fails the workbook instead of ending its sheets early.
func TestStreamedGapsFailLoudly(t *testing.T) {
	a := briefAudit()
	dir := t.TempDir()
	path := filepath.Join(dir, pipeline.FileName(pipeline.GapsTable))
	if _, err := pipeline.WriteTable(dir, pipeline.GapsTable, []pipeline.Gap(a.Gaps.(pipeline.Slice[pipeline.Gap]))); err != nil {
		t.Fatal(err)
	}
	file, err := pipeline.OpenTableFile[pipeline.Gap](path)
	if err != nil {
		t.Fatal(err)
	}
	a.Gaps = file
	if err := os.WriteFile(path, []byte("not a table any more"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = WriteAudit(context.Background(), filepath.Join(t.TempDir(), "audit.xlsx"), a)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteAudit over a damaged table file: %v, want an error naming %s", err, path)
	}
}

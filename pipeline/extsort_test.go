package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sortRow is a row with a key that repeats, so ties are common.
type sortRow struct {
	Key   string   `parquet:"key"`
	Tie   string   `parquet:"tie"`
	Seq   int64    `parquet:"seq"` // the order added in
	Items []string `parquet:"items"`
}

func sortRowKey(r *sortRow) string { return strings.ToLower(r.Key) }
func sortRowTie(a, b *sortRow) int { return strings.Compare(a.Tie, b.Tie) }
func sortRowSize(r *sortRow) int64 { return int64(len(r.Key) + len(r.Tie) + 16*len(r.Items)) }
func sortRowsSame(a, b sortRow) bool {
	return a.Key == b.Key && a.Tie == b.Tie && a.Seq == b.Seq && slices.Equal(a.Items, b.Items)
}

func sortRows(n int, seed uint64) []sortRow {
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := make([]sortRow, n)
	for i := range rows {
		k := fmt.Sprintf("K%03d", rng.IntN(n/8+1))
		if rng.IntN(2) == 0 {
			k = strings.ToLower(k)
		}
		rows[i] = sortRow{Key: k, Tie: fmt.Sprint(rng.IntN(3)), Seq: int64(i)}
		if rng.IntN(4) == 0 {
			rows[i].Items = []string{"a", fmt.Sprint(i)}
		}
	}
	return rows
}

// sorted runs rows through a Sorter with budget and returns what it yields.
func sorted(t *testing.T, rows []sortRow, budget int64) ([]sortRow, int) {
	t.Helper()
	dir := t.TempDir()
	s := NewSorter(dir, budget, sortRowKey, sortRowTie, sortRowSize)
	for i := range rows {
		if err := s.Add(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	var out []sortRow
	if err := s.Sorted(context.Background(), func(r *sortRow) error {
		c := *r
		c.Items = slices.Clone(r.Items)
		out = append(out, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	runs := s.Runs()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("Close left %v", left)
	}
	return out, runs
}

// The order is key, then tie, then the order added, whatever the budget:
// in memory, with a few runs, and with more runs than one merge reads
// (merged in two levels).
func TestSorterOrderDoesNotDependOnTheBudget(t *testing.T) {
	rows := sortRows(20000, 7)
	want := slices.Clone(rows)
	slices.SortStableFunc(want, func(a, b sortRow) int {
		if c := strings.Compare(sortRowKey(&a), sortRowKey(&b)); c != 0 {
			return c
		}
		return sortRowTie(&a, &b)
	})
	for _, tc := range []struct {
		budget  int64
		minRuns int
	}{{1 << 30, 0}, {200 << 10, 4}, {8 << 10, fanIn + 1}} {
		got, runs := sorted(t, rows, tc.budget)
		if runs < tc.minRuns || tc.minRuns == 0 && runs != 0 {
			t.Errorf("budget %d: %d runs, want at least %d", tc.budget, runs, tc.minRuns)
		}
		if len(got) != len(want) {
			t.Fatalf("budget %d: %d rows, want %d", tc.budget, len(got), len(want))
		}
		for i := range want {
			if !sortRowsSame(got[i], want[i]) {
				t.Fatalf("budget %d, row %d: %+v, want %+v", tc.budget, i, got[i], want[i])
			}
		}
	}
}

// A failed or cancelled merge leaves nothing once the Sorter is closed.
func TestSorterCleansUpOnError(t *testing.T) {
	rows := sortRows(5000, 3)
	dir := t.TempDir()
	s := NewSorter(dir, 16<<10, sortRowKey, sortRowTie, sortRowSize)
	for i := range rows {
		if err := s.Add(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if s.Runs() == 0 {
		t.Fatal("nothing spilled")
	}
	if spills, _ := filepath.Glob(filepath.Join(dir, ".syncgap-spill-*", "*.run")); len(spills) != s.Runs() {
		t.Errorf("%d spill files for %d runs", len(spills), s.Runs())
	}
	stop := errors.New("stop")
	n := 0
	err := s.Sorted(context.Background(), func(*sortRow) error {
		if n++; n == 100 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("Sorted: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Sorted(ctx, func(*sortRow) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Sorted after cancel: %v", err)
	}
	s.Close()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("Close left %v", left)
	}
}

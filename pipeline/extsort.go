package pipeline

import (
	"container/heap"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"unsafe"
)

// DefaultMemory is the memory a command may use when --memory is not
// given (docs/architecture.md, "Memory").
const DefaultMemory = 1 << 30

type memoryKey struct{}

// WithMemory gives the stages run under ctx a memory budget in bytes.
func WithMemory(ctx context.Context, bytes int64) context.Context {
	return context.WithValue(ctx, memoryKey{}, bytes)
}

// MemoryFrom is the context's memory budget, DefaultMemory when none.
func MemoryFrom(ctx context.Context) int64 {
	if n, ok := ctx.Value(memoryKey{}).(int64); ok && n > 0 {
		return n
	}
	return DefaultMemory
}

// Sorter sorts rows that need not fit in memory (docs/architecture.md,
// "Memory"). Rows are buffered until their estimated size reaches the
// budget; each full buffer is sorted and spilled as a run (runfile.go)
// into a spill directory of its own, made beside the stage's outputs
// on the first spill; Sorted merges the runs streaming. The order is by
// key, then tie, then the order rows were added in, in memory and across
// runs (an earlier run wins a tie), so it is the same whatever the budget.
// Close removes the spill directory; defer it.
//
// Add keeps the row it is given: its strings must not be reused. size
// must count the strings a row holds and the bytes key allocates, if it
// does; the Sorter counts the rest (keyedRow, the sort's two index slices).
type Sorter[T any] struct {
	key     func(*T) string // computed once a row, as it is added; compared bytewise
	tie     func(a, b *T) int
	size    func(*T) int64
	budget  int64
	scratch *SpillDir
	blocks  [][]keyedRow[T] // the buffer, in fixed-size blocks (see Add)
	bytes   int64
	runs    []string
	rows    int64
	level   int // merges of runs into runs so far (names them)
	spilled int
}

// NewSorter returns a Sorter ordering by key, then tie, within budget
// bytes (rows sized by size), spilling into a new directory under parent.
// key is called as a row is added and again as a run is read back, so it
// must depend on the row alone.
func NewSorter[T any](parent string, budget int64, key func(*T) string, tie func(a, b *T) int, size func(*T) int64) *Sorter[T] {
	return &Sorter[T]{key: key, tie: tie, size: size, budget: max(budget, 1), scratch: NewSpillDir(parent)}
}

// keyedRow is a buffered row and its sort key.
type keyedRow[T any] struct {
	row T
	key string
}

// blockRows is the size of a buffer block: one growing slice of a million
// structs would be copied at every doubling, each copy a long
// non-preemptible memmove that stalls the garbage collector.
const blockRows = 8192

// Add buffers one row, spilling the buffer as a run when it is full.
func (s *Sorter[T]) Add(row *T) error {
	if n := len(s.blocks); n == 0 || len(s.blocks[n-1]) == blockRows {
		s.blocks = append(s.blocks, make([]keyedRow[T], 0, blockRows))
	}
	last := &s.blocks[len(s.blocks)-1]
	*last = append(*last, keyedRow[T]{*row, s.key(row)})
	s.rows++
	s.bytes += s.size(row) + rowOverhead[T]()
	if s.bytes >= s.budget {
		return s.spill()
	}
	return nil
}

// rowOverhead is what a buffered row costs beyond its strings: the row
// and its key's header in the buffer, and its entry in each of the two
// index slices a sort holds at once (order and sortKeys).
func rowOverhead[T any]() int64 {
	var zero keyedRow[T]
	return int64(unsafe.Sizeof(zero)) + 2*int64(unsafe.Sizeof(sortKey{}))
}

// Len is the number of rows added.
func (s *Sorter[T]) Len() int64 { return s.rows }

// Runs is how many runs were spilled so far.
func (s *Sorter[T]) Runs() int { return s.spilled }

func (s *Sorter[T]) spill() error {
	if len(s.blocks) == 0 {
		return nil
	}
	dir, err := s.scratch.Path()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, fmt.Sprintf("run-%06d.run", len(s.runs)))
	w, err := createRun[T](path)
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	for _, k := range s.order() {
		if err := w.Write(s.at(k.i)); err != nil {
			w.Abort()
			return err
		}
	}
	if err := w.Commit(); err != nil {
		return err
	}
	s.runs = append(s.runs, path)
	s.spilled++
	s.blocks, s.bytes = nil, 0
	return nil
}

func (s *Sorter[T]) at(i int32) *T { return &s.blocks[i/blockRows][i%blockRows].row }

// sortKey is a buffered row's key and index.
type sortKey struct {
	key string
	i   int32
}

// order is the buffer's rows in sorted order. Keys and indexes are
// sorted, not the rows, since moving structs of a few hundred bytes costs
// more than comparing them; the index as the last key makes the fast
// unstable sort stable.
func (s *Sorter[T]) order() []sortKey {
	n := 0
	for b := range s.blocks {
		n += len(s.blocks[b])
	}
	keys := make([]sortKey, 0, n)
	for b := range s.blocks {
		for j := range s.blocks[b] {
			keys = append(keys, sortKey{s.blocks[b][j].key, int32(b*blockRows + j)})
		}
	}
	cmp := func(x, y sortKey) int {
		if c := strings.Compare(x.key, y.key); c != 0 {
			return c
		}
		if c := s.tie(s.at(x.i), s.at(y.i)); c != 0 {
			return c
		}
		return int(x.i - y.i)
	}
	return sortKeys(keys, cmp)
}

// sortKeys sorts keys by cmp, a total order (the index breaks every tie),
// so the result is the one sorted order however it is reached: big buffers
// are sorted as two halves on two cores and merged.
func sortKeys(keys []sortKey, cmp func(x, y sortKey) int) []sortKey {
	if len(keys) < 1<<16 || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(keys, cmp)
		return keys
	}
	a, b := keys[:len(keys)/2], keys[len(keys)/2:]
	done := make(chan struct{})
	go func() {
		slices.SortFunc(a, cmp)
		close(done)
	}()
	slices.SortFunc(b, cmp)
	<-done
	out := make([]sortKey, 0, len(keys))
	for len(a) > 0 && len(b) > 0 {
		if cmp(a[0], b[0]) <= 0 {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// Sorted yields every row added, in order, to emit, which must not keep
// the row past the call. With nothing spilled the rows are sorted in
// memory; otherwise the buffer is spilled too and the runs are merged.
func (s *Sorter[T]) Sorted(ctx context.Context, emit func(*T) error) error {
	if len(s.runs) == 0 {
		for n, k := range s.order() {
			if n%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if err := emit(s.at(k.i)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.spill(); err != nil {
		return err
	}
	// Merge at most fanIn runs at a time: each holds a file and a batch.
	for len(s.runs) > fanIn {
		var next []string
		for len(s.runs) > 0 {
			group := s.runs[:min(fanIn, len(s.runs))]
			s.runs = s.runs[len(group):]
			if len(group) == 1 {
				next = append(next, group[0])
				continue
			}
			path, err := s.mergeToRun(ctx, group, len(next))
			if err != nil {
				return err
			}
			next = append(next, path)
		}
		s.runs = next
	}
	return s.merge(ctx, s.runs, emit)
}

// fanIn is how many runs one merge reads at once.
const fanIn = 64

// mergeToRun merges group into a new run; the merged runs are removed.
func (s *Sorter[T]) mergeToRun(ctx context.Context, group []string, seq int) (string, error) {
	s.level++
	dir, err := s.scratch.Path()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("merge-%03d-%06d.run", s.level, seq))
	w, err := createRun[T](path)
	if err != nil {
		return "", fmt.Errorf("spill: %w", err)
	}
	if err := s.merge(ctx, group, w.Write); err != nil {
		w.Abort()
		return "", err
	}
	if err := w.Commit(); err != nil {
		return "", err
	}
	for _, p := range group {
		os.Remove(p)
	}
	return path, nil
}

// merge streams the rows of runs, in order, to emit. Runs are in the order
// their rows were added, so an earlier run wins a tie.
func (s *Sorter[T]) merge(ctx context.Context, runs []string, emit func(*T) error) error {
	m := &merge[T]{s: s}
	defer m.close()
	for i, path := range runs {
		r, err := openRun[T](path)
		if err != nil {
			return err
		}
		c := &cursor[T]{r: r, run: i, key: s.key}
		m.all = append(m.all, c)
		if err := c.next(); err == io.EOF {
			continue
		} else if err != nil {
			return err
		}
		m.h = append(m.h, c)
	}
	heap.Init(m)
	for n := 0; len(m.h) > 0; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		c := m.h[0]
		if err := emit(&c.row); err != nil {
			return err
		}
		switch err := c.next(); {
		case err == io.EOF:
			heap.Pop(m)
		case err != nil:
			return err
		default:
			heap.Fix(m, 0)
		}
	}
	return nil
}

// Close removes the spill directory and everything in it.
func (s *Sorter[T]) Close() error {
	s.blocks, s.runs = nil, nil
	return s.scratch.Remove()
}

// cursor is one run's reader and its current row with the row's key.
type cursor[T any] struct {
	r   *runReader[T]
	row T
	k   string
	run int
	key func(*T) string
}

func (c *cursor[T]) next() error {
	var zero T
	c.row = zero
	if err := c.r.Next(&c.row); err != nil {
		return err
	}
	c.k = c.key(&c.row)
	return nil
}

// merge is a heap of run cursors by their current rows, ties by run.
type merge[T any] struct {
	s   *Sorter[T]
	h   []*cursor[T]
	all []*cursor[T]
}

func (m *merge[T]) Len() int { return len(m.h) }
func (m *merge[T]) Less(i, j int) bool {
	a, b := m.h[i], m.h[j]
	if c := strings.Compare(a.k, b.k); c != 0 {
		return c < 0
	}
	if c := m.s.tie(&a.row, &b.row); c != 0 {
		return c < 0
	}
	return a.run < b.run
}
func (m *merge[T]) Swap(i, j int) { m.h[i], m.h[j] = m.h[j], m.h[i] }
func (m *merge[T]) Push(x any)    { m.h = append(m.h, x.(*cursor[T])) }
func (m *merge[T]) Pop() any {
	c := m.h[len(m.h)-1]
	m.h = m.h[:len(m.h)-1]
	return c
}

func (m *merge[T]) close() {
	for _, c := range m.all {
		c.r.Close()
	}
}

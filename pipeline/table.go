package pipeline

import (
	"fmt"
	"iter"
	"sort"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Table is a whole table held in its Arrow form for random access by row.
// A million users as Go structs cost twice the memory and give the garbage
// collector millions of pointers to scan; as Arrow batches they are a few
// large pointer-free buffers, and a row is decoded only when asked for.
//
// Strings in rows from Row point into the table's buffers: they are valid
// until Release and must be copied to outlive it.
type Table[T any] struct {
	batches []arrow.RecordBatch
	decs    []decoder
	starts  []int // first row of each batch
	n       int
}

// LoadTable reads a table file into memory.
func LoadTable[T any](path string) (*Table[T], error) {
	c, err := codecOf[T]()
	if err != nil {
		return nil, err
	}
	f, rr, _, err := openRecords(path, c, readBatchRows, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defer rr.Release()
	t := &Table[T]{}
	for rr.Next() {
		rec := rr.RecordBatch()
		rec.Retain()
		d := decoder{c: c, zeroCopy: true}
		if err := d.bind(rec); err != nil {
			rec.Release()
			t.Release()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		t.batches = append(t.batches, rec)
		t.decs = append(t.decs, d)
		t.starts = append(t.starts, t.n)
		t.n += int(rec.NumRows())
	}
	if err := rr.Err(); err != nil {
		t.Release()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Len is the number of rows.
func (t *Table[T]) Len() int { return t.n }

// Row fills *dst with row i.
func (t *Table[T]) Row(i int, dst *T) {
	b := sort.Search(len(t.starts), func(k int) bool { return t.starts[k] > i }) - 1
	t.decs[b].row(unsafe.Pointer(dst), i-t.starts[b])
}

// Release frees the buffers; rows read earlier must no longer be used.
func (t *Table[T]) Release() {
	for _, rec := range t.batches {
		rec.Release()
	}
	t.batches, t.decs, t.starts, t.n = nil, nil, nil, 0
}

// All yields the rows in order, each decoded into one value the iteration
// reuses: a row is valid only until the next one is yielded (its strings
// until Release), so copy what you keep.
func (t *Table[T]) All() iter.Seq2[int, *T] {
	return func(yield func(int, *T) bool) {
		var row T
		for b := range t.batches {
			n := int(t.batches[b].NumRows())
			for j := 0; j < n; j++ {
				t.decs[b].row(unsafe.Pointer(&row), j)
				if !yield(t.starts[b]+j, &row) {
					return
				}
			}
		}
	}
}

// Rows are a table's rows for passes in table order, held either as Go
// values (a Slice, for tests and small tables) or in Arrow memory (a
// Table): the stages that hold a million gaps rows keep them as a Table,
// whose buffers the garbage collector need not scan (docs/architecture.md,
// "Memory").
type Rows[T any] interface {
	Len() int
	// All yields every row in order; a yielded row may be valid only
	// until the next.
	All() iter.Seq2[int, *T]
}

// Slice is Rows over Go values.
type Slice[T any] []T

// Len is the number of rows.
func (s Slice[T]) Len() int { return len(s) }

// All yields a pointer to each element.
func (s Slice[T]) All() iter.Seq2[int, *T] {
	return func(yield func(int, *T) bool) {
		for i := range s {
			if !yield(i, &s[i]) {
				return
			}
		}
	}
}

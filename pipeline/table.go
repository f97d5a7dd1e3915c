package pipeline

import (
	"fmt"
	"sort"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
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
	f, rr, _, err := openRecords(path, c)
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

package pipeline

import (
	"fmt"
	"io"
	"iter"
	"slices"
)

// TableFile is Rows over a table file that is read again, a batch at a
// time, on every pass: the stages that pass over ten million gaps rows
// several times hold none of them (docs/architecture.md, "Memory"). A
// pass that fails (a read error, a damaged file) ends early and leaves its
// error in Err, which the caller checks after every pass (PassErr).
type TableFile[T any] struct {
	path string
	n    int
	only []string // nil: every column T names
	err  error
}

// OpenTableFile checks that path is a table file holding every column of
// T and returns Rows over it; nothing is held open between passes.
func OpenTableFile[T any](path string) (*TableFile[T], error) {
	t := &TableFile[T]{path: path}
	r, err := t.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	t.n = int(r.NumRows())
	return t, nil
}

// Only is a view of t that reads just the named columns: the other fields
// of every row stay zero. A pass that needs a few columns of a wide table
// costs a fraction of reading them all.
func (t *TableFile[T]) Only(columns ...string) *TableFile[T] {
	return &TableFile[T]{path: t.path, n: t.n, only: columns}
}

// Path is the table file's path.
func (t *TableFile[T]) Path() string { return t.path }

// Len is the row count recorded in the file's footer.
func (t *TableFile[T]) Len() int { return t.n }

// Err is the error that ended the last pass, nil when it read every row.
func (t *TableFile[T]) Err() error { return t.err }

// Open opens a reader over t's columns, for a pass that pulls the rows
// (Reader.Next) instead of ranging over All; the caller closes it.
func (t *TableFile[T]) Open() (*Reader[T], error) {
	c, err := codecOf[T]()
	if err != nil {
		return nil, err
	}
	if t.only != nil {
		sub := &codec{schema: c.schema}
		for _, col := range c.cols {
			if slices.Contains(t.only, col.name) {
				sub.cols = append(sub.cols, col)
			}
		}
		if len(sub.cols) != len(t.only) {
			return nil, fmt.Errorf("%s: columns %q: not all are columns of the row type", t.path, t.only)
		}
		c = sub
	}
	return openReaderWith[T](t.path, c, readBatchRows)
}

// All yields the rows in order, each decoded into one value the pass
// reuses: copy what you keep past the next row. Strings stay valid.
func (t *TableFile[T]) All() iter.Seq2[int, *T] {
	return func(yield func(int, *T) bool) {
		t.err = nil
		r, err := t.Open()
		if err != nil {
			t.err = err
			return
		}
		defer r.Close()
		var row T // fields outside the columns read stay zero
		for i := 0; ; i++ {
			if err := r.Next(&row); err == io.EOF {
				if i != t.n {
					t.err = fmt.Errorf("%s: %d rows, the footer says %d", t.path, i, t.n)
				}
				return
			} else if err != nil {
				t.err = err
				return
			}
			if !yield(i, &row) {
				return
			}
		}
	}
}

// PassErr is the error that ended the last pass over rows: the read error
// of a TableFile, nil for rows held in memory.
func PassErr[T any](rows Rows[T]) error {
	if f, ok := rows.(interface{ Err() error }); ok {
		return f.Err()
	}
	return nil
}

// OnlyColumns is rows reading just the named columns when they come from a
// file (TableFile.Only), and rows themselves otherwise: a hint that the
// caller reads no other field.
func OnlyColumns[T any](rows Rows[T], columns ...string) Rows[T] {
	if f, ok := rows.(*TableFile[T]); ok {
		return f.Only(columns...)
	}
	return rows
}

package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// rowGroupRows is the row count of one Parquet row group. Fixed, so that the
// same rows always produce the same file.
const rowGroupRows = 64 * 1024

// writerProperties are fixed so output is byte-identical run to run:
// created_by is pinned (it would otherwise carry the library version) and
// dictionary encoding is off, because arrow-go's dictionary fallback makes
// encoding stats depend on Go map order (docs/dependencies.md). mem is the
// writer's own buffer pool (pool.go).
func writerProperties(mem memory.Allocator) *parquet.WriterProperties {
	return parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCreatedBy("syncgap"),
		parquet.WithDictionaryDefault(false),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithStats(true),
		parquet.WithVersion(parquet.V2_6),
		parquet.WithDataPageVersion(parquet.DataPageV1),
	)
}

// Writer streams rows of type T into a Parquet file that becomes visible only on Commit.
type Writer[T any] struct {
	table string
	af    *AtomicFile
	fw    *pqarrow.FileWriter
	enc   *encoder
	n     int64
	buf   int
	done  bool
	// Row groups are compressed and written by a background goroutine
	// while the caller encodes the next one: on two cores that overlap is
	// most of the writer's cost.
	queue chan queuedBatch
	wrote chan error
}

// queuedBatch is a row group waiting for the writer, with the buffers to
// recycle once it is written.
type queuedBatch struct {
	rec  arrow.RecordBatch
	bufs *batchBufs
}

// CreateTable starts writing table (e.g. ADUsersTable) into dir.
func CreateTable[T any](dir, table string) (*Writer[T], error) {
	c, err := codecOf[T]()
	if err != nil {
		return nil, err
	}
	af, err := CreateAtomic(dir + string(os.PathSeparator) + FileName(table))
	if err != nil {
		return nil, err
	}
	pool := &bufferPool{}
	fw, err := pqarrow.NewFileWriter(c.schema, af, writerProperties(pool), pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(pool)))
	if err != nil {
		af.Abort()
		return nil, fmt.Errorf("parquet writer for %s: %w", table, err)
	}
	w := &Writer[T]{table: table, af: af, fw: fw, enc: newEncoder(c), queue: make(chan queuedBatch, 1), wrote: make(chan error, 1)}
	go w.drain()
	return w, nil
}

// drain writes queued row groups in order; after the first error it only
// releases them.
func (w *Writer[T]) drain() {
	var err error
	for q := range w.queue {
		if err == nil {
			if err = w.fw.Write(q.rec); err != nil {
				err = fmt.Errorf("write %s: %w", w.table, err)
			}
		}
		// The column writers copy what they keep (pages, statistics), so
		// the buffers are free once Write returns.
		q.rec.Release()
		w.enc.recycle(q.bufs)
	}
	w.wrote <- err
}

// Write appends one row.
func (w *Writer[T]) Write(row *T) error {
	w.enc.append(unsafe.Pointer(row))
	w.n++
	w.buf++
	if w.buf == rowGroupRows || w.enc.full {
		w.flush()
	}
	return nil
}

// flush queues the buffered rows as one row group; write errors surface in Commit.
func (w *Writer[T]) flush() {
	if w.buf == 0 {
		return
	}
	rec, bufs := w.enc.batch()
	w.queue <- queuedBatch{rec, bufs}
	w.buf = 0
}

// finish waits for the queued row groups.
func (w *Writer[T]) finish() error {
	close(w.queue)
	return <-w.wrote
}

// Rows is the number of rows written so far.
func (w *Writer[T]) Rows() int64 { return w.n }

// Commit finishes the file and moves it into place, returning its manifest record.
func (w *Writer[T]) Commit() (OutputRecord, error) {
	if w.done {
		return OutputRecord{}, fmt.Errorf("commit %s: writer already closed", w.table)
	}
	w.flush()
	w.done = true
	err := w.finish()
	if err != nil {
		w.af.Abort()
		return OutputRecord{}, err
	}
	if err := w.fw.Close(); err != nil {
		w.af.Abort()
		return OutputRecord{}, fmt.Errorf("close %s: %w", w.table, err)
	}
	if err := w.af.Commit(); err != nil {
		return OutputRecord{}, err
	}
	return OutputRecord{Table: w.table, File: FileName(w.table), Rows: w.n, SHA256: w.af.SHA256()}, nil
}

// Abort discards everything written; safe to call after Commit.
func (w *Writer[T]) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.finish()
	w.af.Abort()
}

// WriteTable writes all rows as table into dir.
func WriteTable[T any](dir, table string, rows []T) (OutputRecord, error) {
	w, err := CreateTable[T](dir, table)
	if err != nil {
		return OutputRecord{}, err
	}
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			w.Abort()
			return OutputRecord{}, err
		}
	}
	return w.Commit()
}

// Reader streams rows of type T out of a Parquet table file.
type Reader[T any] struct {
	path string
	f    *os.File
	rr   pqarrow.RecordReader
	dec  decoder
	rec  arrow.RecordBatch
	i    int
	rows int64
}

// OpenReader opens a table file for reading; it fails early when a column the
// type needs is missing.
func OpenReader[T any](path string) (*Reader[T], error) {
	return openReader[T](path, readBatchRows)
}

// readBatchRows is how many rows a Reader decodes at a time.
const readBatchRows = 16 * 1024

// openReader is OpenReader decoding batch rows at a time: a merge of many
// spilled runs holds one batch of each.
func openReader[T any](path string, batch int) (*Reader[T], error) {
	c, err := codecOf[T]()
	if err != nil {
		return nil, err
	}
	return openReaderWith[T](path, c, batch)
}

// openReaderWith is openReader decoding the columns of c, which may be a
// subset of T's.
func openReaderWith[T any](path string, c *codec, batch int) (*Reader[T], error) {
	// A Reader copies every value out of a batch before it releases it,
	// so the batch's buffers can be reused (pool.go).
	f, rr, rows, err := openRecords(path, c, batch, &bufferPool{})
	if err != nil {
		return nil, err
	}
	return &Reader[T]{path: path, f: f, rr: rr, dec: decoder{c: c}, rows: rows}, nil
}

// openRecords opens a table file and a record reader over the columns of c
// only: a narrow key type over a wide table then costs a fraction of reading
// every column. The caller closes the file and releases the reader.
func openRecords(path string, c *codec, batch int, mem memory.Allocator) (*os.File, pqarrow.RecordReader, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, err
	}
	fail := func(err error) (*os.File, pqarrow.RecordReader, int64, error) {
		f.Close()
		return nil, nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	pf, err := file.NewParquetReader(f, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return fail(fmt.Errorf("not a Parquet table: %w", err))
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(batch), Parallel: true}, mem)
	if err != nil {
		return fail(err)
	}
	sc, err := fr.Schema()
	if err != nil {
		return fail(err)
	}
	var cols []int
	for _, col := range c.cols {
		idx := sc.FieldIndices(col.name)
		if len(idx) == 0 {
			return fail(fmt.Errorf("missing column %q", col.name))
		}
		cols = append(cols, idx[0])
	}
	rr, err := fr.GetRecordReader(context.Background(), cols, nil)
	if err != nil {
		return fail(err)
	}
	return f, rr, pf.NumRows(), nil
}

// NumRows is the row count recorded in the file footer.
func (r *Reader[T]) NumRows() int64 { return r.rows }

// Next fills *row with the next row; it returns io.EOF after the last one.
func (r *Reader[T]) Next(row *T) error {
	for r.rec == nil || r.i >= int(r.rec.NumRows()) {
		if !r.rr.Next() {
			if err := r.rr.Err(); err != nil && err != io.EOF {
				return fmt.Errorf("%s: %w", r.path, err)
			}
			return io.EOF
		}
		r.rec = r.rr.RecordBatch()
		r.i = 0
		if err := r.dec.bind(r.rec); err != nil {
			return fmt.Errorf("%s: %w", r.path, err)
		}
	}
	r.dec.row(unsafe.Pointer(row), r.i)
	r.i++
	return nil
}

// Close releases the file.
func (r *Reader[T]) Close() error {
	r.rr.Release()
	return r.f.Close()
}

// ScanRows calls fn for every row of a table file, in order, without
// holding the table: the row is reused, so fn copies what it keeps. An
// error from fn stops the scan and is returned.
func ScanRows[T any](path string, fn func(*T) error) error {
	r, err := OpenReader[T](path)
	if err != nil {
		return err
	}
	defer r.Close()
	var row T
	for {
		if err := r.Next(&row); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := fn(&row); err != nil {
			return err
		}
	}
}

// ReadRows reads a whole table file into memory.
func ReadRows[T any](path string) ([]T, error) {
	r, err := OpenReader[T](path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := make([]T, 0, r.NumRows())
	for {
		var row T
		err := r.Next(&row)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
}

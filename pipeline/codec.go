package pipeline

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The codec maps a table struct (tables.go) to an Arrow schema and back.
// The struct tags are the single source of the column names, so the schema
// other tools read cannot drift from the Go types. Field access goes through
// precomputed offsets: a reflect call per cell costs seconds at 1M rows.

type colKind int

const (
	kString colKind = iota
	kStrings
	kNullBool
	kTime
	kInt64
)

type column struct {
	name   string
	offset uintptr
	kind   colKind
}

type codec struct {
	cols   []column
	schema *arrow.Schema
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	nullBoolType = reflect.TypeFor[NullBool]()
	stringsType  = reflect.TypeFor[[]string]()
	timestampUTC = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
)

func codecOf[T any]() (*codec, error) {
	t := reflect.TypeFor[T]()
	c := &codec{}
	if err := c.addStruct(t, "", 0); err != nil {
		return nil, fmt.Errorf("table type %s: %w", t, err)
	}
	fields := make([]arrow.Field, len(c.cols))
	for i, col := range c.cols {
		fields[i] = arrow.Field{Name: col.name, Type: col.arrowType(), Nullable: true}
	}
	c.schema = arrow.NewSchema(fields, nil)
	return c, nil
}

func (c *codec) addStruct(t reflect.Type, prefix string, base uintptr) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("parquet")
		if !ok {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if p, ok := strings.CutPrefix(opts, "prefix="); ok {
			if f.Type.Kind() != reflect.Struct {
				return fmt.Errorf("field %s: prefix needs a struct", f.Name)
			}
			if err := c.addStruct(f.Type, prefix+p, base+f.Offset); err != nil {
				return err
			}
			continue
		}
		col := column{name: prefix + name, offset: base + f.Offset}
		switch {
		case f.Type == timeType:
			col.kind = kTime
		case f.Type == nullBoolType:
			col.kind = kNullBool
		case f.Type == stringsType:
			col.kind = kStrings
		case f.Type.Kind() == reflect.String:
			col.kind = kString
		case f.Type.Kind() == reflect.Int64:
			col.kind = kInt64
		default:
			return fmt.Errorf("field %s: unsupported type %s", f.Name, f.Type)
		}
		c.cols = append(c.cols, col)
	}
	return nil
}

func (col column) arrowType() arrow.DataType {
	switch col.kind {
	case kStrings:
		return arrow.ListOf(arrow.BinaryTypes.String)
	case kNullBool:
		return arrow.FixedWidthTypes.Boolean
	case kTime:
		return timestampUTC
	case kInt64:
		return arrow.PrimitiveTypes.Int64
	}
	return arrow.BinaryTypes.String
}

// encoder turns rows into Arrow record batches. It lays the values out in
// Arrow's own format in slices that are reused batch after batch, once the
// writer is done with a batch: Arrow's builders take fresh memory for every
// batch and grow it by doubling, and at a million rows writing into new
// memory and copying it showed as seconds of every stage (docs/testing.md,
// "Performance").
type encoder struct {
	c    *codec
	cur  *batchBufs
	free chan *batchBufs // batches the writer has written
	// full: a column's values reached maxBatchData, so the batch must end.
	full bool
}

// batchBufs is one batch's columns.
type batchBufs struct {
	n    int
	cols []colBuf
}

// colBuf is one column of a batch, in the buffers Arrow's arrays are made
// of.
type colBuf struct {
	valid []byte // validity bitmap
	nulls int
	offs  []int32 // string and list columns: n+1 offsets into data or voffs
	data  []byte  // string values
	voffs []int32 // list columns: offsets of their strings in vdata
	vdata []byte  // list columns: the strings
	bits  []byte  // boolean values
	ints  []int64 // timestamps (µs) and integers
}

// maxBatchData is how many bytes of string values one column of a batch
// may hold before the batch is cut short: Arrow's offsets are 32-bit.
const maxBatchData = 1 << 30

func newEncoder(c *codec) *encoder {
	e := &encoder{c: c, free: make(chan *batchBufs, 4)}
	e.cur = e.take()
	return e
}

// take is a written batch's buffers, emptied, or new ones.
func (e *encoder) take() *batchBufs {
	var b *batchBufs
	select {
	case b = <-e.free:
	default:
		b = &batchBufs{cols: make([]colBuf, len(e.c.cols))}
	}
	b.n = 0
	for i := range b.cols {
		c := &b.cols[i]
		c.valid, c.nulls, c.data, c.vdata, c.bits, c.ints = c.valid[:0], 0, c.data[:0], c.vdata[:0], c.bits[:0], c.ints[:0]
		c.offs = append(c.offs[:0], 0)
		c.voffs = append(c.voffs[:0], 0)
	}
	return b
}

// recycle hands back a batch's buffers once its record is written and released.
func (e *encoder) recycle(b *batchBufs) {
	select {
	case e.free <- b:
	default:
	}
}

func (e *encoder) append(row unsafe.Pointer) {
	b := e.cur
	i := b.n
	b.n++
	bit := byte(1) << (i % 8)
	for ci, col := range e.c.cols {
		p := unsafe.Add(row, col.offset)
		c := &b.cols[ci]
		if i%8 == 0 {
			c.valid = append(c.valid, 0)
			if col.kind == kNullBool {
				c.bits = append(c.bits, 0)
			}
		}
		valid := true
		switch col.kind {
		case kString:
			if s := *(*string)(p); s != "" {
				c.data = append(c.data, s...)
				e.full = e.full || len(c.data) >= maxBatchData
			} else {
				valid = false
			}
			c.offs = append(c.offs, int32(len(c.data)))
		case kStrings:
			v := *(*[]string)(p)
			valid = v != nil
			for _, s := range v {
				c.vdata = append(c.vdata, s...)
				e.full = e.full || len(c.vdata) >= maxBatchData
				c.voffs = append(c.voffs, int32(len(c.vdata)))
			}
			c.offs = append(c.offs, int32(len(c.voffs)-1))
		case kNullBool:
			v := *(*NullBool)(p)
			valid = v.Valid
			if v.Valid && v.Bool {
				c.bits[i/8] |= bit
			}
		case kTime:
			var us int64
			if v := *(*time.Time)(p); !v.IsZero() {
				us = v.UnixMicro()
			} else {
				valid = false
			}
			c.ints = append(c.ints, us)
		case kInt64:
			c.ints = append(c.ints, *(*int64)(p))
		}
		if valid {
			c.valid[i/8] |= bit
		} else {
			c.nulls++
		}
	}
}

// batch hands over the rows appended so far as a record and the buffers it
// is made of, for recycle once the record is written; the encoder goes on
// with other buffers.
func (e *encoder) batch() (arrow.RecordBatch, *batchBufs) {
	b := e.cur
	bytesOf := memory.NewBufferBytes
	offsets := func(o []int32) *memory.Buffer { return bytesOf(arrow.Int32Traits.CastToBytes(o)) }
	arrs := make([]arrow.Array, len(e.c.cols))
	for ci, col := range e.c.cols {
		c := &b.cols[ci]
		valid := bytesOf(c.valid)
		var d *array.Data
		switch col.kind {
		case kString:
			d = array.NewData(arrow.BinaryTypes.String, b.n, []*memory.Buffer{valid, offsets(c.offs), bytesOf(c.data)}, nil, c.nulls, 0)
		case kStrings:
			vals := array.NewData(arrow.BinaryTypes.String, len(c.voffs)-1, []*memory.Buffer{nil, offsets(c.voffs), bytesOf(c.vdata)}, nil, 0, 0)
			d = array.NewData(col.arrowType(), b.n, []*memory.Buffer{valid, offsets(c.offs)}, []arrow.ArrayData{vals}, c.nulls, 0)
			vals.Release()
		case kNullBool:
			d = array.NewData(col.arrowType(), b.n, []*memory.Buffer{valid, bytesOf(c.bits)}, nil, c.nulls, 0)
		case kTime, kInt64:
			d = array.NewData(col.arrowType(), b.n, []*memory.Buffer{valid, bytesOf(arrow.Int64Traits.CastToBytes(c.ints))}, nil, c.nulls, 0)
		}
		arrs[ci] = array.MakeFromData(d)
		d.Release()
	}
	rec := array.NewRecordBatch(e.c.schema, arrs, int64(b.n))
	for _, a := range arrs {
		a.Release()
	}
	e.cur, e.full = e.take(), false
	return rec, b
}

// decoder reads rows out of one record batch.
type decoder struct {
	c    *codec
	cols []batchColumn  // per column: typed views of the batch's arrays
	strs []batchStrings // per column: the batch's string values, copied once
	// zeroCopy: strings point into the batch's Arrow buffers instead of a
	// copy; only for a Table, which keeps its batches alive.
	zeroCopy bool
}

// batchStrings holds one column's string values of a batch in a single
// allocation: one copy per column and batch instead of one per value keeps
// the garbage collector out of the way. Row values are substrings of it.
type batchStrings struct {
	backing string
	offsets []int32 // value i is backing[offsets[i]-base : offsets[i+1]-base]
	base    int32
	pool    []string // list columns: every list value of the batch, in order
}

func newBatchStrings(a *array.String, zeroCopy bool) batchStrings {
	offs := a.ValueOffsets()
	b := a.ValueBytes()
	backing := ""
	switch {
	case len(b) == 0:
	case zeroCopy:
		backing = unsafe.String(&b[0], len(b))
	default:
		backing = string(b)
	}
	return batchStrings{backing: backing, offsets: offs, base: offs[0]}
}

func (b *batchStrings) value(i int) string {
	return b.backing[b.offsets[i]-b.base : b.offsets[i+1]-b.base]
}

// batchColumn is one column of a bound batch, resolved once per batch so that
// decoding a row makes no interface call: a plan decodes thirty columns of a
// million rows several times over.
type batchColumn struct {
	valid  []byte // validity bitmap, nil when the column has no nulls
	offset int    // the array's offset into valid
	list   *array.List
	bools  *array.Boolean
	times  *array.Timestamp
	ints   *array.Int64
}

func (c *batchColumn) null(i int) bool {
	return c.valid != nil && !bitutil.BitIsSet(c.valid, c.offset+i)
}

// bind resolves the batch's columns by name, so files with extra or
// reordered columns still read; a missing column is an error.
func (d *decoder) bind(rec arrow.RecordBatch) error {
	d.cols = d.cols[:0]
	d.strs = d.strs[:0]
	sc := rec.Schema()
	for _, col := range d.c.cols {
		idx := sc.FieldIndices(col.name)
		if len(idx) == 0 {
			return fmt.Errorf("missing column %q", col.name)
		}
		a := rec.Column(idx[0])
		if !arrow.TypeEqual(a.DataType(), col.arrowType()) {
			return fmt.Errorf("column %q has type %s, want %s", col.name, a.DataType(), col.arrowType())
		}
		var bs batchStrings
		switch col.kind {
		case kString:
			bs = newBatchStrings(a.(*array.String), d.zeroCopy)
		case kStrings:
			vals := a.(*array.List).ListValues().(*array.String)
			bs = newBatchStrings(vals, d.zeroCopy)
			bs.pool = make([]string, vals.Len())
			for j := range bs.pool {
				bs.pool[j] = bs.value(j)
			}
		}
		c := batchColumn{offset: a.Data().Offset()}
		if a.NullN() > 0 {
			c.valid = a.NullBitmapBytes()
		}
		switch col.kind {
		case kStrings:
			c.list = a.(*array.List)
		case kNullBool:
			c.bools = a.(*array.Boolean)
		case kTime:
			c.times = a.(*array.Timestamp)
		case kInt64:
			c.ints = a.(*array.Int64)
		}
		d.cols = append(d.cols, c)
		d.strs = append(d.strs, bs)
	}
	return nil
}

// row fills *row from batch row i.
func (d *decoder) row(row unsafe.Pointer, i int) {
	for ci, col := range d.c.cols {
		p := unsafe.Add(row, col.offset)
		a := &d.cols[ci]
		null := a.null(i)
		switch col.kind {
		case kString:
			if null {
				*(*string)(p) = ""
			} else {
				*(*string)(p) = d.strs[ci].value(i)
			}
		case kStrings:
			if null {
				*(*[]string)(p) = nil
				continue
			}
			start, end := a.list.ValueOffsets(i)
			// The capacity limit keeps an append by the caller from
			// overwriting the next row's values.
			*(*[]string)(p) = d.strs[ci].pool[start:end:end]
		case kNullBool:
			if null {
				*(*NullBool)(p) = NullBool{}
			} else {
				*(*NullBool)(p) = Known(a.bools.Value(i))
			}
		case kTime:
			if null {
				*(*time.Time)(p) = time.Time{}
			} else {
				*(*time.Time)(p) = time.UnixMicro(int64(a.times.Value(i))).UTC()
			}
		case kInt64:
			if null {
				*(*int64)(p) = 0
			} else {
				*(*int64)(p) = a.ints.Value(i)
			}
		}
	}
}

// Schema returns the Arrow schema of a table struct type.
func Schema[T any]() (*arrow.Schema, error) {
	c, err := codecOf[T]()
	if err != nil {
		return nil, err
	}
	return c.schema, nil
}

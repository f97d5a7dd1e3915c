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

// encoder appends rows to Arrow builders.
type encoder struct {
	c  *codec
	rb *array.RecordBuilder
}

func newEncoder(c *codec) *encoder {
	return &encoder{c: c, rb: array.NewRecordBuilder(memory.DefaultAllocator, c.schema)}
}

// batch hands over the rows appended so far and pre-sizes the builders for
// the next batch like this one: growing them by doubling costs a copy per
// doubling, which at a million rows shows up as seconds of memmove.
func (e *encoder) batch(rows int) arrow.RecordBatch {
	data := make([]int, len(e.c.cols))
	for i := range e.c.cols {
		switch b := e.rb.Field(i).(type) {
		case *array.StringBuilder:
			data[i] = b.DataLen()
		case *array.ListBuilder:
			data[i] = b.ValueBuilder().(*array.StringBuilder).DataLen()
		}
	}
	rec := e.rb.NewRecordBatch()
	for i := range e.c.cols {
		switch b := e.rb.Field(i).(type) {
		case *array.StringBuilder:
			b.Reserve(rows)
			b.ReserveData(data[i])
		case *array.ListBuilder:
			b.Reserve(rows)
			b.ValueBuilder().(*array.StringBuilder).ReserveData(data[i])
		default:
			b.Reserve(rows)
		}
	}
	return rec
}

func (e *encoder) append(row unsafe.Pointer) {
	for i, col := range e.c.cols {
		p := unsafe.Add(row, col.offset)
		b := e.rb.Field(i)
		switch col.kind {
		case kString:
			if s := *(*string)(p); s != "" {
				b.(*array.StringBuilder).Append(s)
			} else {
				b.AppendNull()
			}
		case kStrings:
			v := *(*[]string)(p)
			lb := b.(*array.ListBuilder)
			if v == nil {
				lb.AppendNull()
				continue
			}
			lb.Append(true)
			vb := lb.ValueBuilder().(*array.StringBuilder)
			for _, s := range v {
				vb.Append(s)
			}
		case kNullBool:
			if v := *(*NullBool)(p); v.Valid {
				b.(*array.BooleanBuilder).Append(v.Bool)
			} else {
				b.AppendNull()
			}
		case kTime:
			if v := *(*time.Time)(p); !v.IsZero() {
				b.(*array.TimestampBuilder).Append(arrow.Timestamp(v.UnixMicro()))
			} else {
				b.AppendNull()
			}
		case kInt64:
			b.(*array.Int64Builder).Append(*(*int64)(p))
		}
	}
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

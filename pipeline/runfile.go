package pipeline

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	"unsafe"
)

// A sort's runs (extsort.go) are written in a form of their own rather than
// as Parquet tables: a run is written once, read once by the same process
// and removed, so it needs neither columns, statistics nor compression, and
// Parquet's per-batch cost made the spilled sorts of a ten-million-user
// audit the part of it that grew faster than the directory (docs/testing.md,
// "Performance"). A run is a sequence of blocks:
//
//	uvarint block length, uvarint row count, the rows
//
// and a row is its columns in the codec's order: a string as uvarint
// length and bytes; a list as uvarint 0 (null) or count+1, then its
// strings; a NullBool as one byte (0 null, 1 false, 2 true); a time as one
// byte (0 zero, else 1) and varint microseconds; an int64 as varint. Values
// read back are what a Parquet round trip gives: times in UTC to the
// microsecond.

// runBlockBytes is the size a run block is cut at: what a merge holds of
// each run.
const runBlockBytes = 64 << 10

// maxRunBlock bounds a block read back, against a damaged file.
const maxRunBlock = 1 << 30

// runWriter writes rows of T into a run file.
type runWriter[T any] struct {
	path  string
	f     *os.File
	bw    *bufio.Writer
	c     *codec
	block []byte
	rows  int
	hdr   []byte
}

// createRun creates the run file path, which must not exist.
func createRun[T any](path string) (*runWriter[T], error) {
	c, err := codecOf[T]()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &runWriter[T]{path: path, f: f, bw: bufio.NewWriterSize(f, 256<<10), c: c}, nil
}

// Write appends one row.
func (w *runWriter[T]) Write(row *T) error {
	w.block = appendRunRow(w.block, w.c, unsafe.Pointer(row))
	w.rows++
	if len(w.block) >= runBlockBytes {
		return w.flush()
	}
	return nil
}

func (w *runWriter[T]) flush() error {
	if w.rows == 0 {
		return nil
	}
	w.hdr = binary.AppendUvarint(binary.AppendUvarint(w.hdr[:0], uint64(len(w.block))), uint64(w.rows))
	if _, err := w.bw.Write(w.hdr); err != nil {
		return fmt.Errorf("spill %s: %w", w.path, err)
	}
	if _, err := w.bw.Write(w.block); err != nil {
		return fmt.Errorf("spill %s: %w", w.path, err)
	}
	w.block, w.rows = w.block[:0], 0
	return nil
}

// Commit writes what is buffered and closes the file.
func (w *runWriter[T]) Commit() error {
	err := w.flush()
	if err == nil {
		if err = w.bw.Flush(); err != nil {
			err = fmt.Errorf("spill %s: %w", w.path, err)
		}
	}
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("spill %s: %w", w.path, cerr)
	}
	if err != nil {
		os.Remove(w.path)
	}
	return err
}

// Abort closes and removes the file.
func (w *runWriter[T]) Abort() {
	w.f.Close()
	os.Remove(w.path)
}

func appendRunRow(b []byte, c *codec, row unsafe.Pointer) []byte {
	for _, col := range c.cols {
		p := unsafe.Add(row, col.offset)
		switch col.kind {
		case kString:
			s := *(*string)(p)
			b = append(binary.AppendUvarint(b, uint64(len(s))), s...)
		case kStrings:
			v := *(*[]string)(p)
			if v == nil {
				b = append(b, 0)
				continue
			}
			b = binary.AppendUvarint(b, uint64(len(v))+1)
			for _, s := range v {
				b = append(binary.AppendUvarint(b, uint64(len(s))), s...)
			}
		case kNullBool:
			switch v := *(*NullBool)(p); {
			case !v.Valid:
				b = append(b, 0)
			case v.Bool:
				b = append(b, 2)
			default:
				b = append(b, 1)
			}
		case kTime:
			if v := *(*time.Time)(p); v.IsZero() {
				b = append(b, 0)
			} else {
				b = binary.AppendVarint(append(b, 1), v.UnixMicro())
			}
		case kInt64:
			b = binary.AppendVarint(b, *(*int64)(p))
		}
	}
	return b
}

// runReader reads the rows of a run file back.
type runReader[T any] struct {
	path  string
	f     *os.File
	br    *bufio.Reader
	c     *codec
	block string // the current block; row strings are substrings of it
	off   int
	left  int      // rows of the block not yet read
	lists []string // list values of the block, handed out in slices
	buf   []byte
}

// errBadRun is a run file that does not read back: a damaged disk.
var errBadRun = errors.New("spill file is damaged")

func openRun[T any](path string) (*runReader[T], error) {
	c, err := codecOf[T]()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &runReader[T]{path: path, f: f, br: bufio.NewReaderSize(f, 64<<10), c: c}, nil
}

// Close closes the file.
func (r *runReader[T]) Close() error { return r.f.Close() }

// Next fills *row with the next row; io.EOF after the last.
func (r *runReader[T]) Next(row *T) error {
	if r.left == 0 {
		if err := r.nextBlock(); err != nil {
			return err
		}
	}
	if err := r.row(unsafe.Pointer(row)); err != nil {
		return fmt.Errorf("%s: %w", r.path, err)
	}
	r.left--
	return nil
}

func (r *runReader[T]) nextBlock() error {
	n, err := binary.ReadUvarint(r.br)
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return fmt.Errorf("%s: %w", r.path, errBadRun)
	}
	rows, err := binary.ReadUvarint(r.br)
	if err != nil || n > maxRunBlock || rows == 0 || rows > n {
		return fmt.Errorf("%s: %w", r.path, errBadRun)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		return fmt.Errorf("%s: %w", r.path, errBadRun)
	}
	// One string per block: the rows' strings share it, and the block is
	// one allocation for the garbage collector instead of one per value.
	r.block, r.off, r.left, r.lists = string(r.buf), 0, int(rows), nil
	return nil
}

func (r *runReader[T]) uvarint() (uint64, error) {
	v, n := uvarintString(r.block[r.off:])
	if n <= 0 {
		return 0, errBadRun
	}
	r.off += n
	return v, nil
}

func (r *runReader[T]) str() (string, error) {
	n, err := r.uvarint()
	if err != nil || n > uint64(len(r.block)-r.off) {
		return "", errBadRun
	}
	s := r.block[r.off : r.off+int(n)]
	r.off += int(n)
	return s, nil
}

func (r *runReader[T]) byte() (byte, error) {
	if r.off >= len(r.block) {
		return 0, errBadRun
	}
	b := r.block[r.off]
	r.off++
	return b, nil
}

func (r *runReader[T]) row(row unsafe.Pointer) error {
	for _, col := range r.c.cols {
		p := unsafe.Add(row, col.offset)
		switch col.kind {
		case kString:
			s, err := r.str()
			if err != nil {
				return err
			}
			*(*string)(p) = s
		case kStrings:
			n, err := r.uvarint()
			if err != nil || n > uint64(len(r.block)-r.off)+1 {
				return errBadRun
			}
			if n == 0 {
				*(*[]string)(p) = nil
				continue
			}
			n--
			if r.lists == nil || cap(r.lists)-len(r.lists) < int(n) {
				r.lists = make([]string, 0, max(256, int(n)))
			}
			start := len(r.lists)
			for range n {
				s, err := r.str()
				if err != nil {
					return err
				}
				r.lists = append(r.lists, s)
			}
			// The capacity limit keeps an append by the caller from
			// overwriting the next row's values.
			*(*[]string)(p) = r.lists[start:len(r.lists):len(r.lists)]
		case kNullBool:
			b, err := r.byte()
			if err != nil || b > 2 {
				return errBadRun
			}
			*(*NullBool)(p) = NullBool{Valid: b != 0, Bool: b == 2}
		case kTime:
			b, err := r.byte()
			if err != nil || b > 1 {
				return errBadRun
			}
			if b == 0 {
				*(*time.Time)(p) = time.Time{}
				continue
			}
			u, err := r.uvarint()
			if err != nil {
				return err
			}
			*(*time.Time)(p) = time.UnixMicro(zigzag(u)).UTC()
		case kInt64:
			u, err := r.uvarint()
			if err != nil {
				return err
			}
			*(*int64)(p) = zigzag(u)
		}
	}
	return nil
}

// zigzag undoes binary.AppendVarint's encoding of a signed value.
func zigzag(u uint64) int64 {
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// uvarintString is binary.Uvarint over a string, without a copy.
func uvarintString(s string) (uint64, int) {
	var x uint64
	var sh uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		b := s[i]
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				return 0, -1
			}
			return x | uint64(b)<<sh, i + 1
		}
		x |= uint64(b&0x7f) << sh
		sh += 7
	}
	return 0, 0
}

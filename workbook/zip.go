package workbook

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"sort"

	"github.com/xuri/excelize/v2"
)

// sortedZip is the excelize.ZipWriter the workbook is saved through. It exists
// for two reasons:
//   - excelize writes streamed worksheets while ranging over a map, so with more
//     than one streamed sheet (Gaps and Unmatched) the order of the parts in the
//     archive, and therefore the file's bytes, would change from run to run.
//     sortedZip keeps each compressed part and writes all parts in name order
//     on Close, which makes the output a function of the content only.
//   - archive/zip compresses at the default level, which for a 400k-row sheet is
//     most of the write time; BestSpeed costs ~25 % in size and saves seconds.
//
// Memory is the compressed size of the parts excelize writes (the frames,
// styles, Summary and brief: small); the data rows stay in their spill
// files (sheetRows), and saveBook has the archive written straight into
// the workbook's file rather than excelize's buffer.
type sortedZip struct {
	w     io.Writer
	parts []*zipPart
	cur   *zipPart
	// rows are data rows written without excelize, by part name, spliced
	// into the part before its </sheetData> (see sheetRows).
	rows    map[string]*sheetRows
	splice  *splicer // the current part's, if it has rows
	spliced int
}

var _ excelize.ZipWriter = (*sortedZip)(nil)

// zipPart is one archive member, compressed as it is written.
type zipPart struct {
	name string
	// segs are the stream's parts before data, in order: a spliced
	// part's own XML and the rows spilled to disk (see insert).
	segs []zipSegment
	data bytes.Buffer // raw deflate stream since the last segment
	fw   *flate.Writer
	crc  uint32
	size uint64
}

// zipSegment is a piece of a part's deflate stream: in memory, or the
// spill file of rows.
type zipSegment struct {
	mem  []byte
	rows *sheetRows
}

func (p *zipPart) Write(b []byte) (int, error) {
	p.crc = crc32.Update(p.crc, crc32.IEEETable, b)
	p.size += uint64(len(b))
	return p.fw.Write(b)
}

// insert appends rows' compressed XML to the part. Deflate streams
// concatenate at a sync flush: the part's stream so far is flushed to a
// byte boundary, rows' stream (itself ended by a sync flush) follows, and a
// new compressor takes the rest of the part. The rows stay in their spill
// file until Close copies them into the archive.
func (p *zipPart) insert(rows *sheetRows) error {
	if err := p.fw.Flush(); err != nil {
		return err
	}
	p.segs = append(p.segs, zipSegment{mem: bytes.Clone(p.data.Bytes())}, zipSegment{rows: rows})
	p.data.Reset()
	p.crc = crc32Combine(p.crc, rows.crc, rows.size)
	p.size += uint64(rows.size)
	fw, err := flate.NewWriter(&p.data, flate.BestSpeed)
	p.fw = fw
	return err
}

// compressedSize is the length of the part's deflate stream.
func (p *zipPart) compressedSize() uint64 {
	n := uint64(p.data.Len())
	for _, s := range p.segs {
		if s.rows != nil {
			n += uint64(s.rows.out.n)
		} else {
			n += uint64(len(s.mem))
		}
	}
	return n
}

// writeTo copies the part's deflate stream to w.
func (p *zipPart) writeTo(w io.Writer) error {
	for _, s := range p.segs {
		if s.rows == nil {
			if _, err := w.Write(s.mem); err != nil {
				return err
			}
			continue
		}
		r, n, err := s.rows.compressed()
		if err != nil {
			return err
		}
		if m, err := io.Copy(w, r); err != nil {
			return err
		} else if m != n {
			return fmt.Errorf("zip: %s: %d bytes of rows read back, %d written", p.name, m, n)
		}
	}
	_, err := w.Write(p.data.Bytes())
	return err
}

// sheetDataEnd is where spliced rows go: after the rows excelize wrote
// (the header) and before the elements that follow the sheet data. It
// cannot occur in cell text, which is escaped.
var sheetDataEnd = []byte("</sheetData>")

// splicer passes a part through to p and inserts rows before its first
// </sheetData>, holding back the bytes that may begin one.
type splicer struct {
	p    *zipPart
	rows *sheetRows
	done bool
	tail []byte
}

func (s *splicer) Write(b []byte) (int, error) {
	if s.done {
		return s.p.Write(b)
	}
	data := append(s.tail, b...)
	if i := bytes.Index(data, sheetDataEnd); i >= 0 {
		if _, err := s.p.Write(data[:i]); err != nil {
			return 0, err
		}
		if err := s.p.insert(s.rows); err != nil {
			return 0, err
		}
		s.done, s.tail = true, nil
		if _, err := s.p.Write(data[i:]); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	keep := min(len(data), len(sheetDataEnd)-1)
	if _, err := s.p.Write(data[:len(data)-keep]); err != nil {
		return 0, err
	}
	s.tail = append([]byte(nil), data[len(data)-keep:]...)
	return len(b), nil
}

// newSortedZip is the factory handed to excelize.File.SetZipWriter.
func newSortedZip(w io.Writer) excelize.ZipWriter { return &sortedZip{w: w} }

// zipWithRows is the factory for a workbook some of whose sheets have rows
// written by sheetRows, keyed by part name.
func zipWithRows(rows map[string]*sheetRows) func(io.Writer) excelize.ZipWriter {
	return func(w io.Writer) excelize.ZipWriter { return &sortedZip{w: w, rows: rows} }
}

// Create starts a new member; the previous one is complete at this point
// because excelize writes members strictly one after another.
func (z *sortedZip) Create(name string) (io.Writer, error) {
	if err := z.finishPart(); err != nil {
		return nil, err
	}
	p := &zipPart{name: name}
	fw, err := flate.NewWriter(&p.data, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	p.fw = fw
	z.cur = p
	z.parts = append(z.parts, p)
	if rows := z.rows[name]; rows != nil {
		z.splice = &splicer{p: p, rows: rows}
		return z.splice, nil
	}
	return p, nil
}

// AddFS is part of excelize.ZipWriter; excelize only uses it for copying
// whole directories, which the audit workbook never does.
func (z *sortedZip) AddFS(fs.FS) error {
	return errors.New("sortedZip: AddFS not supported")
}

func (z *sortedZip) finishPart() error {
	if z.cur == nil {
		return nil
	}
	if s := z.splice; s != nil {
		z.splice = nil
		if !s.done {
			return fmt.Errorf("zip: %s has no %s to put its %d rows before", z.cur.name, sheetDataEnd, s.rows.rows)
		}
		z.spliced++
	}
	err := z.cur.fw.Close()
	z.cur = nil
	return err
}

// Close writes every member in name order and the central directory.
func (z *sortedZip) Close() error {
	if err := z.finishPart(); err != nil {
		return err
	}
	if z.spliced != len(z.rows) {
		return fmt.Errorf("zip: rows for %d sheets, %d of them written", len(z.rows), z.spliced)
	}
	parts := append([]*zipPart(nil), z.parts...)
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].name < parts[j].name })
	zw := zip.NewWriter(z.w)
	for i, p := range parts {
		if i > 0 && parts[i-1].name == p.name {
			return fmt.Errorf("zip: duplicate member %s", p.name)
		}
		// No Modified time: the zero value keeps wall-clock time out of the file.
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               p.name,
			Method:             zip.Deflate,
			CRC32:              p.crc,
			CompressedSize64:   p.compressedSize(),
			UncompressedSize64: p.size,
		})
		if err != nil {
			return err
		}
		if err := p.writeTo(w); err != nil {
			return err
		}
		p.data, p.segs = bytes.Buffer{}, nil // release as we go
	}
	return zw.Close()
}

// crc32Combine is the CRC-32 of A followed by B from crcA, crcB and the
// length of B (zlib's crc32_combine): multiplying crcA by x^(8·lenB) in
// GF(2), by repeated squaring of the operator that appends a zero bit.
func crc32Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	var even, odd [32]uint32
	odd[0] = crc32.IEEE // the operator for one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four
	for {
		gf2Square(&even, &odd) // one zero byte, then 4, 16, …
		if lenB&1 != 0 {
			crcA = gf2Times(&even, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
		gf2Square(&odd, &even)
		if lenB&1 != 0 {
			crcA = gf2Times(&odd, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}

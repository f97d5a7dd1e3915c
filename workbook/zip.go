package workbook

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash"
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
//     sortedZip keeps each compressed part in memory and writes all parts in
//     name order on Close, which makes the output a function of the content only.
//   - archive/zip compresses at the default level, which for a 400k-row sheet is
//     most of the write time; BestSpeed costs ~25 % in size and saves seconds.
//
// Memory is the compressed size of the workbook, which excelize buffers
// once more anyway (File.WriteTo builds the whole archive in a bytes.Buffer).
type sortedZip struct {
	w     io.Writer
	parts []*zipPart
	cur   *zipPart
}

var _ excelize.ZipWriter = (*sortedZip)(nil)

// zipPart is one archive member, compressed as it is written.
type zipPart struct {
	name string
	data bytes.Buffer // raw deflate stream
	fw   *flate.Writer
	crc  hash.Hash32
	size uint64
}

func (p *zipPart) Write(b []byte) (int, error) {
	p.crc.Write(b)
	p.size += uint64(len(b))
	return p.fw.Write(b)
}

// newSortedZip is the factory handed to excelize.File.SetZipWriter.
func newSortedZip(w io.Writer) excelize.ZipWriter { return &sortedZip{w: w} }

// Create starts a new member; the previous one is complete at this point
// because excelize writes members strictly one after another.
func (z *sortedZip) Create(name string) (io.Writer, error) {
	if err := z.finishPart(); err != nil {
		return nil, err
	}
	p := &zipPart{name: name, crc: crc32.NewIEEE()}
	fw, err := flate.NewWriter(&p.data, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	p.fw = fw
	z.cur = p
	z.parts = append(z.parts, p)
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
	err := z.cur.fw.Close()
	z.cur = nil
	return err
}

// Close writes every member in name order and the central directory.
func (z *sortedZip) Close() error {
	if err := z.finishPart(); err != nil {
		return err
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
			CRC32:              p.crc.Sum32(),
			CompressedSize64:   uint64(p.data.Len()),
			UncompressedSize64: p.size,
		})
		if err != nil {
			return err
		}
		if _, err := w.Write(p.data.Bytes()); err != nil {
			return err
		}
		p.data = bytes.Buffer{} // release as we go
	}
	return zw.Close()
}

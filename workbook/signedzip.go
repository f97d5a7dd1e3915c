package workbook

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"sync/atomic"
)

// The archive layer of reading a signed workbook back. A workbook comes
// back from someone else's computer, so nothing in it is trusted: the
// central directory is read within a byte budget, every part's declared
// size is checked before anything inflates, and every byte inflated is
// counted and checksummed, so a header that lies about its size or a
// damaged deflate stream is an error, never a short read taken for the
// whole part.

// Limits on the archive itself; the limits on parts are in approvals.go.
const (
	// MaxSignedEntries is the most parts a signed workbook may have. A plan
	// workbook has about 25; each "Plan (N)" sheet a program saves adds two
	// or three.
	MaxSignedEntries = 10_000
	// maxCentralDirectory is how much of the file archive/zip may read as
	// the central directory. It reads directory records until one is not,
	// whatever the record count says, and keeps ~200 bytes per record, so
	// without a budget a 512 MB file of bare records would cost gigabytes.
	// 10,000 entries with long names fit in well under 16 MB.
	maxCentralDirectory = 16 << 20
)

// signedZip is a signed workbook's archive, its parts checked.
type signedZip struct {
	path  string
	files map[string]*zip.File // by normalized name, lower case
	order []*zip.File          // every part, in archive order
	// part names a part for messages once the workbook's sheets are known:
	// `sheet "Plan" (xl/worksheets/sheet2.xml)`.
	part func(name string) string
}

// budgetReaderAt fails reads past a byte budget while it is armed.
type budgetReaderAt struct {
	r     io.ReaderAt
	left  atomic.Int64
	armed atomic.Bool
}

var errDirectoryBudget = errors.New("central directory budget exceeded")

func (b *budgetReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if b.armed.Load() && b.left.Add(-int64(len(p))) < 0 {
		return 0, errDirectoryBudget
	}
	return b.r.ReadAt(p, off)
}

// oleMagic starts a Compound File: an encrypted (password-protected)
// .xlsx, or an old binary .xls.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// openSignedZip reads the central directory of the size bytes at r and
// checks every part's declared size and method; nothing is inflated yet.
func openSignedZip(r io.ReaderAt, size int64, path string) (*signedZip, error) {
	head := make([]byte, len(oleMagic))
	if n, _ := r.ReadAt(head, 0); n < 4 {
		return nil, fmt.Errorf("%s: %d bytes: too short to be a workbook", path, size)
	}
	if bytes.Equal(head, oleMagic) {
		return nil, fmt.Errorf("%s: an encrypted (password-protected) workbook or an old .xls: save it as .xlsx without a password", path)
	}
	if !bytes.HasPrefix(head, []byte("PK")) {
		return nil, fmt.Errorf("%s: not an .xlsx workbook (no zip signature)", path)
	}
	br := &budgetReaderAt{r: r}
	// The directory is at most maxCentralDirectory; archive/zip also reads
	// the last 65 KB looking for its end record, and the record after it.
	br.left.Store(maxCentralDirectory + 130<<10)
	br.armed.Store(true)
	zr, err := zip.NewReader(br, size)
	br.armed.Store(false)
	switch {
	case errors.Is(err, errDirectoryBudget):
		return nil, fmt.Errorf("%s: the zip directory is larger than %d MB: more parts than a workbook has", path, maxCentralDirectory>>20)
	case err != nil:
		return nil, fmt.Errorf("%s: not a complete .xlsx (zip) file, truncated or damaged: %w", path, err)
	}
	if len(zr.File) > MaxSignedEntries {
		return nil, fmt.Errorf("%s: %d parts, more than a workbook has (at most %d)", path, len(zr.File), MaxSignedEntries)
	}
	z := &signedZip{path: path, files: make(map[string]*zip.File, len(zr.File)), part: func(n string) string { return "part " + n }}
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/") // as excelize reads them
		if strings.HasSuffix(name, "/") {
			if f.UncompressedSize64 != 0 {
				return nil, fmt.Errorf("%s: directory entry %q holds data: the archive is damaged", path, clipName(name))
			}
			continue
		}
		key := strings.ToLower(name)
		if _, dup := z.files[key]; dup {
			// Two programs could read different copies: neither is the workbook.
			return nil, fmt.Errorf("%s: part %q appears twice in the archive", path, clipName(name))
		}
		if f.Flags&0x1 != 0 {
			return nil, fmt.Errorf("%s: part %q is encrypted: save the workbook without a password", path, clipName(name))
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, fmt.Errorf("%s: part %q uses compression method %d; a workbook uses deflate", path, clipName(name), f.Method)
		}
		z.files[key] = f
		z.order = append(z.order, f)
	}
	return z, nil
}

// checkDeclared refuses, before anything large is inflated, a part that
// declares more than MaxSignedPart or parts that together declare more
// than MaxSignedUnzip. It runs once the sheets are known, so that the
// refusal names the sheet.
func (z *signedZip) checkDeclared() error {
	var total uint64
	for _, f := range z.order {
		if f.UncompressedSize64 > MaxSignedPart {
			return fmt.Errorf("%s: %s declares %d MB uncompressed, more than a part of a signed workbook may have (%d MB)",
				z.path, z.part(f.Name), f.UncompressedSize64>>20, MaxSignedPart>>20)
		}
		total += f.UncompressedSize64
	}
	if total > MaxSignedUnzip {
		return fmt.Errorf("%s: its parts declare %d MB uncompressed, more than a signed workbook may have (%d MB)", z.path, total>>20, MaxSignedUnzip>>20)
	}
	return nil
}

// clipName keeps a hostile part name from filling a terminal.
func clipName(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// find is the part of that name, ignoring case (excelize and Excel do).
func (z *signedZip) find(name string) *zip.File {
	return z.files[strings.ToLower(strings.TrimPrefix(name, "/"))]
}

// open inflates a part within limit bytes, or within its declared size
// when that is smaller.
func (z *signedZip) open(f *zip.File, limit uint64) (*partReader, error) {
	if f.UncompressedSize64 > limit {
		return nil, fmt.Errorf("%s: %s declares %d MB uncompressed, more than it may have (%d MB)",
			z.path, z.part(f.Name), f.UncompressedSize64>>20, limit>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %s: cannot be read, the archive is damaged: %w", z.path, z.part(f.Name), err)
	}
	return &partReader{z: z, f: f, rc: rc, crc: crc32.NewIEEE()}, nil
}

// partReader inflates one part. Every error names the file and the part;
// the part's end is checked against its declared size and CRC-32 here as
// well as in archive/zip, which skips the CRC when the header's is zero.
type partReader struct {
	z   *signedZip
	f   *zip.File
	rc  io.ReadCloser
	crc interface {
		io.Writer
		Sum32() uint32
	}
	n   uint64
	err error
}

func (p *partReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.rc.Read(b)
	p.n += uint64(n)
	p.crc.Write(b[:n])
	if p.n > p.f.UncompressedSize64 {
		// archive/zip stops at the declared size too; this does not rely on it.
		n, err = 0, zip.ErrFormat
	}
	switch {
	case err == nil:
	case err == io.EOF:
		if p.n != p.f.UncompressedSize64 {
			err = p.fail("inflates to %d bytes, not the %d its header declares: the file is damaged", p.n, p.f.UncompressedSize64)
		} else if p.crc.Sum32() != p.f.CRC32 {
			err = p.fail("checksum mismatch: the file is damaged")
		}
	case errors.Is(err, zip.ErrFormat):
		err = p.fail("inflates to more than the %d bytes its header declares: a damaged or hostile file", p.f.UncompressedSize64)
	case errors.Is(err, zip.ErrChecksum):
		err = p.fail("checksum mismatch: the file is damaged")
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = p.fail("ends early: the file is truncated or damaged")
	default:
		var ce flate.CorruptInputError
		if errors.As(err, &ce) {
			err = p.fail("corrupt deflate stream at compressed byte %d: the file is damaged", int64(ce))
		} else {
			err = p.fail("%v", err)
		}
	}
	p.err = err
	return n, err
}

func (p *partReader) fail(format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s", p.z.path, p.z.part(p.f.Name), fmt.Sprintf(format, args...))
}

func (p *partReader) Close() error { return p.rc.Close() }

// readAll reads a small part whole, checked.
func (z *signedZip) readAll(f *zip.File, limit uint64) ([]byte, error) {
	p, err := z.open(f, limit)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return io.ReadAll(p)
}

// drain inflates a part to its end, for the checksum, through buf.
func (z *signedZip) drain(f *zip.File, buf []byte, stop *atomic.Bool) error {
	p, err := z.open(f, MaxSignedPart)
	if err != nil {
		return err
	}
	defer p.Close()
	for !stop.Load() {
		if _, err := p.Read(buf); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

// readAhead inflates a part on another goroutine, a chunk ahead of its
// reader: inflating is about a third of the time a Plan sheet takes, and
// the machine has a second core.
type readAhead struct {
	full   chan aheadChunk
	free   chan []byte
	done   chan struct{}
	exited chan struct{}
	src    io.ReadCloser
	cur    []byte
	buf    []byte // the chunk cur is in, to give back
	err    error
}

type aheadChunk struct {
	b   []byte
	err error
}

func newReadAhead(src io.ReadCloser, declared uint64) *readAhead {
	const chunks = 3
	size := min(max(declared+1, 512), 256<<10)
	a := &readAhead{full: make(chan aheadChunk, chunks), free: make(chan []byte, chunks),
		done: make(chan struct{}), exited: make(chan struct{}), src: src}
	for range chunks {
		a.free <- make([]byte, size)
	}
	go func() {
		defer close(a.exited)
		for {
			var buf []byte
			select {
			case buf = <-a.free:
			case <-a.done:
				return
			}
			n, err := io.ReadFull(src, buf)
			if err == io.ErrUnexpectedEOF {
				err = io.EOF // a short last chunk
			}
			select {
			case a.full <- aheadChunk{buf[:n], err}:
			case <-a.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return a
}

func (a *readAhead) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.err != nil {
			return 0, a.err
		}
		if a.buf != nil {
			a.free <- a.buf[:cap(a.buf)]
			a.buf = nil
		}
		c := <-a.full
		a.cur, a.buf, a.err = c.b, c.b, c.err
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the goroutine, then closes the part: never while it reads.
func (a *readAhead) Close() error {
	close(a.done)
	<-a.exited
	return a.src.Close()
}

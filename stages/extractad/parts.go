package extractad

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"syncgap/ldif"
	"syncgap/pipeline"
)

// An LDIF export is parsed as parts on two cores (docs/architecture.md,
// "Memory"): one goroutine reads the file, hashing it as it goes, and cuts
// it into parts at record boundaries; workers parse the parts and map their
// entries to rows; readLDIF takes the parts' rows in file order, so the DN
// check, the sort and every error see exactly what one sequential pass
// would. A boundary is a "dn:" line right after a blank line: such a line
// always starts a record, and starting one resets all the reader's state
// between records (ldif.NewPartReader).

const (
	// maxPartBytes is a part's usual size: big enough that a part's
	// overhead (a reader, its buffers) is noise, small enough that the
	// parts in flight are a few per cent of the budget.
	maxPartBytes = 4 << 20
	// partsAhead is how many parts may be read ahead of readLDIF.
	partsAhead = 4
	// maxPartGrowth bounds how far a part may grow looking for a boundary
	// (an entry with a huge photo); past it the rest of the file is read
	// in one sequential pass.
	maxPartGrowth = 64 << 20
)

// partBytesFor is the part size within budget: tiny budgets get small parts.
func partBytesFor(budget int64) int {
	return int(min(maxPartBytes, max(64<<10, budget/64)))
}

// ldifPart is one part of the file, or the rest of it (rest set) when no
// boundary was found within maxPartGrowth.
type ldifPart struct {
	data []byte
	line int       // lines of the file before data
	rest io.Reader // the remainder of the file from line on, read sequentially
	res  chan partRows
}

// partRows is what a worker made of a part: its entries in file order, and
// the error that ended the part early, if any.
type partRows struct {
	entries []partEntry
	err     error
}

// partEntry is one entry of a part: its DN and line for the DN check, the
// row, and the mapping's error, which readLDIF reports only after checking
// the DN, as the sequential pass does.
type partEntry struct {
	dn   string
	line int
	user pipeline.ADUser
	ok   bool
	err  error
}

// partReader runs the cutting and the workers of one file.
type partReader struct {
	src      io.Reader
	name     string
	partSize int
	parts    chan *ldifPart
	work     chan *ldifPart
	free     chan []byte
	done     chan struct{}
	wg       sync.WaitGroup
}

// startParts starts reading src in parts; partSize 0 reads it all in one
// sequential pass (the reference the tests compare against). stop must
// be called: it waits for every goroutine, so none reads src afterwards.
func startParts(src io.Reader, name string, partSize int) *partReader {
	p := &partReader{src: src, name: name, partSize: partSize,
		parts: make(chan *ldifPart, partsAhead), work: make(chan *ldifPart),
		free: make(chan []byte, partsAhead+2), done: make(chan struct{})}
	p.wg.Add(1)
	go p.cut()
	for range min(2, runtime.GOMAXPROCS(0)) {
		p.wg.Add(1)
		go p.parse()
	}
	return p
}

func (p *partReader) stop() {
	close(p.done)
	p.wg.Wait()
}

// send queues a part for readLDIF and, with data, for a worker; false when
// readLDIF has stopped.
func (p *partReader) send(part *ldifPart) bool {
	part.res = make(chan partRows, 1)
	select {
	case p.parts <- part:
	case <-p.done:
		return false
	}
	if part.data == nil {
		return true
	}
	select {
	case p.work <- part:
		return true
	case <-p.done:
		return false
	}
}

// cut reads the file and cuts it into parts at boundaries.
func (p *partReader) cut() {
	defer p.wg.Done()
	defer close(p.parts)
	defer close(p.work)
	if p.partSize == 0 {
		p.send(&ldifPart{rest: p.src})
		return
	}
	var carry []byte
	line := 0
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		default:
		}
		size := max(p.partSize, 2*len(carry))
		if cap(buf) < size {
			buf = make([]byte, 0, size)
		}
		buf = append(buf[:0], carry...)
		for {
			n, err := io.ReadFull(p.src, buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				if len(buf) > 0 {
					p.send(&ldifPart{data: buf, line: line})
				}
				return
			}
			if err != nil {
				// The sequential pass reads up to the failure and reports
				// it where it happened.
				p.send(&ldifPart{line: line, rest: io.MultiReader(bytes.NewReader(buf), failedReader{err})})
				return
			}
			if cut := lastBoundary(buf); cut > 0 {
				carry = append(carry[:0], buf[cut:]...)
				part := buf[:cut]
				// Counted before the part is handed over: from then on it
				// is the worker's.
				next := line + bytes.Count(part, []byte{'\n'})
				if !p.send(&ldifPart{data: part, line: line}) {
					return
				}
				line = next
				break
			}
			if len(buf) >= maxPartGrowth {
				p.send(&ldifPart{line: line, rest: io.MultiReader(bytes.NewReader(buf), p.src)})
				return
			}
			buf = slices.Grow(buf, len(buf))
		}
	}
}

// failedReader fails every read with err: what the file did after the
// bytes read before the error.
type failedReader struct{ err error }

func (r failedReader) Read([]byte) (int, error) { return 0, r.err }

// lastBoundary is the offset of the last line of b that is "dn:" (or
// "dn::") right after a blank line, or 0 when there is none.
func lastBoundary(b []byte) int {
	for end := len(b); ; {
		i := bytes.LastIndex(b[:end], []byte("\ndn:"))
		if i < 1 {
			return 0
		}
		switch {
		case b[i-1] == '\n':
			return i + 1
		case b[i-1] == '\r' && i >= 2 && b[i-2] == '\n':
			return i + 1
		}
		end = i
	}
}

// parse turns parts into rows.
func (p *partReader) parse() {
	defer p.wg.Done()
	base := filepath.Base(p.name) + ":"
	for part := range p.work {
		rows := parsePart(part.data, p.name, base, part.line)
		select {
		case p.free <- part.data[:0]:
		default:
		}
		part.res <- rows
	}
}

func parsePart(data []byte, name, base string, line int) partRows {
	var rows partRows
	err := eachEntry(ldif.NewPartReader(bytes.NewReader(data), name, line), name, base, func(e *partEntry) error {
		rows.entries = append(rows.entries, *e)
		return e.err // a bad entry ends the part; it carries its error
	})
	if n := len(rows.entries); n == 0 || rows.entries[n-1].err == nil {
		rows.err = err // the reader's
	}
	return rows
}

// eachEntry maps every entry rd reads to a row and gives it to fn, which
// stops the reading with an error; a mapping error is the entry's, for fn
// to return. base is the file's base name and a colon, for origins.
func eachEntry(rd *ldif.Reader, name, base string, fn func(*partEntry) error) error {
	var origin []byte
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		origin = strconv.AppendInt(append(origin[:0], base...), int64(e.Line), 10)
		u, ok, err := ToADUser(e, string(origin))
		if err := fn(&partEntry{dn: e.DN, line: e.Line, user: u, ok: ok, err: namedErr(err, name)}); err != nil {
			return err
		}
	}
}

// namedErr puts the file's name as given into a mapping error, which names
// only the origin's base name.
func namedErr(err error, name string) error {
	var pe *pipeline.ParseError
	if errors.As(err, &pe) {
		pe.File = name
	}
	return err
}

// next returns the next part in file order with its rows (none for a
// rest or an error part); ok is false after the last.
func (p *partReader) next(ctx context.Context) (*ldifPart, partRows, bool, error) {
	select {
	case part, ok := <-p.parts:
		if !ok {
			return nil, partRows{}, false, nil
		}
		if part.data == nil {
			return part, partRows{}, true, nil
		}
		select {
		case rows := <-part.res:
			return part, rows, true, nil
		case <-ctx.Done():
			return nil, partRows{}, false, ctx.Err()
		}
	case <-ctx.Done():
		return nil, partRows{}, false, ctx.Err()
	}
}

package extractentra

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf16"
	"unicode/utf8"

	"syncgap/pipeline"
)

// textFile is an export file opened for reading as UTF-8 text.
type textFile struct {
	f     *os.File
	raw   *bufio.Reader           // the file's bytes, before decoding
	hash  *pipeline.HashingReader // what raw has read, hashed
	r     *bufio.Reader
	head  []byte // the first bytes after any BOM, for sniffing; do not keep
	utf16 bool   // decoded from UTF-16: the file is about twice the text
}

// openText opens path, a regular file (see openRegular), and looks at its encoding. Windows PowerShell 5.1
// writes UTF-16LE with a BOM when output is redirected with '>' or
// Out-File, and UTF-8 with a BOM with -Encoding UTF8, so both are decoded
// here and nothing downstream sees a BOM. raw, when not nil, is a reader
// to reuse, so a thousand page files do not cost a thousand buffers.
func openText(path string, raw *bufio.Reader) (*textFile, error) {
	f, src, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	// Hashed as it is parsed, so the manifest records what was read, even
	// should the file change after, and the file is read once.
	hr := pipeline.NewHashingReader(src)
	if raw == nil {
		raw = bufio.NewReaderSize(hr, 64<<10)
	} else {
		raw.Reset(hr)
	}
	bom, _ := raw.Peek(4)
	var r *bufio.Reader
	switch {
	case bytes.HasPrefix(bom, []byte{0xEF, 0xBB, 0xBF}):
		raw.Discard(3)
		r = raw
	case bytes.HasPrefix(bom, []byte{0xFF, 0xFE}):
		raw.Discard(2)
		r = bufio.NewReaderSize(&utf16Reader{r: raw, le: true}, 64<<10)
	case bytes.HasPrefix(bom, []byte{0xFE, 0xFF}):
		raw.Discard(2)
		r = bufio.NewReaderSize(&utf16Reader{r: raw}, 64<<10)
	case len(bom) >= 2 && bom[0] != 0 && bom[1] == 0: // UTF-16LE without a BOM: "{\x00"
		r = bufio.NewReaderSize(&utf16Reader{r: raw, le: true}, 64<<10)
	case len(bom) >= 2 && bom[0] == 0 && bom[1] != 0:
		r = bufio.NewReaderSize(&utf16Reader{r: raw}, 64<<10)
	default:
		r = raw
	}
	head, err := r.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		f.Close()
		return nil, err
	}
	return &textFile{f: f, raw: raw, hash: hr, r: r, head: head, utf16: r != raw}, nil
}

func (t *textFile) Close() error { return t.f.Close() }

// record reads what the parser left of the file (nothing, once it has
// read to the end, as every parser here does on success) and returns the
// input record of the whole file.
func (t *textFile) record(path string) (pipeline.InputRecord, error) {
	if _, err := io.Copy(io.Discard, t.raw); err != nil {
		return pipeline.InputRecord{}, fmt.Errorf("hash input %s: %w", path, err)
	}
	return t.hash.Record(path), nil
}

// firstByte is the first non-blank byte of the file; 0 for a blank file.
func (t *textFile) firstByte() byte {
	for _, c := range t.head {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return c
		}
	}
	return 0
}

// utf16Reader decodes UTF-16 to UTF-8. Small enough not to need
// golang.org/x/text for it.
type utf16Reader struct {
	r       io.Reader
	le      bool
	in      []byte // undecoded input
	pending []byte // decoded output not yet returned
	err     error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.pending) == 0 {
		if u.err != nil {
			if len(u.in) > 0 { // a dangling odd byte
				u.in = u.in[:0]
				u.pending = utf8.AppendRune(u.pending[:0], utf8.RuneError)
				break
			}
			return 0, u.err
		}
		if cap(u.in) == 0 {
			u.in = make([]byte, 0, 32<<10)
		}
		n, err := u.r.Read(u.in[len(u.in):cap(u.in)])
		u.in = u.in[:len(u.in)+n]
		u.err = err
		u.decode(err != nil)
	}
	n := copy(p, u.pending)
	u.pending = u.pending[n:]
	return n, nil
}

// decode converts whole code units of u.in, keeping a trailing high
// surrogate for the next read unless the input has ended.
func (u *utf16Reader) decode(final bool) {
	out := u.pending[:0]
	i := 0
	for ; i+1 < len(u.in); i += 2 {
		c := u.unit(i)
		if utf16.IsSurrogate(c) && c < 0xDC00 {
			if i+3 >= len(u.in) {
				if !final {
					break
				}
				out = utf8.AppendRune(out, utf8.RuneError)
				continue
			}
			if r := utf16.DecodeRune(c, u.unit(i+2)); r != utf8.RuneError {
				out = utf8.AppendRune(out, r)
				i += 2
				continue
			}
		}
		out = utf8.AppendRune(out, c)
	}
	u.pending = out
	u.in = u.in[:copy(u.in, u.in[i:])]
}

func (u *utf16Reader) unit(i int) rune {
	if u.le {
		return rune(u.in[i]) | rune(u.in[i+1])<<8
	}
	return rune(u.in[i])<<8 | rune(u.in[i+1])
}

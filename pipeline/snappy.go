package pipeline

import (
	"io"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
)

// fastSnappy is the Snappy codec our tables are written with. arrow-go's own
// compresses through klauspost's snappy package, which uses the slower
// "better" Snappy encoder: for a four-million-row forecast that was
// seconds of a plan. The blocks are Snappy either way, read by every Parquet
// reader; ours are a few per cent larger.
type fastSnappy struct{}

// The registry is arrow-go's, keyed by codec, and consulted whenever a
// column chunk is compressed; it is replaced once, before any table is
// written, and the output stays a function of the rows only.
func init() {
	compress.RegisterCodec(compress.Codecs.Snappy, fastSnappy{})
}

func (fastSnappy) Encode(dst, src []byte) []byte { return s2.EncodeSnappy(dst, src) }

func (fastSnappy) EncodeLevel(dst, src []byte, _ int) []byte { return s2.EncodeSnappy(dst, src) }

func (c fastSnappy) Decode(dst, src []byte) []byte {
	dst, err := c.DecodeWithError(dst, src)
	if err != nil {
		panic(err) // arrow-go recovers codec panics into read errors
	}
	return dst
}

func (fastSnappy) DecodeWithError(dst, src []byte) ([]byte, error) { return snappy.Decode(dst, src) }

func (fastSnappy) CompressBound(n int64) int64 { return int64(s2.MaxEncodedLen(int(n))) }

func (fastSnappy) NewReader(r io.Reader) io.ReadCloser { return io.NopCloser(snappy.NewReader(r)) }

func (fastSnappy) NewWriter(w io.Writer) io.WriteCloser { return snappy.NewBufferedWriter(w) }

func (c fastSnappy) NewWriterLevel(w io.Writer, _ int) (io.WriteCloser, error) {
	return c.NewWriter(w), nil
}

package extractentra

import (
	"context"
	"errors"
	"fmt"

	"syncgap/pipeline"
)

// stream reads a Sorter's rows in order on a goroutine of its own, a batch
// at a time, so a merge can pull from several sorters in step, and the
// reading and decoding of their runs takes the second core.
type stream[T any] struct {
	rows    chan []T
	free    chan []T
	done    chan struct{}
	errc    chan error
	cur     []T
	i       int
	ended   bool
	stopped bool
	err     error
}

// streamBatch is how many rows a stream hands over at a time.
const streamBatch = 512

var errStopped = errors.New("stream stopped")

func pull[T any](ctx context.Context, s *pipeline.Sorter[T]) *stream[T] {
	st := &stream[T]{rows: make(chan []T, 2), free: make(chan []T, 4), done: make(chan struct{}), errc: make(chan error, 1), i: -1}
	go func() {
		batch := make([]T, 0, streamBatch)
		send := func() bool {
			select {
			case st.rows <- batch:
			case <-st.done:
				return false
			}
			select {
			case batch = <-st.free:
				batch = batch[:0]
			default:
				batch = make([]T, 0, streamBatch)
			}
			return true
		}
		err := s.Sorted(ctx, func(r *T) error {
			batch = append(batch, *r)
			if len(batch) == streamBatch && !send() {
				return errStopped
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			send()
		}
		close(st.rows)
		st.errc <- err
	}()
	return st
}

// next is the next row, nil after the last one or a failure (see end). A
// row is valid until the next call; its strings stay valid.
func (st *stream[T]) next() *T {
	st.i++
	for st.i >= len(st.cur) {
		if st.cur != nil {
			select {
			case st.free <- st.cur:
			default:
			}
			st.cur = nil
		}
		if st.ended {
			return nil
		}
		b, ok := <-st.rows
		if !ok {
			st.ended, st.err = true, <-st.errc
			return nil
		}
		st.cur, st.i = b, 0
	}
	return &st.cur[st.i]
}

// stop ends the stream, early or after its end, and returns the sorter's
// error if reading it failed (none for a stream stopped early, whose
// remaining rows are dropped).
func (st *stream[T]) stop() error {
	if !st.stopped {
		st.stopped = true
		close(st.done)
		for range st.rows {
		}
		if !st.ended {
			st.ended, st.err = true, <-st.errc
			if errors.Is(st.err, errStopped) {
				st.err = nil
			}
		}
	}
	return st.err
}

// rowStream is a stream of packed users, unpacked.
type rowStream struct {
	st  *stream[packedRow]
	row spoolRow
	err error
}

func pullRows(ctx context.Context, s *pipeline.Sorter[packedRow]) *rowStream {
	return &rowStream{st: pull(ctx, s)}
}

// next is the next user, nil after the last one or a failure (see stop);
// valid until the next call, its strings for good.
func (rs *rowStream) next() *spoolRow {
	if rs.err != nil {
		return nil
	}
	p := rs.st.next()
	if p == nil {
		return nil
	}
	if err := p.unpack(&rs.row); err != nil {
		rs.err = fmt.Errorf("extract-entra spool, user %d of its export: %w", p.Seq, err)
		return nil
	}
	return &rs.row
}

func (rs *rowStream) stop() error {
	err := rs.st.stop()
	if rs.err != nil {
		return rs.err
	}
	return err
}

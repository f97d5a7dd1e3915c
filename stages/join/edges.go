package join

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// An edge is one candidate the key lookups found: cloud user ci, by rule
// kind, names AD user ai. Packed into a uint64 with ci in the high bits, so
// that sorting edges orders them by cloud user, then rule, then AD user:
// the order the rules consume them in.
type edge uint64

// Rule kinds, in the order the rules try them (docs/rules.md, "Join").
const (
	kindAnchor = iota
	kindOnPremUPN
	kindUPN
)

const (
	maxCloudRows = 1 << 30   // ci has 30 bits
	maxADRows    = 1<<31 - 1 // ai is an int32
)

func packEdge(ci int32, kind int, ai int32) edge {
	return edge(uint64(ci)<<34 | uint64(kind)<<32 | uint64(uint32(ai)))
}

func (e edge) cloud() int32 { return int32(e >> 34) }
func (e edge) kind() int    { return int(e>>32) & 3 }
func (e edge) ad() int32    { return int32(uint32(e)) }

// edgeRuns collects edges within a memory share and yields them sorted.
// Edges come in sorted runs (a probe of the cloud keys against one chunk
// of AD keys goes in cloud order), so a full buffer is sorted (cheap on
// sorted input), written raw to a spill file, and the runs are merged at
// the end; with everything in one buffer nothing touches the disk.
type edgeRuns struct {
	buf    []edge
	limit  int // edges the buffer may hold
	spill  func() (string, error)
	files  []string
	merged int
}

func newEdgeRuns(budget int64, spillDir func() (string, error)) *edgeRuns {
	return &edgeRuns{limit: max(int(budget/8), 64), spill: spillDir}
}

func (r *edgeRuns) add(e edge) error {
	r.buf = append(r.buf, e)
	if len(r.buf) >= r.limit {
		return r.flush()
	}
	return nil
}

// Spilled is how many runs went to disk.
func (r *edgeRuns) Spilled() int { return len(r.files) + r.merged }

// runFanIn is how many spilled runs one merge reads at once.
const runFanIn = 64

func (r *edgeRuns) flush() error {
	if len(r.buf) == 0 {
		return nil
	}
	slices.Sort(r.buf)
	path, err := r.newFile()
	if err != nil {
		return err
	}
	if err := writeRun(path, slices.Values(r.buf)); err != nil {
		return err
	}
	r.files = append(r.files, path)
	r.buf = r.buf[:0]
	if len(r.files) >= runFanIn {
		// Keep the final merge's open files bounded: fold these runs into one.
		it, err := r.mergeFiles(r.files)
		if err != nil {
			return err
		}
		path, err := r.newFile()
		if err != nil {
			it.close()
			return err
		}
		err = writeRun(path, it.all)
		if err == nil {
			err = it.err
		}
		it.close()
		if err != nil {
			return err
		}
		for _, f := range r.files {
			os.Remove(f)
		}
		r.merged += len(r.files)
		r.files = []string{path}
	}
	return nil
}

func (r *edgeRuns) newFile() (string, error) {
	dir, err := r.spill()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, fmt.Sprintf("edges-%06d", len(r.files)+r.merged)), nil
}

// writeRun writes edges little-endian, 8 bytes each.
func writeRun(path string, edges func(yield func(edge) bool)) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	var b [8]byte
	for e := range edges {
		binary.LittleEndian.PutUint64(b[:], uint64(e))
		w.Write(b[:])
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	return nil
}

// sorted returns every edge added, in order. The buffer stays in memory
// as one more run.
func (r *edgeRuns) sorted() (*edgeIter, error) {
	slices.Sort(r.buf)
	it, err := r.mergeFiles(r.files)
	if err != nil {
		return nil, err
	}
	it.addRun(&memRun{edges: r.buf})
	return it, nil
}

func (r *edgeRuns) mergeFiles(files []string) (*edgeIter, error) {
	it := &edgeIter{}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			it.close()
			return nil, fmt.Errorf("spill: %w", err)
		}
		if err := it.addRun(&fileRun{f: f, r: bufio.NewReaderSize(f, 1<<15), path: p}); err != nil {
			f.Close()
			it.close()
			return nil, err
		}
	}
	return it, nil
}

// edgeRun is one sorted source of edges.
type edgeRun interface {
	next() (edge, bool, error)
	close()
}

type memRun struct {
	edges []edge
	i     int
}

func (m *memRun) next() (edge, bool, error) {
	if m.i >= len(m.edges) {
		return 0, false, nil
	}
	m.i++
	return m.edges[m.i-1], true, nil
}

func (m *memRun) close() {}

type fileRun struct {
	f    *os.File
	r    *bufio.Reader
	path string
}

func (f *fileRun) next() (edge, bool, error) {
	var b [8]byte
	if _, err := io.ReadFull(f.r, b[:]); err == io.EOF {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("spill %s: %w", f.path, err)
	}
	return edge(binary.LittleEndian.Uint64(b[:])), true, nil
}

func (f *fileRun) close() { f.f.Close() }

// edgeIter merges runs; Peek and Next walk the edges in order.
type edgeIter struct {
	runs []edgeRun
	h    edgeHeap
	err  error
}

type headed struct {
	e edge
	r edgeRun
}

type edgeHeap []headed

func (h edgeHeap) Len() int           { return len(h) }
func (h edgeHeap) Less(i, j int) bool { return h[i].e < h[j].e }
func (h edgeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *edgeHeap) Push(x any)        { *h = append(*h, x.(headed)) }
func (h *edgeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (it *edgeIter) addRun(r edgeRun) error {
	it.runs = append(it.runs, r)
	e, ok, err := r.next()
	if err != nil {
		return err
	}
	if ok {
		heap.Push(&it.h, headed{e, r})
	}
	return nil
}

// peek is the next edge; ok is false after the last one or on error.
func (it *edgeIter) peek() (edge, bool) {
	if it.err != nil || len(it.h) == 0 {
		return 0, false
	}
	return it.h[0].e, true
}

// advance drops the edge peek returned.
func (it *edgeIter) advance() {
	top := &it.h[0]
	e, ok, err := top.r.next()
	switch {
	case err != nil:
		it.err = err
	case ok:
		top.e = e
		heap.Fix(&it.h, 0)
	default:
		heap.Pop(&it.h)
	}
}

// all yields the remaining edges (for folding runs into one).
func (it *edgeIter) all(yield func(edge) bool) {
	for {
		e, ok := it.peek()
		if !ok || !yield(e) {
			return
		}
		it.advance()
	}
}

func (it *edgeIter) close() {
	for _, r := range it.runs {
		r.close()
	}
	it.runs, it.h = nil, nil
}

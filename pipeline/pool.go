package pipeline

import (
	"math/bits"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// bufferPool is the memory.Allocator of one table writer's Parquet column
// writers. They take a page buffer, level buffers and a compression buffer
// per column and row group and free them when the row group is done; from
// Go's allocator each is new memory, zeroed and collected, and for a wide
// table such as joined that was a tenth of the join stage (the allocation
// rate also sets how often the collector runs). The pool keeps freed
// buffers, by power-of-two size, up to poolKeep bytes, and hands them out
// again cleared, as Go's allocator would. Buffers below poolMin bytes are
// left to Go: they are cheap, and many.
type bufferPool struct {
	mu   sync.Mutex
	free [poolClasses][][]byte
	kept int
}

const (
	poolMinShift = 12 // 4 KiB
	poolClasses  = 31 // up to 1 GiB
	poolKeep     = 64 << 20
	poolAlign    = 64 // what Arrow's allocators align to
)

// poolClass is the size class of n bytes: the smallest k with 1<<k >= n.
func poolClass(n int) int {
	return max(poolMinShift, bits.Len(uint(n-1)))
}

func (p *bufferPool) Allocate(size int) []byte {
	k := poolClass(size)
	if size < 1<<poolMinShift || k >= poolClasses {
		return memory.DefaultAllocator.Allocate(size)
	}
	p.mu.Lock()
	if n := len(p.free[k]); n > 0 {
		b := p.free[k][n-1]
		p.free[k][n-1] = nil
		p.free[k] = p.free[k][:n-1]
		p.kept -= cap(b)
		p.mu.Unlock()
		b = b[:size]
		clear(b)
		return b
	}
	p.mu.Unlock()
	buf := make([]byte, 1<<k+poolAlign)
	shift := int(-uintptr(unsafe.Pointer(&buf[0])) & (poolAlign - 1))
	return buf[shift : shift+size : shift+1<<k]
}

// Reallocate grows b like Go's allocator does (in place when it fits, else
// a copy); the old buffer is left to Go, since whoever resized it may still
// hold a slice of it.
func (p *bufferPool) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := p.Allocate(size)
	copy(nb, b)
	return nb
}

// Free keeps b for reuse if it is one of the pool's sizes and the pool has
// room.
func (p *bufferPool) Free(b []byte) {
	c := cap(b)
	if c < 1<<poolMinShift || c&(c-1) != 0 {
		return
	}
	k := bits.Len(uint(c)) - 1
	if k >= poolClasses {
		return
	}
	p.mu.Lock()
	if p.kept+c <= poolKeep {
		p.free[k] = append(p.free[k], b[:0])
		p.kept += c
	}
	p.mu.Unlock()
}

var _ memory.Allocator = (*bufferPool)(nil)

package join

import (
	"hash/maphash"
	"math/bits"
	"strings"
	"unsafe"
)

// keyIndex maps a key to AD rows in memory the garbage collector does not
// scan: an open-addressing table of hashes and row numbers, the keys'
// bytes copied into blocks of an arena. A map of a million strings was a
// million pointers for every collection to mark while the cloud keys were
// probed, and its strings held the decoded Parquet batches they pointed
// into. Almost every key is unique; the rows of a repeated key after its
// first go to a side map.
type keyIndex struct {
	seed   maphash.Seed
	slots  []keySlot // linear probing from hash·len/2⁶⁴, at most 3/4 full
	used   int
	blocks [][]byte // the keys' bytes
	more   map[string][]int32
}

// keySlot is one key: its hash (never 0; 0 is an empty slot), where its
// bytes are, and its first AD row.
type keySlot struct {
	hash       uint64
	block, off uint32
	n          uint32
	row        int32
}

// keyBlock is the size of an arena block; a longer key gets a block of
// its own.
const keyBlock = 1 << 20

// newKeyIndex sizes the index for n keys, so that it never has to grow
// when the guess is right.
func newKeyIndex(n int) *keyIndex {
	x := &keyIndex{seed: maphash.MakeSeed(), more: map[string][]int32{}}
	x.slots = make([]keySlot, max(n+n/3+1, 8))
	return x
}

// start is the slot where the probe for hash h begins.
func (x *keyIndex) start(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(x.slots)))
	return int(hi)
}

// find is the slot of key, or the empty slot where it would go.
func (x *keyIndex) find(key string, h uint64) *keySlot {
	for i := x.start(h); ; i++ {
		if i == len(x.slots) {
			i = 0
		}
		s := &x.slots[i]
		if s.hash == 0 || (s.hash == h && string(x.bytes(s)) == key) {
			return s
		}
	}
}

func (x *keyIndex) bytes(s *keySlot) []byte {
	return x.blocks[s.block][s.off : s.off+s.n : s.off+s.n]
}

func (x *keyIndex) add(key string, i int32) {
	if key == "" {
		return
	}
	h := maphash.String(x.seed, key) | 1
	s := x.find(key, h)
	if s.hash != 0 {
		if rows, ok := x.more[key]; ok {
			x.more[key] = append(rows, i)
		} else {
			// A copy: key may point into a decoded batch, which the
			// index would otherwise keep whole.
			x.more[strings.Clone(key)] = []int32{i}
		}
		return
	}
	block, off := x.store(key)
	*s = keySlot{hash: h, block: block, off: off, n: uint32(len(key)), row: i}
	if x.used++; x.used*4 >= len(x.slots)*3 {
		x.grow()
	}
}

// store copies key into the arena.
func (x *keyIndex) store(key string) (block, off uint32) {
	last := len(x.blocks) - 1
	if last < 0 || len(x.blocks[last])+len(key) > cap(x.blocks[last]) {
		x.blocks = append(x.blocks, make([]byte, 0, max(keyBlock, len(key))))
		last++
	}
	b := x.blocks[last]
	x.blocks[last] = append(b, key...)
	return uint32(last), uint32(len(b))
}

// full reports whether one more new key would make the table grow: the
// key lookups end a chunk there, since a table sized for the chunk's
// guess at its keys doubling would take twice its share of the budget.
func (x *keyIndex) full() bool { return (x.used+1)*4 >= len(x.slots)*3 }

// grow doubles the table, for more keys than newKeyIndex was told.
func (x *keyIndex) grow() {
	old := x.slots
	x.slots = make([]keySlot, 2*len(old))
	for _, s := range old {
		if s.hash == 0 {
			continue
		}
		i := x.start(s.hash)
		for x.slots[i].hash != 0 {
			if i++; i == len(x.slots) {
				i = 0
			}
		}
		x.slots[i] = s
	}
}

// lookup is every AD row under key, in AD order: first, then more. It
// does not allocate: key is only read while it runs.
func (x *keyIndex) lookup(key []byte) (first int32, more []int32, ok bool) {
	if len(key) == 0 {
		return 0, nil, false
	}
	k := unsafe.String(unsafe.SliceData(key), len(key))
	s := x.find(k, maphash.String(x.seed, k)|1)
	if s.hash == 0 {
		return 0, nil, false
	}
	if len(x.more) > 0 {
		more = x.more[k]
	}
	return s.row, more, true
}

package join

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKeyIndexIsAMap holds keyIndex to a map of every row under a key, for
// unique and repeated keys, long keys, keys that are prefixes of others,
// and an index told far fewer keys than it gets (so it grows).
func TestKeyIndexIsAMap(t *testing.T) {
	for _, guess := range []int{0, 10, 5000} {
		r := rand.New(rand.NewPCG(1, uint64(guess)))
		x := newKeyIndex(guess)
		want := map[string][]int32{}
		var keys []string
		for i := range int32(5000) {
			var k string
			switch r.IntN(10) {
			case 0:
				if len(keys) > 0 {
					k = keys[r.IntN(len(keys))] // a repeat
				}
			case 1:
				k = fmt.Sprintf("%0*d", 40+r.IntN(400), i)
				if i%1000 == 1 {
					k = fmt.Sprintf("%0*d", keyBlock/2+r.IntN(keyBlock), i) // longer than what is left of a block, or than a block
				}
			case 2:
				if len(keys) > 0 {
					k = keys[r.IntN(len(keys))] + "x" // shares a prefix
				}
			default:
				k = fmt.Sprintf("user%d@contoso.com", r.Uint64())
			}
			x.add(k, i)
			if k != "" {
				want[k] = append(want[k], i)
				keys = append(keys, k)
			}
		}
		if len(want) < 3000 {
			t.Fatalf("only %d distinct keys", len(want))
		}
		for k, rows := range want {
			first, more, ok := x.lookup([]byte(k))
			if got := append([]int32{first}, more...); !ok || !slices.Equal(got, rows) {
				t.Fatalf("guess %d: %.40q: %v %v, want %v", guess, k, got, ok, rows)
			}
			if _, _, ok := x.lookup([]byte(k + "\x00")); ok {
				t.Fatalf("guess %d: found %.40q+NUL, never added", guess, k)
			}
		}
		if _, _, ok := x.lookup(nil); ok {
			t.Fatal("found the empty key")
		}
		if x.used != len(want) || x.used*4 >= len(x.slots)*3 {
			t.Errorf("guess %d: %d keys in %d slots, %d distinct", guess, x.used, len(x.slots), len(want))
		}
	}
}

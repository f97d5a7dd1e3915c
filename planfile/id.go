package planfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"syncgap/pipeline"
)

// ID is an action's id: derived from what it does, so the same change gets
// the same id in every plan that contains it.
func ID(a *pipeline.Action) string {
	h := sha256.New()
	field := func(s string) {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	list := func(vals []string) {
		if vals == nil {
			field("null")
			return
		}
		fmt.Fprintf(h, "[%d]", len(vals))
		for _, v := range vals {
			field(v)
		}
	}
	field(string(a.Target))
	field(strings.ToLower(a.DN))
	field(a.EntraID)
	field(a.Attribute)
	field(string(a.Op))
	list(a.Expected)
	list(a.Value)
	field(string(a.Kind))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// OpFor is the op of a write that replaces expected by value: delete when
// it leaves nothing, add when nothing was there, replace otherwise.
func OpFor(expected, value []string) pipeline.Op {
	switch {
	case len(value) == 0:
		return pipeline.OpDelete
	case len(expected) == 0:
		return pipeline.OpAdd
	}
	return pipeline.OpReplace
}

package planfile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"sort"

	"syncgap/pipeline"
)

// HashFormat versions the canonical form the plan hash is computed over.
const HashFormat = "syncgap-plan-hash/1"

// Hash is the plan hash: SHA-256 of a canonical text naming the snapshot
// tables the plan was computed from (by their hashes), the parameters, and
// every action field in table order. It changes when any input table
// changes, even if the actions come out the same: approvals bind to the
// exact state of the directory a plan describes, as a saved Terraform plan does.
func Hash(inputs []pipeline.InputRecord, params map[string]string, actions []pipeline.Action) string {
	h := NewHasher(inputs, params)
	for i := range actions {
		h.Add(&actions[i])
	}
	return h.Sum()
}

// Hasher computes the plan hash as the actions come, in table order, so a
// plan need not hold them (docs/architecture.md, "Memory").
type Hasher struct {
	h hash.Hash
}

// NewHasher starts the hash of a plan computed from inputs with params.
func NewHasher(inputs []pipeline.InputRecord, params map[string]string) *Hasher {
	h := &Hasher{h: sha256.New()}
	fmt.Fprintf(h.h, "%s\n", HashFormat)
	ins := append([]pipeline.InputRecord(nil), inputs...)
	sort.Slice(ins, func(i, j int) bool { return ins[i].Path < ins[j].Path })
	for _, in := range ins {
		fmt.Fprintf(h.h, "input %q %s\n", in.Path, in.SHA256)
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(h.h, "param %q %q\n", k, params[k])
	}
	return h
}

// Add hashes the next action.
func (h *Hasher) Add(a *pipeline.Action) {
	// A JSON array per action: unambiguous quoting, and null stays
	// distinct from an empty list.
	b, _ := json.Marshal([]any{
		a.ActionID, a.Kind, a.Target, a.DN, a.UPN, a.EntraID, a.Attribute, a.Op,
		a.Expected, a.Value, a.ADValue, a.CloudValue, a.Reason, a.Risk,
		a.MatchStatus, a.State, a.Timing,
	})
	h.h.Write(b)
	io.WriteString(h.h, "\n")
}

// Sum is the plan hash of the actions added so far.
func (h *Hasher) Sum() string { return hex.EncodeToString(h.h.Sum(nil)) }

package planfile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	h := sha256.New()
	writeCanonical(h, inputs, params, actions)
	return hex.EncodeToString(h.Sum(nil))
}

func writeCanonical(w io.Writer, inputs []pipeline.InputRecord, params map[string]string, actions []pipeline.Action) {
	fmt.Fprintf(w, "%s\n", HashFormat)
	ins := append([]pipeline.InputRecord(nil), inputs...)
	sort.Slice(ins, func(i, j int) bool { return ins[i].Path < ins[j].Path })
	for _, in := range ins {
		fmt.Fprintf(w, "input %q %s\n", in.Path, in.SHA256)
	}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w, "param %q %q\n", k, params[k])
	}
	for i := range actions {
		a := &actions[i]
		// A JSON array per action: unambiguous quoting, and null stays
		// distinct from an empty list.
		b, _ := json.Marshal([]any{
			a.ActionID, a.Kind, a.Target, a.DN, a.UPN, a.EntraID, a.Attribute, a.Op,
			a.Expected, a.Value, a.ADValue, a.CloudValue, a.Reason, a.Risk,
			a.MatchStatus, a.State, a.Timing,
		})
		w.Write(b)
		io.WriteString(w, "\n")
	}
}

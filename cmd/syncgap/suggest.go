package main

import (
	"strings"
	"syncgap/pipeline"
)

// closest is the candidate nearest to name, for a "did you mean": within a
// third of name's length in edits, or one that name begins (at least three
// characters); "" when none is near. Ties go to the first in sort order.
func closest(name string, candidates []string) string {
	limit := len(name)/3 + 1
	best, bestD := "", limit+1
	for _, c := range candidates {
		d := pipeline.EditDistance(name, c)
		if strings.HasPrefix(c, name) && len(name) >= 3 {
			d = 1
		}
		if d < bestD || d == bestD && best != "" && c < best {
			best, bestD = c, d
		}
	}
	if bestD > limit {
		return ""
	}
	return best
}

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError makes pflag's errors say what to type instead: a long flag
// given with one dash, as PowerShell's own commands take them
// ("unknown shorthand flag: 'l' in -ldif"), and a misspelt flag. The
// message keeps pflag's words first, so it is still a usage error.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	name := ""
	switch {
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		i := strings.LastIndex(msg, " in -")
		if i < 0 {
			return err
		}
		name, _, _ = strings.Cut(msg[i+len(" in -"):], "=")
		if lookupFlag(cmd, name) != nil {
			return fmt.Errorf("%s: use --%s (long flags take two dashes)", msg, name)
		}
	case strings.HasPrefix(msg, "unknown flag: --"):
		name, _, _ = strings.Cut(strings.TrimPrefix(msg, "unknown flag: --"), "=")
	default:
		return err
	}
	if s := closestFlag(cmd, name); s != "" {
		return fmt.Errorf("%s: did you mean --%s?", msg, s)
	}
	return err
}

func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f
	}
	return cmd.InheritedFlags().Lookup(name)
}

// closestFlag is the visible flag of cmd nearest to name, if one is near:
// within a third of its length in edits, or name is a prefix of it.
func closestFlag(cmd *cobra.Command, name string) string {
	limit := len(name)/3 + 1
	best, bestD := "", limit+1
	visit := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := editDistance(strings.ToLower(name), f.Name)
		if strings.HasPrefix(f.Name, strings.ToLower(name)) && len(name) >= 3 {
			d = 1
		}
		if d < bestD || d == bestD && best != "" && f.Name < best {
			best, bestD = f.Name, d
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	if bestD > limit || best == "" {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours, the slips
// of typing.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

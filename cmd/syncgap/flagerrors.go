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

// closestFlag is the visible flag of cmd nearest to name, if one is near.
func closestFlag(cmd *cobra.Command, name string) string {
	var names []string
	visit := func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return closest(strings.ToLower(name), names)
}

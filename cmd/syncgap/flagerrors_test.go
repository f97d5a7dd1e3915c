package main

import (
	"runtime"
	"strings"
	"testing"
)

// TestFlagErrorsSayWhatToType: a PowerShell-style single-dash long flag
// and a misspelt one get the flag to use, still as usage errors; version
// and --version print the version with the Go toolchain.
func TestFlagErrorsSayWhatToType(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "-ldif", "x.ldif"}, "use --ldif (long flags take two dashes)"},
		{[]string{"audit", "-export=pages"}, "use --export (long flags take two dashes)"},
		{[]string{"audit", "--ldfi", "x.ldif"}, "did you mean --ldif?"},
		{[]string{"plan", "--polcy", "review"}, "did you mean --policy?"},
		{[]string{"plan", "--snap", "s"}, "did you mean --snapshot?"},
		{[]string{"approve", "--workbok", "w.xlsx"}, "did you mean --workbook?"},
	} {
		_, stderr, code := syncgap(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("syncgap %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
	}
	_, stderr, _ := syncgap(t, "audit", "--zzzzzzzz", "x")
	if strings.Contains(stderr, "did you mean") {
		t.Errorf("a flag like no other got a suggestion: %q", stderr)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, code := syncgap(t, args...)
		if code != 0 || !strings.HasPrefix(out, "syncgap ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("syncgap %s: exit %d, %q", args[0], code, out)
		}
	}
}

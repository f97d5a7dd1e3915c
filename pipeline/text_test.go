package pipeline

import (
	"strings"
	"testing"
)

func TestTerminalText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain ünïcode", "plain ünïcode"},
		{"upn \x1b[31mred\x1b[0m", `upn \x1b[31mred\x1b[0m`},
		{"two\nlines\r", `two\nlines\r`},
		{"bell\a and nul\x00", `bell\a and nul\x00`},
		{"bad utf8 \xff", `bad utf8 \ufffd`},
	} {
		if got := TerminalText(tc.in); got != tc.want {
			t.Errorf("TerminalText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := TerminalText(strings.Repeat("x", 5<<20))
	if len(long) > maxMessage+64 || !strings.Contains(long, "more bytes)") {
		t.Errorf("a 5 MB message became %d bytes", len(long))
	}
}

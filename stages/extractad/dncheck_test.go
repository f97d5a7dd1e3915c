package extractad

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// Past its share of the budget the repeated-DN check sorts instead of
// looking up, and finds the repeat only at the end: the stage reports the
// same line, DN and first line as the in-memory check, whatever the
// repeat is (a user, a non-user, another case) and wherever it is, and
// writes and leaves nothing.
func TestRepeatedDNPastTheBudget(t *testing.T) {
	var many strings.Builder
	for i := range 300 {
		many.WriteString(user(fmt.Sprintf("U%03d", i), fmt.Sprintf("userPrincipalName: u%03d@x", i)))
	}
	for _, tc := range []struct{ name, ldif string }{
		{"user, other case, late", many.String() + user("u007") + user("U299")},
		{"two repeats: the earlier second occurrence wins", user("A") + many.String() + user("U200") + user("a")},
		{"non-user", "dn: CN=G,DC=x\nobjectClass: group\n\n" + many.String() + "dn: cn=g,DC=x\nobjectClass: group\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "users.ldif", tc.ldif)
			_, want := ReadLDIF(strings.NewReader(tc.ldif), path, func(*pipeline.ADUser) error { return nil })
			if want == nil || !strings.Contains(want.Error(), "duplicate dn") {
				t.Fatalf("the in-memory check: %v", want)
			}
			// Straight through the reader, the repeat is found at the end.
			dns := newDNCheck(t.TempDir(), 4*dnEntryBytes)
			_, err := readLDIF(context.Background(), strings.NewReader(tc.ldif), path, dns, func(*pipeline.ADUser) error { return nil })
			dns.close()
			var rep *repeatedDNError
			if !errors.As(err, &rep) || !strings.HasPrefix(want.Error(), fmt.Sprintf("%s:%d: ", path, rep.later)) ||
				!strings.HasSuffix(want.Error(), fmt.Sprintf("(first at line %d)", rep.first)) {
				t.Fatalf("the sorted check: %v, want the repeat of %v", err, want)
			}
			dir := t.TempDir()
			// 4 KiB gives the check 512 bytes: eight DNs before it sorts.
			ctx := pipeline.WithMemory(context.Background(), 4<<10)
			_, _, err = LDIFStage.Run(ctx, pipeline.NewRunner(dir), LDIFConfig{LDIF: path})
			if err == nil || err.Error() != want.Error() {
				t.Fatalf("past the budget: %v\nwant: %v", err, want)
			}
			noTable(t, dir)
		})
	}
}

// The check past its budget finds nothing in a file without repeats, so
// a big clean export is not refused.
func TestNoRepeatPastTheBudget(t *testing.T) {
	dns := newDNCheck(t.TempDir(), 4*dnEntryBytes)
	defer dns.close()
	for i := range 1000 {
		if _, dup, err := dns.add(fmt.Sprintf("CN=U%d,DC=x", i), i+1); dup || err != nil {
			t.Fatal(dup, err)
		}
	}
	if !dns.spilled() {
		t.Fatal("the check did not sort")
	}
	if later, first, found, err := dns.repeated(context.Background()); found || err != nil {
		t.Fatalf("repeat %d/%d found in a file without one (%v)", later, first, err)
	}
}

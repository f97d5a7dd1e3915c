package workbook

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

func TestClip(t *testing.T) {
	limit := excelize.TotalCellChars
	tests := []struct {
		name    string
		in      string
		clipped bool
	}{
		{"short", "+1 425 555 0100", false},
		{"at the limit", strings.Repeat("a", limit), false},
		{"one over", strings.Repeat("a", limit+1), true},
		{"astral runes count twice", strings.Repeat("😀", limit/2+1), true},
		{"multi-byte but within", strings.Repeat("é", limit), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clip(tt.in)
			units := len(utf16.Encode([]rune(got)))
			if units > limit {
				t.Errorf("clip gives %d UTF-16 units, limit %d", units, limit)
			}
			if clipped := got != tt.in; clipped != tt.clipped {
				t.Errorf("clipped = %v, want %v", clipped, tt.clipped)
			}
			if tt.clipped && !strings.Contains(got, "more characters not shown") {
				t.Errorf("clipped value does not say so: …%q", got[len(got)-80:])
			}
		})
	}
}

// Control characters cannot appear in XML; the workbook must stay readable,
// with the rest of the value intact. Newlines and long lists survive.
func TestWriteAuditOddValues(t *testing.T) {
	long := make([]string, 3000)
	for i := range long {
		long[i] = "+1 425 555 0100"
	}
	a := &Audit{Gaps: pipeline.Slice[pipeline.Gap]{{
		UPN: "ctl\x01\x1b@corp.example", DN: "CN=Line\nBreak,DC=corp", MatchStatus: pipeline.Matched,
		MobileState: pipeline.Mismatch, OtherMobileState: pipeline.Mismatch, OtherMobileAD: long,
		Effect: pipeline.OverwritesCloud, Risk: pipeline.RiskMedium,
	}}}
	f, err := excelize.OpenFile(writeFixture(t, a, excelize.TotalRows))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := readRows(t, f, GapsSheet)
	if len(rows) != 2 {
		t.Fatalf("rows = %d, want 2", len(rows))
	}
	if got, want := rows[1][0], "ctl\uFFFD\uFFFD@corp.example"; got != want {
		t.Errorf("UPN = %q, want %q", got, want)
	}
	if got, want := rows[1][1], "CN=Line\nBreak,DC=corp"; got != want {
		t.Errorf("DN = %q, want %q", got, want)
	}
	if got := rows[1][7]; !strings.HasPrefix(got, "+1 425 555 0100; +1 425") || !strings.Contains(got, "more characters not shown") {
		t.Errorf("AD otherMobile of 3000 values = %q…, want it cut visibly", got[:40])
	}
}

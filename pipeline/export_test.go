package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func exportFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rows := []Gap{
		{UPN: "zoë@contoso.com", DN: "CN=Zoë,DC=x", MobileAD: "+1 425 555 0100", MobileEntra: "=HYPERLINK(\"x\")",
			OtherMobileAD: []string{"+44 20 7946 0000", "-1"}, OtherMobileEntra: nil, MobileState: Mismatch, Reason: "line 1\nline \"2\" 😀"},
		{UPN: "b@contoso.com", OtherMobileAD: []string{}, OtherMobileEntra: []string{}},
	}
	if _, err := WriteTable(dir, GapsTable, rows); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, FileName(GapsTable))
}

// The CSV starts with a BOM and ADSyncTools' columns, keeps phone numbers
// as they are, defuses formulas, and reads back to the table's values.
func TestExportCSV(t *testing.T) {
	var b bytes.Buffer
	n, err := ExportTable(&b, exportFixture(t), ExportCSV, CompareColumns)
	if err != nil || n != 2 {
		t.Fatalf("%d rows, %v", n, err)
	}
	text, ok := strings.CutPrefix(b.String(), "\uFEFF")
	if !ok {
		t.Fatal("no byte order mark")
	}
	if !strings.Contains(text, "\r\n") {
		t.Error("no CRLF line ends")
	}
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	if !slices.Equal(head[:4], []string{"UserPrincipalName", "MobileInAD", "MobileInEntra", "upn"}) {
		t.Fatalf("header %v", head)
	}
	get := func(row int, col string) string { return recs[row][slices.Index(head, col)] }
	for _, c := range []struct{ col, want string }{
		{"UserPrincipalName", "zoë@contoso.com"},
		{"MobileInAD", "+1 425 555 0100"},
		{"MobileInEntra", `'=HYPERLINK("x")`},
		{"other_mobile_ad", "+44 20 7946 0000;-1"},
		{"other_mobile_entra", ""},
		{"mobile_state", "mismatch"},
		{"reason", "line 1\nline \"2\" 😀"},
	} {
		if got := get(1, c.col); got != c.want {
			t.Errorf("%s = %q, want %q", c.col, got, c.want)
		}
	}
	if len(recs) != 3 {
		t.Errorf("%d records", len(recs))
	}
}

// The JSON is ASCII, parses, keeps null apart from an empty list, and has
// the table's values.
func TestExportJSON(t *testing.T) {
	var b bytes.Buffer
	if _, err := ExportTable(&b, exportFixture(t), ExportJSON, CompareColumns); err != nil {
		t.Fatal(err)
	}
	for i, c := range b.Bytes() {
		if c >= 0x80 {
			t.Fatalf("non-ASCII byte at %d: %q", i, b.String())
		}
	}
	var rows []map[string]any
	if err := json.Unmarshal(b.Bytes(), &rows); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(rows) != 2 || rows[0]["UserPrincipalName"] != "zoë@contoso.com" || rows[0]["reason"] != "line 1\nline \"2\" 😀" ||
		rows[0]["MobileInEntra"] != `=HYPERLINK("x")` || rows[0]["other_mobile_entra"] != nil {
		t.Errorf("rows %v", rows)
	}
	if l, ok := rows[1]["other_mobile_entra"].([]any); !ok || len(l) != 0 {
		t.Errorf("an empty list became %v", rows[1]["other_mobile_entra"])
	}
	if !strings.HasPrefix(b.String(), "[\n{\"UserPrincipalName\":") {
		t.Errorf("keys not in order: %.80s", b.String())
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"+1 425 555 0100": "+1 425 555 0100", "+44 (20) 7946-0000 x12": "+44 (20) 7946-0000 x12", "-1": "-1", "-": "-",
		"=1+1": "'=1+1", "@SUM(A1)": "'@SUM(A1)", "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0", "-SUM(1)": "'-SUM(1)", "\tx": "'\tx", "a=b": "a=b",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// A row as AppendRowJSON writes it is the row as ExportJSON writes it.
func TestAppendRowJSONIsTheExportedRow(t *testing.T) {
	path := exportFixture(t)
	var b bytes.Buffer
	if _, err := ExportTable(&b, path, ExportJSON, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	rows, err := ReadRows[Gap](path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		got, err := AppendRowJSON(nil, &rows[i])
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(lines[i+1], ",")
		if string(got) != want {
			t.Errorf("row %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

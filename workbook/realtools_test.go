package workbook

import (
	"compress/gzip"
	"encoding/csv"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Helpers that open workbooks with real spreadsheet programs, the way a
// reviewer would, instead of trusting excelize to read back what it wrote.

// requireTool returns the path of a program the test needs. Missing, it fails
// the test when CI is set (a CI run must not pass by skipping its real-program
// checks) and skips it otherwise.
func requireTool(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found and CI is set: install %s", name, install)
	}
	t.Skipf("%s not found (install %s); set CI=1 to make this a failure", name, install)
	return ""
}

// ssconvert runs gnumeric's converter and fails the test on error, showing
// its output (gnumeric's namespace warnings on stderr are harmless).
func ssconvert(t testing.TB, args ...string) {
	t.Helper()
	bin := requireTool(t, "ssconvert", "the Debian package gnumeric")
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // keep gnumeric's settings out of the real home
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssconvert %v: %v\n%s", args, err, out)
	}
}

// SheetCSV converts a workbook with gnumeric's ssconvert into one CSV per
// sheet and returns the records by sheet name. Formulas come out evaluated,
// so a literal "=HYPERLINK(…)" in the result proves the cell is text.
func SheetCSV(t testing.TB, xlsxPath string) map[string][][]string {
	t.Helper()
	dir := t.TempDir()
	// -S writes one file per sheet; %n is the sheet's index and %s its name.
	ssconvert(t, "-S", xlsxPath, filepath.Join(dir, "%n.%s.csv"))
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("ssconvert wrote no CSV for %s (%v)", xlsxPath, err)
	}
	out := map[string][][]string{}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".csv")
		_, name, ok := strings.Cut(base, ".")
		if !ok {
			t.Fatalf("unexpected ssconvert output %s", f)
		}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(fh)
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[name] = recs
	}
	return out
}

// sheetOrder returns the sheet names in workbook order as gnumeric sees them.
func sheetOrder(t testing.TB, xlsxPath string) []string {
	t.Helper()
	var names []string
	for _, s := range gnumericSheets(t, xlsxPath) {
		names = append(names, s.Name)
	}
	return names
}

// gnmCell is one cell as gnumeric stores it: ValueType 60 is a string, 40 a
// number; a formula has no ValueType and its text starts with "=".
type gnmCell struct {
	Row       int    `xml:"Row,attr"`
	Col       int    `xml:"Col,attr"`
	ValueType string `xml:"ValueType,attr"`
	// ExprID names a shared formula: the first cell holding it carries the
	// text, later ones only the id (the formula is the same relative to them).
	ExprID string `xml:"ExprID,attr"`
	Text   string `xml:",chardata"`
}

// gnmSheet is the part of a gnumeric sheet the tests look at.
type gnmSheet struct {
	Name    string    `xml:"Name"`
	Cells   []gnmCell `xml:"Cells>Cell"`
	Filters []struct {
		Area string `xml:"Area,attr"`
	} `xml:"Filters>Filter"`
	Freeze struct {
		Unfrozen string `xml:"UnfrozenTopLeft,attr"`
	} `xml:"SheetLayout>FreezePanes"`
	Charts []struct {
		Bound string `xml:"ObjectBound,attr"`
	} `xml:"Objects>SheetObjectGraph"`
}

// isString reports whether gnumeric holds the cell as a string value.
func (c gnmCell) isString() bool { return c.ValueType == "60" }

// gnumericSheets converts a workbook to gnumeric's own XML format, which
// keeps cell types, formulas, filters and frozen panes the CSV loses.
func gnumericSheets(t testing.TB, xlsxPath string) []gnmSheet {
	t.Helper()
	out := filepath.Join(t.TempDir(), "book.gnumeric")
	ssconvert(t, xlsxPath, out)
	fh, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	var wb struct {
		Sheets []gnmSheet `xml:"Sheets>Sheet"`
	}
	if err := xml.NewDecoder(zr).Decode(&wb); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	return wb.Sheets
}

// cellName is the A1 name of a zero-based gnumeric cell position.
func cellName(row, col int) string {
	name := ""
	for col++; col > 0; col = (col - 1) / 26 {
		name = string(rune('A'+(col-1)%26)) + name
	}
	return name + strconv.Itoa(row+1)
}

package workbook

import (
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// loCell is a cell as LibreOffice stores it in flat ODS: its value type
// (string, float, …), its formula if any, and its text.
type loCell struct {
	Type, Formula, Text string
}

// libreOfficeSheets converts a workbook with LibreOffice to flat ODS and
// returns each sheet's cells as a grid. make test installs LibreOffice, and
// under CI a missing soffice is a failure, never a skip.
func libreOfficeSheets(t *testing.T, xlsxPath string) map[string][][]loCell {
	t.Helper()
	bin := requireTool(t, "soffice", "the Debian package libreoffice-calc-nogui")
	dir := t.TempDir()
	cmd := exec.Command(bin, "--headless", "--norestore",
		"-env:UserInstallation=file://"+filepath.Join(dir, "profile"), // a private profile: parallel runs do not collide
		"--convert-to", "fods", "--outdir", dir, xlsxPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	name := strings.TrimSuffix(filepath.Base(xlsxPath), filepath.Ext(xlsxPath)) + ".fods"
	fh, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("soffice wrote no %s: %v", name, err)
	}
	defer fh.Close()
	sheets, err := parseFODS(fh)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return sheets
}

// loStrings is a sheet's texts, width cells a row, as LibreOffice read
// them; a cell read as anything but a string fails the test.
func loStrings(t *testing.T, sheets map[string][][]loCell, sheet string, width int) [][]string {
	t.Helper()
	var out [][]string
	for i, r := range sheets[sheet] {
		texts := make([]string, width)
		for j, c := range r {
			if c.Formula != "" || (c.Text != "" && c.Type != "string") {
				t.Errorf("%s!%s = %q: type %q formula %q, want a string", sheet, cellName(i, j), c.Text, c.Type, c.Formula)
			}
			if j < len(texts) {
				texts[j] = c.Text
			}
		}
		out = append(out, texts)
	}
	return out
}

// loTypes is the type LibreOffice gave each text of a sheet; a formula
// fails the test.
func loTypes(t *testing.T, sheets map[string][][]loCell, sheet string) map[string]string {
	t.Helper()
	found := map[string]string{}
	for _, r := range sheets[sheet] {
		for _, c := range r {
			if c.Formula != "" {
				t.Errorf("%s cell %q is a formula %q", sheet, c.Text, c.Formula)
			}
			found[c.Text] = c.Type
		}
	}
	return found
}

// parseFODS reads the cell grid of every table in a flat ODS document.
// Repeated empty rows and cells (LibreOffice writes the whole sheet extent as
// repeats) are not materialised unless content follows them.
func parseFODS(r io.Reader) (map[string][][]loCell, error) {
	const (
		tableNS  = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
		officeNS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
		textNS   = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
		drawNS   = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
	)
	attr := func(se xml.StartElement, space, local string) string {
		for _, a := range se.Attr {
			if a.Name.Space == space && a.Name.Local == local {
				return a.Value
			}
		}
		return ""
	}
	repeat := func(se xml.StartElement, local string) int {
		if n, err := strconv.Atoi(attr(se, tableNS, local)); err == nil && n > 0 {
			return n
		}
		return 1
	}
	out := map[string][][]loCell{}
	var (
		sheet                string
		rows                 [][]loCell
		row                  []loCell
		emptyRows, emptyCols int
		rowRep, cellRep      int
		cell                 *loCell
		text                 strings.Builder
		paras                int
		inP                  bool
	)
	d := xml.NewDecoder(r)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch {
			case tok.Name.Space == drawNS:
				// Drawings (the chart) embed their own tables; they are not cells.
				if err := d.Skip(); err != nil {
					return nil, err
				}
			case tok.Name.Space == tableNS && tok.Name.Local == "table":
				sheet, rows, emptyRows = attr(tok, tableNS, "name"), nil, 0
			case tok.Name.Space == tableNS && tok.Name.Local == "table-row":
				row, emptyCols, rowRep = nil, 0, repeat(tok, "number-rows-repeated")
			case tok.Name.Space == tableNS && (tok.Name.Local == "table-cell" || tok.Name.Local == "covered-table-cell"):
				cell = &loCell{Type: attr(tok, officeNS, "value-type"), Formula: attr(tok, tableNS, "formula")}
				cellRep, paras = repeat(tok, "number-columns-repeated"), 0
				text.Reset()
			case tok.Name.Space == textNS && tok.Name.Local == "p" && cell != nil:
				if paras++; paras > 1 {
					text.WriteByte('\n')
				}
				inP = true
			case tok.Name.Space == textNS && tok.Name.Local == "s" && cell != nil:
				n, err := strconv.Atoi(attr(tok, textNS, "c"))
				if err != nil || n < 1 {
					n = 1
				}
				text.WriteString(strings.Repeat(" ", n))
			}
		case xml.CharData:
			if cell != nil && inP {
				text.Write(tok)
			}
		case xml.EndElement:
			switch {
			case tok.Name.Space == textNS && tok.Name.Local == "p":
				inP = false
			case tok.Name.Space == tableNS && (tok.Name.Local == "table-cell" || tok.Name.Local == "covered-table-cell"):
				cell.Text = text.String()
				if *cell == (loCell{}) {
					emptyCols += cellRep
				} else {
					row = append(row, make([]loCell, emptyCols)...)
					emptyCols = 0
					for range cellRep {
						row = append(row, *cell)
					}
				}
				cell = nil
			case tok.Name.Space == tableNS && tok.Name.Local == "table-row":
				if len(row) == 0 {
					emptyRows += rowRep
					break
				}
				rows = append(rows, make([][]loCell, emptyRows)...)
				emptyRows = 0
				for range rowRep {
					rows = append(rows, row)
				}
			case tok.Name.Space == tableNS && tok.Name.Local == "table":
				out[sheet] = rows
			}
		}
	}
}

// The workbook as LibreOffice Calc reads it: inline-string data cells and
// shared-string Summary cells are strings, never formulas, with exact text.
func TestAuditInLibreOffice(t *testing.T) {
	p := writeFixture(t, fixtureAudit(), 1048576)
	sheets := libreOfficeSheets(t, p)
	for _, tt := range []struct {
		sheet string
		want  [][]string
	}{{GapsSheet, wantGapRows}, {UnmatchedSheet, wantUnmatchedRows}} {
		if got := loStrings(t, sheets, tt.sheet, len(tt.want[0])); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n%q\nwant:\n%q", tt.sheet, got, tt.want)
		}
	}
	// On the Summary the directory values are shared strings and the counts
	// numbers; the hostile snapshot path and parameters must stay text.
	found := loTypes(t, sheets, SummarySheet)
	for _, v := range []string{hostileSum + "/snap", hostileHyperlink, hostileAt, hostileMinus} {
		if found[v] != "string" {
			t.Errorf("Summary value %q has type %q, want string", v, found[v])
		}
	}
	// A number, shown with a thousands separator (#,##0).
	if found["1,234"] != "float" {
		t.Errorf("input size 1,234 has type %q, want a number", found["1,234"])
	}
}

// A negative control: LibreOffice's reading of a real formula and a real
// number differs from a string's, so the checks above can fail.
func TestLibreOfficeSeesFormulas(t *testing.T) {
	p := filepath.Join(t.TempDir(), "formulas.xlsx")
	f := excelize.NewFile()
	defer f.Close()
	for ref, v := range map[string]any{"B1": -5, "C1": hostileSum} {
		if err := f.SetCellValue("Sheet1", ref, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SetCellFormula("Sheet1", "A1", `HYPERLINK("http://x","y")`); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	row := libreOfficeSheets(t, p)["Sheet1"][0]
	if len(row) != 3 || row[0].Formula == "" || row[1].Type != "float" || row[2] != (loCell{Type: "string", Text: hostileSum}) {
		t.Errorf("cells = %+v, want a formula, a number and the string %q", row, hostileSum)
	}
}

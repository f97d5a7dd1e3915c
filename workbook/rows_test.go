package workbook

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// trickyRows are cell values whose XML excelize writes in special ways:
// escapes, edge whitespace, characters XML cannot hold, Excel's _xHHHH_
// escapes, text over Excel's cell limit, styled empty cells, formulas.
func trickyRows(style int) [][]any {
	long := strings.Repeat("é", excelize.TotalCellChars+5)
	astral := strings.Repeat("😀", excelize.TotalCellChars/2+3)
	return [][]any{
		{"plain", "R&D <team> \"quoted\" 'single'", nil, "+1 425 555 0100"},
		{" leading", "trailing ", "\ttab", "line\nbreak\r\nCRLF"},
		{"ctl\x01char", "bad\xffutf8", "ok ünïcödé 张", "\u00a0nbsp"},
		{"_x0041_", "_x005F_x0041_", "a_x00zz_b", "_x005F_"},
		{"_xD800_ surrogate", "under_score", "x_y", "_x"},
		{long, astral, excelize.Cell{StyleID: style, Value: "styled"}, excelize.Cell{StyleID: style}},
		{excelize.Cell{StyleID: style, Formula: `IF(TRIM($C2)<>"",TRIM($C2),"")`}, "", nil, excelize.Cell{Value: "cell without style"}},
	}
}

// sheetXML writes rows onto Sheet1 of a new workbook, either through
// excelize's StreamWriter or through sheetRows, and returns the sheet's XML
// as read back through archive/zip (which checks the CRC).
func sheetXML(t *testing.T, ours bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	colStyle, err := f.NewStyle(&excelize.Style{NumFmt: textFormat})
	if err != nil {
		t.Fatal(err)
	}
	cellStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		t.Fatal(err)
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	styles := []int{colStyle, 0, colStyle, colStyle}
	for i := len(styles) - 1; i >= 0; i-- {
		if styles[i] != 0 {
			if err := sw.SetColStyle(i+1, i+1, styles[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := sw.SetRow("A1", []any{"h1", "h2", "h3", "h4"}); err != nil {
		t.Fatal(err)
	}
	rows, err := newSheetRows(styles, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { rows.stop(); rows.release() }()
	for i, vals := range trickyRows(cellStyle) {
		n := i + 2
		height := float64(0)
		if i%2 == 1 {
			height = 37.5
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		switch {
		case ours:
			err = rows.add(n, vals, height)
		case height > 0:
			err = sw.SetRow(cell, vals, excelize.RowOpts{Height: height})
		default:
			err = sw.SetRow(cell, vals)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	parts := map[string]*sheetRows{}
	if ours {
		if err := rows.finish(); err != nil {
			t.Fatal(err)
		}
		parts["xl/worksheets/sheet1.xml"] = rows
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.SetZipWriter(zipWithRows(parts))
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name != "xl/worksheets/sheet1.xml" {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc) // a wrong CRC fails here
		if err != nil {
			t.Fatalf("read %s: %v", zf.Name, err)
		}
		return b
	}
	t.Fatal("no sheet1.xml")
	return nil
}

// TestSheetRowsWriteWhatExcelizeWrites: the rows written without excelize
// are byte for byte the XML its StreamWriter writes, spliced into a part
// whose CRC and deflate stream are valid.
func TestSheetRowsWriteWhatExcelizeWrites(t *testing.T) {
	want, got := sheetXML(t, false), sheetXML(t, true)
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(0, i-80)
		t.Fatalf("sheet XML differs at byte %d:\nexcelize: %q\nours:     %q", i, want[lo:min(len(want), i+80)], got[lo:min(len(got), i+80)])
	}
	if !bytes.Contains(want, []byte("_x005F_x0041_")) || !bytes.Contains(want, []byte(`xml:space="preserve"`)) {
		t.Fatal("the tricky rows no longer exercise the escapes they are for")
	}
}

func TestSheetRowsRefuseWhatTheyCannotWrite(t *testing.T) {
	r, err := newSheetRows([]int{0, 0}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.stop(); r.release() }()
	for _, vals := range [][]any{{42}, {"a", "b", "c"}, {excelize.Cell{Value: 1.5}}, {excelize.Cell{Formula: "1+1", Value: "2"}}} {
		if err := r.add(2, vals, 0); err == nil {
			t.Errorf("%v: written, want an error", vals)
		}
	}
	if err := r.add(2, []any{"x"}, excelize.MaxRowHeight+1); err == nil {
		t.Error("a row taller than Excel allows was written")
	}
}

func TestCRC32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range [][2]int{{0, 0}, {5, 0}, {0, 7}, {1, 1}, {100, 3}, {3, 100000}, {1 << 16, 1<<20 + 17}} {
		a, b := make([]byte, n[0]), make([]byte, n[1])
		for i := range a {
			a[i] = byte(rng.Uint32())
		}
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		want := crc32.ChecksumIEEE(append(append([]byte{}, a...), b...))
		if got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))); got != want {
			t.Errorf("lengths %v: %08x, want %08x", n, got, want)
		}
	}
}

func TestSplicedPartMustBeWritten(t *testing.T) {
	rows, err := newSheetRows([]int{0}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { rows.stop(); rows.release() }()
	if err := rows.add(2, []any{"x"}, 0); err != nil {
		t.Fatal(err)
	}
	if err := rows.finish(); err != nil {
		t.Fatal(err)
	}
	// A part that lacks </sheetData>, and rows for a part never written.
	z := zipWithRows(map[string]*sheetRows{"xl/worksheets/sheet1.xml": rows})(io.Discard)
	w, err := z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "<worksheet><sheetData><row r=\"1\"/>")
	if err := z.Close(); err == nil || !strings.Contains(err.Error(), "sheetData") {
		t.Errorf("part without </sheetData>: %v, want an error", err)
	}
	z = zipWithRows(map[string]*sheetRows{"xl/worksheets/sheet9.xml": rows})(io.Discard)
	if err := z.Close(); err == nil {
		t.Error("rows for a part never written: closed without an error")
	}
}

package workbook

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// The signed-workbook reader's limits and refusals. Every hostile or
// damaged workbook here is made from a real plan workbook (WritePlan's,
// through writeBriefPlan) by rewriting its archive, and every test checks
// that ReadSigned refuses it with one line naming the file and the sheet
// or cell, never reading it as fewer (or no) decisions.

// zipEntry is one archive member as a test rewrites it: Data is written
// compressed afresh, unless Raw is set, which is written as is under
// Header (sizes and CRC as the header says, true or not).
type zipEntry struct {
	Name   string
	Data   []byte
	Raw    []byte
	Header *zip.FileHeader
}

func readEntries(t *testing.T, path string) []*zipEntry {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []*zipEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &zipEntry{Name: f.Name, Data: data})
	}
	return out
}

func writeEntries(t *testing.T, entries []*zipEntry) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if e.Raw != nil {
			w, err := zw.CreateRaw(e.Header)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(e.Raw); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "signed.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func deflate(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawEntry makes e a raw member: compressed as given, declaring size and
// crc whatever the data is.
func rawEntry(e *zipEntry, compressed []byte, size uint64, crc uint32) {
	e.Raw = compressed
	e.Header = &zip.FileHeader{Name: e.Name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(compressed)), UncompressedSize64: size}
}

func entry(t *testing.T, entries []*zipEntry, name string) *zipEntry {
	t.Helper()
	for _, e := range entries {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no part %s", name)
	return nil
}

// sheetPart is the archive part holding a sheet, as the reader finds it.
func sheetPart(t *testing.T, path, sheet string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	z, err := openSignedZip(f, fi.Size(), path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := openSignedBook(z)
	if err != nil {
		t.Fatal(err)
	}
	sh, ok := b.sheet(sheet)
	if !ok || sh.part == nil {
		t.Fatalf("%s: no worksheet %q", path, sheet)
	}
	return sh.part.Name
}

// signedFixture is a real plan workbook, readable as it is, and the parts
// of its Plan, Sign-off and Gaps sheets.
func signedFixture(t *testing.T) (path, plan, signOff, gaps string) {
	t.Helper()
	path = writeBriefPlan(t, briefPlan(), excelize.TotalRows)
	if _, err := ReadSigned(path); err != nil {
		t.Fatalf("the fixture itself is refused: %v", err)
	}
	return path, sheetPart(t, path, PlanSheet), sheetPart(t, path, SignOffSheet), sheetPart(t, path, GapsSheet)
}

// refused checks that a workbook is refused, in one line that says each of
// want (the file, the sheet or cell, what is wrong), and nothing was read.
func refused(t *testing.T, s *Signed, err error, want ...string) {
	t.Helper()
	if err == nil {
		n := 0
		if s != nil {
			n = len(s.Decisions) + len(s.Undecided)
		}
		t.Fatalf("accepted (%d rows read), want a refusal saying %q", n, want)
	}
	if s != nil {
		t.Errorf("refused, but rows were returned too: %+v", s)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("the refusal is not one line: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("refusal %q does not say %q", msg, w)
		}
	}
}

// cellRefused checks a *pipeline.CellError at sheet!cell.
func cellRefused(t *testing.T, s *Signed, err error, sheet, cell string, want ...string) {
	t.Helper()
	refused(t, s, err, want...)
	var ce *pipeline.CellError
	if !errors.As(err, &ce) || ce.Sheet != sheet || ce.Cell != cell {
		t.Errorf("err = %v, want a cell error at %s!%s", err, sheet, cell)
	}
}

// measured runs ReadSigned on path, with the bytes it allocated and the
// time it took.
func measured(path string) (s *Signed, err error, alloc uint64, took time.Duration) {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	s, err = ReadSigned(path)
	took = time.Since(start)
	runtime.ReadMemStats(&m1)
	return s, err, m1.TotalAlloc - m0.TotalAlloc, took
}

// bounded checks a bomb cost little: its refusal must come from a limit
// or a check, not from having inflated it.
func bounded(t *testing.T, alloc uint64, took time.Duration) {
	t.Helper()
	t.Logf("refused after %v, %d KB allocated", took.Round(time.Millisecond), alloc>>10)
	if alloc > 32<<20 {
		t.Errorf("allocated %d MB refusing a bomb, want under 32 MB", alloc>>20)
	}
	if took > 10*time.Second {
		t.Errorf("took %v refusing a bomb", took)
	}
}

// cellRE matches one cell element of sheet XML by reference.
func cellRE(ref string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)<c r="` + ref + `"[^>]*?(?:/>|>.*?</c>)`)
}

// editSheet replaces cell ref in a part's XML; the cell must be there.
func editSheet(t *testing.T, e *zipEntry, ref, cell string) {
	t.Helper()
	re := cellRE(ref)
	if !re.Match(e.Data) {
		t.Fatalf("%s has no cell %s", e.Name, ref)
	}
	e.Data = re.ReplaceAllLiteral(e.Data, []byte(cell))
}

// A part that declares a small size and inflates to far more: archive/zip
// and the reader both stop at the declared size; the refusal names the
// sheet, whether it is one ReadSigned reads or one only checksummed.
func TestReadSignedZipBombDeclaredSmall(t *testing.T) {
	book, plan, _, gaps := signedFixture(t)
	for _, tt := range []struct{ name, part, sheet string }{
		{"Plan sheet", plan, PlanSheet},
		{"Gaps sheet", gaps, GapsSheet},
	} {
		t.Run(tt.name, func(t *testing.T) {
			entries := readEntries(t, book)
			e := entry(t, entries, tt.part)
			// The real sheet, then 64 MB more that the header does not declare.
			bomb := append(bytes.Clone(e.Data), bytes.Repeat([]byte(" "), 64<<20)...)
			rawEntry(e, deflate(t, bomb), uint64(len(e.Data)), crc32.ChecksumIEEE(e.Data))
			path := writeEntries(t, entries)
			s, err, alloc, took := measured(path)
			refused(t, s, err, path, fmt.Sprintf("sheet %q (%s)", tt.sheet, tt.part), "inflates to more than")
			bounded(t, alloc, took)
		})
	}
}

// A part that declares more than a part may have is refused before any of
// it inflates; so are parts that together declare too much.
func TestReadSignedZipBombDeclaredLarge(t *testing.T) {
	book, plan, _, gaps := signedFixture(t)
	t.Run("one part", func(t *testing.T) {
		entries := readEntries(t, book)
		e := entry(t, entries, plan)
		rawEntry(e, deflate(t, e.Data), 3<<30, crc32.ChecksumIEEE(e.Data))
		path := writeEntries(t, entries)
		s, err, alloc, took := measured(path)
		refused(t, s, err, path, fmt.Sprintf("sheet %q (%s)", PlanSheet, plan), "declares 3072 MB uncompressed", "1024 MB")
		bounded(t, alloc, took)
	})
	t.Run("all parts", func(t *testing.T) {
		entries := readEntries(t, book)
		for _, name := range []string{plan, gaps, sheetPart(t, book, SummarySheet)} {
			e := entry(t, entries, name)
			rawEntry(e, deflate(t, e.Data), MaxSignedPart-1, crc32.ChecksumIEEE(e.Data))
		}
		path := writeEntries(t, entries)
		s, err, alloc, took := measured(path)
		refused(t, s, err, path, "its parts declare", "more than a signed workbook may have (2048 MB)")
		bounded(t, alloc, took)
	})
}

// sstWith is the fixture's shared strings with one more string appended.
func sstWith(t *testing.T, e *zipEntry, si string) {
	t.Helper()
	i := bytes.LastIndex(e.Data, []byte("</sst>"))
	if i < 0 {
		t.Fatalf("%s: no </sst>", e.Name)
	}
	e.Data = append(append(bytes.Clone(e.Data[:i]), si...), e.Data[i:]...)
}

// A 64 MB shared string (a 100 KB file) is refused at the cell limit,
// without reading it whole; so is a cell of inline text as long.
func TestReadSignedHugeStrings(t *testing.T) {
	book, plan, _, _ := signedFixture(t)
	huge := strings.Repeat("x", 64<<20)
	t.Run("shared string", func(t *testing.T) {
		entries := readEntries(t, book)
		e := entry(t, entries, "xl/sharedStrings.xml")
		n := bytes.Count(e.Data, []byte("<si>"))
		sstWith(t, e, "<si><t>"+huge+"</t></si>")
		path := writeEntries(t, entries)
		s, err, alloc, took := measured(path)
		refused(t, s, err, path, "the shared strings (xl/sharedStrings.xml)", fmt.Sprintf("shared string %d has more than 32767 characters", n))
		bounded(t, alloc, took)
	})
	t.Run("shared string in runs", func(t *testing.T) {
		// Many runs, each short: the string's length, not a run's, counts.
		entries := readEntries(t, book)
		e := entry(t, entries, "xl/sharedStrings.xml")
		sstWith(t, e, "<si>"+strings.Repeat("<r><t>xxxxxxxxxx</t></r>", 4000)+"</si>")
		path := writeEntries(t, entries)
		s, err := ReadSigned(path)
		refused(t, s, err, path, "the shared strings (xl/sharedStrings.xml)", "more than 32767 characters")
	})
	t.Run("inline cell", func(t *testing.T) {
		entries := readEntries(t, book)
		editSheet(t, entry(t, entries, plan), "D7", `<c r="D7" t="inlineStr"><is><t>`+huge+`</t></is></c>`)
		path := writeEntries(t, entries)
		s, err, alloc, took := measured(path)
		cellRefused(t, s, err, PlanSheet, "D7", path, "more than 32767 characters")
		bounded(t, alloc, took)
	})
	t.Run("just fits", func(t *testing.T) {
		// A comment of 32,767 characters, written as references and as
		// three-byte UTF-8, crosses the reader's 64 KB text pieces: it is
		// read back whole and exact.
		for _, unit := range []struct{ xml, text string }{{"&amp;", "&"}, {"€", "€"}, {"a&#x20AC;", "a€"}} {
			entries := readEntries(t, book)
			n := MaxCellChars / len([]rune(unit.text))
			editSheet(t, entry(t, entries, plan), "D7", `<c r="D7" t="inlineStr"><is><t>`+strings.Repeat(unit.xml, n)+`</t></is></c>`)
			path := writeEntries(t, entries)
			s, err := ReadSigned(path)
			if err != nil {
				t.Fatalf("%q: %v", unit.xml, err)
			}
			want := strings.Repeat(unit.text, n)
			found := false
			for _, d := range s.Undecided {
				if d.IDCell == "A7" {
					found = true
					if d.Comment != want {
						t.Errorf("%q: comment of %d characters read back as %d", unit.xml, len([]rune(want)), len([]rune(d.Comment)))
					}
				}
			}
			if !found {
				t.Errorf("%q: row 7 not read", unit.xml)
			}
		}
	})
}

// More shared strings than the limit: refused, naming the part.
func TestReadSignedSharedStringCount(t *testing.T) {
	book, _, _, _ := signedFixture(t)
	entries := readEntries(t, book)
	n := bytes.Count(entry(t, entries, "xl/sharedStrings.xml").Data, []byte("<si>"))
	defer func(old int) { sharedStringLimit = old }(sharedStringLimit)
	sharedStringLimit = n
	if _, err := ReadSigned(book); err != nil {
		t.Fatalf("%d strings at a limit of %d: %v", n, n, err)
	}
	sharedStringLimit = n - 1
	s, err := ReadSigned(book)
	refused(t, s, err, book, "the shared strings (xl/sharedStrings.xml)", fmt.Sprintf("more than %d shared strings", n-1))
}

// A damaged deflate stream is refused, in a part ReadSigned reads and in
// one it only checksums; excelize read a damaged Plan sheet as the rows
// before the damage.
func TestReadSignedCorruptDeflate(t *testing.T) {
	book, plan, signOff, gaps := signedFixture(t)
	for _, tt := range []struct {
		name, part, sheet string
		damage            func(c []byte)
		says              string
	}{
		// A first block of the reserved type 3: flate's CorruptInputError.
		{"bad block type", plan, PlanSheet, func(c []byte) { c[0] = 0xff }, "corrupt deflate stream at compressed byte"},
		{"bad block type in Sign-off", signOff, SignOffSheet, func(c []byte) { c[0] = 0xff }, "corrupt deflate stream"},
		{"bad block type in Gaps", gaps, GapsSheet, func(c []byte) { c[0] = 0xff }, "corrupt deflate stream"},
		// Garbage mid-stream: whatever it inflates to, it is refused.
		{"garbage mid-stream", plan, PlanSheet, func(c []byte) {
			for i := len(c) / 2; i < len(c)/2+32; i++ {
				c[i] ^= 0x5a
			}
		}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			entries := readEntries(t, book)
			e := entry(t, entries, tt.part)
			c := deflate(t, e.Data)
			tt.damage(c)
			rawEntry(e, c, uint64(len(e.Data)), crc32.ChecksumIEEE(e.Data))
			path := writeEntries(t, entries)
			s, err := ReadSigned(path)
			refused(t, s, err, path, fmt.Sprintf("sheet %q", tt.sheet), tt.says)
			t.Log(err)
		})
	}
}

// A truncated file is refused: cut anywhere, or with its directory intact
// but the Plan sheet's stream cut short.
func TestReadSignedTruncated(t *testing.T) {
	book, plan, _, _ := signedFixture(t)
	data, err := os.ReadFile(book)
	if err != nil {
		t.Fatal(err)
	}
	for _, keep := range []int{len(data) / 10, len(data) / 2, len(data) - 30, len(data) - 1} {
		path := filepath.Join(t.TempDir(), "cut.xlsx")
		if err := os.WriteFile(path, data[:keep], 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ReadSigned(path)
		refused(t, s, err, path, "not a complete .xlsx (zip) file, truncated or damaged")
	}
	t.Run("stream cut short", func(t *testing.T) {
		entries := readEntries(t, book)
		e := entry(t, entries, plan)
		c := deflate(t, e.Data)
		rawEntry(e, c[:len(c)/2], uint64(len(e.Data)), crc32.ChecksumIEEE(e.Data))
		path := writeEntries(t, entries)
		s, err := ReadSigned(path)
		refused(t, s, err, path, fmt.Sprintf("sheet %q (%s)", PlanSheet, plan), "ends early")
	})
	t.Run("checksum", func(t *testing.T) {
		// The data inflates cleanly to the declared size, but is not what
		// was written: a CRC of zero is checked too (archive/zip skips it).
		for _, crc := range []uint32{0, 12345} {
			entries := readEntries(t, book)
			e := entry(t, entries, plan)
			rawEntry(e, deflate(t, e.Data), uint64(len(e.Data)), crc)
			path := writeEntries(t, entries)
			s, err := ReadSigned(path)
			refused(t, s, err, path, fmt.Sprintf("sheet %q (%s)", PlanSheet, plan), "checksum mismatch")
		}
	})
}

// Sheet XML that is not well-formed, or not a sheet, is refused naming the
// sheet (and the row reached or the cell), never read as fewer rows.
func TestReadSignedMalformedSheetXML(t *testing.T) {
	book, plan, signOff, _ := signedFixture(t)
	cut := func(at string, back int) func(*testing.T, []byte) []byte {
		return func(t *testing.T, b []byte) []byte {
			i := bytes.Index(b, []byte(at))
			if i < 0 {
				t.Fatalf("no %q in the sheet", at)
			}
			return b[:i-back]
		}
	}
	replace := func(old, new string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, b []byte) []byte {
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("no %q in the sheet", old)
			}
			return bytes.Replace(b, []byte(old), []byte(new), 1)
		}
	}
	regexpEdit := func(re, new string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, b []byte) []byte {
			r := regexp.MustCompile(re)
			if !r.Match(b) {
				t.Fatalf("no %s in the sheet", re)
			}
			return r.ReplaceAll(b, []byte(new))
		}
	}
	for _, tt := range []struct {
		name, part, sheet string
		edit              func(*testing.T, []byte) []byte
		cell              string // for a cell error
		says              []string
	}{
		{"cut between rows", plan, PlanSheet, cut(`<row r="10"`, 0), "", []string{"after row 9", "the document ends inside <sheetData>"}},
		{"cut mid-cell", plan, PlanSheet, cut(`<c r="C12"`, 3), "B12", []string{"malformed XML", "the document ends inside a tag"}},
		{"end tags swapped", plan, PlanSheet, replace(`<t>write</t></is></c><c r="P7"`, `<t>write</is></t></c><c r="P7"`), "O7", []string{"end tag </is> closes <t>"}},
		{"bad entity", plan, PlanSheet, replace(`<t>Group 1</t>`, `<t>Group &one; 1</t>`), "A2", []string{"unknown entity &one;"}},
		{"control character", plan, PlanSheet, replace(`<t>Group 1</t>`, "<t>Group \x01 1</t>"), "A2", []string{"control character 0x01"}},
		{"not UTF-8", plan, PlanSheet, replace(`<t>Group 1</t>`, "<t>Group \xff 1</t>"), "A2", []string{"not UTF-8"}},
		{"doctype", plan, PlanSheet, func(t *testing.T, b []byte) []byte {
			return append([]byte(`<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaa">]>`), b[bytes.Index(b, []byte("<worksheet")):]...)
		}, "", []string{"DOCTYPE"}},
		{"rows out of order", plan, PlanSheet, replace(`<row r="9"`, `<row r="7"`), "", []string{"after row 8", "row 7 out of order"}},
		{"cell twice", plan, PlanSheet, replace(`<c r="B8"`, `<c r="A8"`), "", []string{"after row 8", "cell A8 out of order"}},
		{"cell in another row", plan, PlanSheet, replace(`<c r="B8"`, `<c r="B9"`), "", []string{`cell reference "B9" in row 8`}},
		{"attribute twice", plan, PlanSheet, replace(`<c r="B8"`, `<c r="B8" r="B9"`), "", []string{"attribute r given twice"}},
		{"unknown cell type", plan, PlanSheet, replace(`<c r="A8" s="15" t="inlineStr">`, `<c r="A8" s="15" t="weird">`), "A8", []string{`cell type "weird"`}},
		{"shared string out of range", signOff, SignOffSheet, regexpEdit(`<c r="A4"([^>]*)><v>\d+</v>`, `<c r="A4"$1><v>99999</v>`), "A4",
			[]string{`shared string "99999": the workbook has`}},
		{"no rows at all", plan, PlanSheet, regexpEdit(`(?s)<sheetData>.*</sheetData>`, `<sheetData/>`), "1:1", []string{"no rows at all"}},
		{"no header row", plan, PlanSheet, regexpEdit(`(?s)<row r="1".*?</row>`, ``), "1:1", []string{"header lacks"}},
		{"no sheetData", plan, PlanSheet, regexpEdit(`(?s)<sheetData>.*</sheetData>`, ``), "", []string{"no <sheetData>"}},
		{"a second root", plan, PlanSheet, func(t *testing.T, b []byte) []byte { return append(b, "<worksheet/>"...) }, "", []string{"a second root element"}},
		{"text after the root", plan, PlanSheet, func(t *testing.T, b []byte) []byte { return append(b, "junk"...) }, "", []string{"text outside the root element"}},
		{"not a worksheet", signOff, SignOffSheet, func(*testing.T, []byte) []byte { return []byte(`<chartsheet/>`) }, "", []string{"the root element is <chartsheet>"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			entries := readEntries(t, book)
			e := entry(t, entries, tt.part)
			e.Data = tt.edit(t, bytes.Clone(e.Data))
			path := writeEntries(t, entries)
			s, err := ReadSigned(path)
			if tt.cell != "" {
				cellRefused(t, s, err, tt.sheet, tt.cell, append([]string{path}, tt.says...)...)
				return
			}
			refused(t, s, err, append([]string{path, fmt.Sprintf("sheet %q (%s)", tt.sheet, tt.part)}, tt.says...)...)
		})
	}
}

// A cell ReadSigned reads that holds a formula is refused: its saved value
// is what some program last calculated, and here says the opposite of the
// formula. Helper columns keep their formulas (the fixture has them).
func TestReadSignedFormulas(t *testing.T) {
	book, plan, signOff, _ := signedFixture(t)
	// Row 2 is group 1, rows 6 to 18 the members.
	for _, tt := range []struct {
		name, part, sheet, ref, cell string
		says                         []string
	}{
		{"member decision", plan, PlanSheet, "C7", `<c r="C7" t="str"><f>IF(1,"Reject","Reject")</f><v>Approve</v></c>`,
			[]string{`holds a formula ("=IF(1,\"Reject\",\"Reject\")"); type the decision as text`}},
		{"group decision", plan, PlanSheet, "C2", `<c r="C2" t="str"><f>"Approve"</f><v>Approve</v></c>`, []string{"type the decision as text"}},
		{"empty decision", plan, PlanSheet, "C9", `<c r="C9" t="str"><f>""</f><v></v></c>`, []string{"type the decision as text"}},
		{"shared formula", plan, PlanSheet, "C8", `<c r="C8" t="str"><f t="shared" si="0"/><v>Approve</v></c>`, []string{"(a shared formula); type the decision as text"}},
		{"action id", plan, PlanSheet, "A7", `<c r="A7" t="str"><f>"000000000000a001"</f><v>000000000000a001</v></c>`, []string{"the action id must be the text syncgap wrote"}},
		{"group id", plan, PlanSheet, "A3", `<c r="A3" t="str"><f>"Group 2"</f><v>Group 2</v></c>`, []string{"the action id must be the text syncgap wrote"}},
		{"row's group", plan, PlanSheet, "J8", `<c r="J8" t="str"><f>"Group 1"</f><v>Group 1</v></c>`, []string{"the group must be the text syncgap wrote"}},
		{"group kind", plan, PlanSheet, "O3", `<c r="O3" t="str"><f>"write"</f><v>write</v></c>`, []string{"the kind must be the text syncgap wrote"}},
		{"comment", plan, PlanSheet, "D7", `<c r="D7" t="str"><f>"ok"</f><v>ok</v></c>`, []string{"type the comment as text"}},
		{"header", plan, PlanSheet, "C1", `<c r="C1" t="str"><f>"Decision"</f><v>Decision</v></c>`, []string{"column titles must be the text syncgap wrote"}},
		{"plan hash", signOff, SignOffSheet, "B4", `<c r="B4" t="str"><f>"` + briefPlan().Hash + `"</f><v>` + briefPlan().Hash + `</v></c>`, []string{"type the value as text"}},
		{"sign-off label", signOff, SignOffSheet, "A4", `<c r="A4" t="str"><f>"Plan hash"</f><v>Plan hash</v></c>`, []string{"type the value as text"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			entries := readEntries(t, book)
			editSheet(t, entry(t, entries, tt.part), tt.ref, tt.cell)
			path := writeEntries(t, entries)
			s, err := ReadSigned(path)
			cellRefused(t, s, err, tt.sheet, tt.ref, append([]string{path, "holds a formula"}, tt.says...)...)
		})
	}
	t.Run("text that looks like one", func(t *testing.T) {
		// "=…" typed into a text cell is text, not a formula: read as it is.
		entries := readEntries(t, book)
		editSheet(t, entry(t, entries, plan), "D7", `<c r="D7" t="inlineStr"><is><t>=SUM(1)</t></is></c>`)
		s, err := ReadSigned(writeEntries(t, entries))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range s.Undecided {
			if d.IDCell == "A7" && d.Comment != "=SUM(1)" {
				t.Errorf("comment %q", d.Comment)
			}
		}
	})
}

// The archive itself: too many parts, a part twice, an encrypted or old
// workbook, no zip at all.
func TestReadSignedArchive(t *testing.T) {
	book, _, _, _ := signedFixture(t)
	t.Run("too many parts", func(t *testing.T) {
		entries := readEntries(t, book)
		for i := range MaxSignedEntries {
			entries = append(entries, &zipEntry{Name: fmt.Sprintf("customXml/item%d.xml", i)})
		}
		path := writeEntries(t, entries)
		s, err, alloc, took := measured(path)
		refused(t, s, err, path, fmt.Sprintf("parts, more than a workbook has (at most %d)", MaxSignedEntries))
		bounded(t, alloc, took)
	})
	t.Run("a part twice", func(t *testing.T) {
		entries := readEntries(t, book)
		wb := entry(t, entries, "xl/workbook.xml")
		entries = append(entries, &zipEntry{Name: "XL/Workbook.xml", Data: wb.Data})
		path := writeEntries(t, entries)
		s, err := ReadSigned(path)
		refused(t, s, err, path, `part "XL/Workbook.xml" appears twice`)
	})
	for _, tt := range []struct {
		name string
		data []byte
		says string
	}{
		{"encrypted", append(append([]byte{}, oleMagic...), make([]byte, 600)...), "an encrypted (password-protected) workbook or an old .xls"},
		{"not a zip", []byte("Action id,Decision\na1,Approve\n"), "not an .xlsx workbook (no zip signature)"},
		{"empty", nil, "too short to be a workbook"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.xlsx")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := ReadSigned(path)
			refused(t, s, err, path, tt.says)
		})
	}
	t.Run("two sheets of one name", func(t *testing.T) {
		entries := readEntries(t, book)
		wb := entry(t, entries, "xl/workbook.xml")
		wb.Data = bytes.Replace(wb.Data, []byte(`name="Review"`), []byte(`name="plan"`), 1)
		path := writeEntries(t, entries)
		s, err := ReadSigned(path)
		refused(t, s, err, path, `two sheets named "plan"`)
	})
}

// A date some program wrote into a Sign-off cell as a number with a date
// format is read as the date, YYYY-MM-DD, as the sheet asks.
func TestReadSignedSignOffDate(t *testing.T) {
	book, _, _, _ := signedFixture(t)
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	name, _, date, _ := ApproverLabels(1)
	dateCell := labelCell(t, f, SignOffSheet, date)
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue(SignOffSheet, dateCell, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle(SignOffSheet, dateCell, dateCell, style); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStr(SignOffSheet, labelCell(t, f, SignOffSheet, name), "Dana"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dated.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s, err := ReadSigned(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Approvers[0].Date != "2026-01-02" || s.Approvers[0].Name != "Dana" {
		t.Errorf("approver 1 read as %+v, want Dana on 2026-01-02", s.Approvers[0])
	}
}

// The rows and comments ReadSigned holds are bounded: past the limit, the
// row or cell where it was passed is named.
func TestReadSignedRowAndCommentLimits(t *testing.T) {
	book, plan, _, _ := signedFixture(t)
	s, err := ReadSigned(book)
	if err != nil {
		t.Fatal(err)
	}
	rows := len(s.Groups) + len(s.Decisions) + len(s.Undecided) // 17: rows 2 to 18
	defer func(r, c int) { signedRowLimit, signedCommentLimit = r, c }(signedRowLimit, signedCommentLimit)
	signedRowLimit = rows
	if _, err := ReadSigned(book); err != nil {
		t.Fatalf("%d rows at a limit of %d: %v", rows, rows, err)
	}
	signedRowLimit = rows - 1
	s, err = ReadSigned(book)
	cellRefused(t, s, err, PlanSheet, fmt.Sprintf("A%d", rows+1), book, fmt.Sprintf("more than %d rows on the Plan sheets", rows-1))

	signedRowLimit = MaxSignedRows
	signedCommentLimit = 10
	entries := readEntries(t, book)
	for _, ref := range []string{"D7", "D8"} {
		editSheet(t, entry(t, entries, plan), ref, `<c r="`+ref+`" t="inlineStr"><is><t>six ch</t></is></c>`)
	}
	path := writeEntries(t, entries)
	s, err = ReadSigned(path)
	cellRefused(t, s, err, PlanSheet, "D8", path, "the comments come to more than 10 bytes")
}

package workbook

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// Fuzz targets for the signed-workbook reader. FuzzReadSigned mutates whole
// files (which mostly exercises the archive layer: a mutated deflate stream
// rarely survives its checksum); FuzzSignedSheets mutates the XML of the
// Plan and Sign-off sheets and the shared strings inside a well-formed
// archive, which is where the tokenizer and the sheet reader are reached.
// Both require: no panic, an answer within seconds, memory within what the
// input can inflate to, and, when the workbook is accepted, rows that are
// consistent with what ReadSigned promises.

// fuzzBook is a real plan workbook's bytes and its parts.
func fuzzBook(f testing.TB) ([]byte, map[string][]byte) {
	f.Helper()
	path := filepath.Join(f.TempDir(), "plan.xlsx")
	if err := writePlan(context.Background(), path, briefAudit(), briefPlan(), excelize.TotalRows); err != nil {
		f.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		f.Fatal(err)
	}
	defer zr.Close()
	parts := map[string][]byte{}
	for _, p := range zr.File {
		rc, err := p.Open()
		if err != nil {
			f.Fatal(err)
		}
		parts[p.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	whole, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return whole, parts
}

// storedZip is an archive of parts, stored uncompressed (so that a mutation
// of the file changes the XML rather than breaking a deflate stream).
func storedZip(parts [][2]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: p[0], Method: zip.Store})
		io.WriteString(w, p[1])
	}
	zw.Close()
	return buf.Bytes()
}

const (
	fuzzRels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	fuzzWorkbook = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheets><sheet name="Plan" sheetId="1" r:id="rId1"/><sheet name="Sign-off" sheetId="2" r:id="rId2"/></sheets></workbook>`
	fuzzWorkbookRels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/>` +
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
	// A small Plan and Sign-off in the shapes the writers produce: inline
	// strings, shared strings, a formula helper, a group row.
	fuzzPlan = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>Action id</t></is></c><c r="B1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>Group</t></is></c>` +
		`<c r="D1" t="inlineStr"><is><t>Kind</t></is></c><c r="E1" t="inlineStr"><is><t>Attribute</t></is></c><c r="F1" t="inlineStr"><is><t>Op</t></is></c>` +
		`<c r="G1" t="inlineStr"><is><t>Risk</t></is></c><c r="H1" t="inlineStr"><is><t>Comment</t></is></c></row>` +
		`<row r="2"><c r="A2" t="inlineStr"><is><t>Group 1</t></is></c><c r="B2" t="inlineStr"><is><t>reject</t></is></c><c r="D2" t="inlineStr"><is><t>write</t></is></c>` +
		`<c r="E2" t="inlineStr"><is><t>mobile</t></is></c><c r="F2" t="inlineStr"><is><t>add</t></is></c><c r="G2" t="inlineStr"><is><t>low</t></is></c></row>` +
		`<row r="3"><c r="A3" t="inlineStr"><is><t>00000000000000aa</t></is></c><c r="B3" t="s"><v>1</v></c><c r="C3" t="inlineStr"><is><t>Group 1</t></is></c>` +
		`<c r="H3" t="inlineStr"><is><r><t>ok </t></r><r><t xml:space="preserve">&amp; fine</t></r></is></c><c r="I3" t="str"><f>IF(B3="","",B3)</f><v>Approve</v></c></row>` +
		`<row r="4"><c r="A4" t="inlineStr"><is><t><![CDATA[00000000000000bb]]></t></is></c><c r="C4" t="inlineStr"><is><t>Group 1</t></is></c></row>` +
		`</sheetData></worksheet>`
	fuzzSignOff = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="4"><c r="A4" t="s"><v>2</v></c><c r="B4" t="inlineStr"><is><t>abc</t></is></c></row>` +
		`<row r="16"><c r="A16" t="inlineStr"><is><t>Approver 1 name</t></is></c><c r="B16" t="inlineStr"><is><t>Dana</t></is></c></row>` +
		`<row r="18"><c r="A18" t="inlineStr"><is><t>Approver 1 date</t></is></c><c r="B18"><v>46024</v></c></row>` +
		`</sheetData></worksheet>`
	fuzzSST = `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Decision</t></si><si><r><t>Appr</t></r><r><t>ove</t></r><rPh><t>x</t></rPh></si><si><t>Plan hash</t></si></sst>`
)

func fuzzParts(plan, signOff, sst []byte) []byte {
	return storedZip([][2]string{
		{"_rels/.rels", fuzzRels}, {"xl/workbook.xml", fuzzWorkbook}, {"xl/_rels/workbook.xml.rels", fuzzWorkbookRels},
		{"xl/worksheets/sheet1.xml", string(plan)}, {"xl/worksheets/sheet2.xml", string(signOff)}, {"xl/sharedStrings.xml", string(sst)},
	})
}

// checkRead is what every fuzzed read must satisfy.
func checkRead(t *testing.T, data []byte) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	// Go's fuzzing has no timeout of its own: a read that hangs would stall
	// the run without a word. This turns it into a failure, and the input
	// into a crasher.
	var (
		s    *Signed
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		s, err = readSigned(bytes.NewReader(data), int64(len(data)), "fuzz.xlsx")
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("no answer after 10 s on %d bytes", len(data))
	}
	runtime.ReadMemStats(&m1)
	// Deflate inflates at most ~1032 times; the reader's own buffers are
	// a few MB.
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 16<<20+2100*uint64(len(data)) {
		t.Errorf("allocated %d MB on %d bytes", alloc>>20, len(data))
	}
	if err != nil {
		if s != nil {
			t.Errorf("an error and rows: %v", err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "fuzz.xlsx") || strings.Contains(msg, "\n") {
			t.Errorf("refusal not one line naming the file: %q", msg)
		}
		return
	}
	if s.PlanHash == "" || s.PlanHashCell == "" {
		t.Errorf("accepted without a plan hash: %+v", s)
	}
	seen := map[string]bool{}
	for _, d := range append(append([]Decided{}, s.Decisions...), s.Undecided...) {
		if d.ActionID == "" || seen[d.ActionID] || d.IDCell == "" || !isPlanSheet(d.Sheet) {
			t.Errorf("accepted a bad row %+v", d)
		}
		seen[d.ActionID] = true
	}
	for _, d := range s.Effective() {
		if d.Decision == "" {
			t.Errorf("an effective decision that is empty: %+v", d)
		}
	}
}

// readSignedSeeds are FuzzReadSigned's seeds: the real workbook, and the
// small one (stored, not deflated, so that mutations reach its XML).
func readSignedSeeds(t testing.TB) [][]byte {
	whole, _ := fuzzBook(t)
	return [][]byte{whole, fuzzParts([]byte(fuzzPlan), []byte(fuzzSignOff), []byte(fuzzSST))}
}

// signedSheetsSeeds are FuzzSignedSheets's: the small sheets, and the real
// Plan and Sign-off with the real shared strings.
func signedSheetsSeeds(t testing.TB) [][3][]byte {
	_, parts := fuzzBook(t)
	return [][3][]byte{
		{[]byte(fuzzPlan), []byte(fuzzSignOff), []byte(fuzzSST)},
		{parts["xl/worksheets/sheet2.xml"], parts["xl/worksheets/sheet3.xml"], parts["xl/sharedStrings.xml"]},
	}
}

func FuzzReadSigned(f *testing.F) {
	for _, s := range readSignedSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkRead)
}

func FuzzSignedSheets(f *testing.F) {
	for _, s := range signedSheetsSeeds(f) {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, plan, signOff, sst []byte) {
		checkRead(t, fuzzParts(plan, signOff, sst))
	})
}

// The seeds themselves: the real workbook and the small one are read.
func TestFuzzSeedsRead(t *testing.T) {
	data := fuzzParts([]byte(fuzzPlan), []byte(fuzzSignOff), []byte(fuzzSST))
	s, err := readSigned(bytes.NewReader(data), int64(len(data)), "seed.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Groups) != 1 || len(s.Decisions) != 1 || s.Decisions[0].Decision != "approve" || len(s.Undecided) != 1 ||
		s.Decisions[0].Comment != "ok & fine" || s.Undecided[0].ActionID != "00000000000000bb" ||
		s.PlanHash != "abc" || s.Approver != "Dana" || s.Approvers[0].Date != "46024" || len(s.Effective()) != 2 {
		t.Errorf("seed read as %+v", s)
	}
	// Fuzzing starts from workbooks that are read, not refused.
	for i, seed := range readSignedSeeds(t) {
		if _, err := readSigned(bytes.NewReader(seed), int64(len(seed)), "seed.xlsx"); err != nil {
			t.Errorf("FuzzReadSigned seed %d: %v", i, err)
		}
	}
	for i, seed := range signedSheetsSeeds(t) {
		data := fuzzParts(seed[0], seed[1], seed[2])
		if _, err := readSigned(bytes.NewReader(data), int64(len(data)), "seed.xlsx"); err != nil {
			t.Errorf("FuzzSignedSheets seed %d: %v", i, err)
		}
	}
}

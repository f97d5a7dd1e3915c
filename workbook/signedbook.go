package workbook

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// The workbook layer of reading a signed workbook back: which sheet is in
// which part, the shared strings, and a row-by-row reader of one sheet
// that reports every cell's value, whether it holds a formula, and refuses
// a sheet that is not well-formed or breaks a limit.

// maxSignedMeta bounds the small parts read whole: the relationships,
// workbook.xml and styles.xml. Even a workbook of a thousand sheets has a
// workbook.xml of a few hundred KB.
const maxSignedMeta = 16 << 20

// sharedStringLimit is MaxSharedStrings; a variable so that a test can
// reach it without building 16 million strings.
var sharedStringLimit = MaxSharedStrings

type signedBook struct {
	z    *signedZip
	path string
	// spillDir and hold: beyond hold bytes of text the shared strings go
	// to a file in spillDir (ScanSigned); hold 0 keeps them all in memory.
	spillDir string
	hold     int
	sheets   []bookSheet // in workbook order
	sstPart  *zip.File   // nil when the workbook has no shared strings
	sst      *sharedStrings
	styles   *zip.File
	numFmts  []bool // by style index: formats numbers as dates; nil until needed
	date1904 bool
}

type bookSheet struct {
	name string
	part *zip.File // nil when the sheet is not a worksheet (a chart sheet)
}

type xmlRels struct {
	Rels []struct {
		ID         string `xml:"Id,attr"`
		Type       string `xml:"Type,attr"`
		Target     string `xml:"Target,attr"`
		TargetMode string `xml:"TargetMode,attr"`
	} `xml:"Relationship"`
}

type xmlWorkbook struct {
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name  string     `xml:"name,attr"`
		Attrs []xml.Attr `xml:",any,attr"`
	} `xml:"sheets>sheet"`
}

// relType is the last element of a relationship type URI; transitional
// and strict OOXML differ only before it.
func relType(t string) string { return t[strings.LastIndexByte(t, '/')+1:] }

// readRels reads the relationships part of a part; missing is no error.
func (b *signedBook) readRels(of string) (map[string]string, map[string][]string, error) {
	dir, base := path.Split(of)
	f := b.z.find(dir + "_rels/" + base + ".rels")
	byID, byType := map[string]string{}, map[string][]string{}
	if f == nil {
		return byID, byType, nil
	}
	data, err := b.z.readAll(f, maxSignedMeta)
	if err != nil {
		return nil, nil, err
	}
	var rels xmlRels
	if err := xml.Unmarshal(data, &rels); err != nil {
		return nil, nil, fmt.Errorf("%s: part %s: %w", b.path, clipName(f.Name), err)
	}
	for _, r := range rels.Rels {
		if strings.EqualFold(r.TargetMode, "External") {
			continue
		}
		target := r.Target
		if strings.HasPrefix(target, "/") {
			target = strings.TrimPrefix(target, "/")
		} else {
			target = path.Join(dir, target)
		}
		if _, dup := byID[r.ID]; dup {
			return nil, nil, fmt.Errorf("%s: part %s: relationship %q given twice", b.path, clipName(f.Name), clipName(r.ID))
		}
		byID[r.ID] = target
		byType[relType(r.Type)] = append(byType[relType(r.Type)], target)
	}
	return byID, byType, nil
}

// openSignedBook finds the workbook part, its sheets and shared strings.
func openSignedBook(z *signedZip) (*signedBook, error) {
	b := &signedBook{z: z, path: z.path}
	_, top, err := b.readRels("")
	if err != nil {
		return nil, err
	}
	wbPath := "xl/workbook.xml"
	if t := top["officeDocument"]; len(t) > 0 {
		wbPath = t[0]
	}
	wbPart := z.find(wbPath)
	if wbPart == nil {
		return nil, fmt.Errorf("%s: no %s in the archive: not an .xlsx workbook", b.path, clipName(wbPath))
	}
	data, err := z.readAll(wbPart, maxSignedMeta)
	if err != nil {
		return nil, err
	}
	var wb xmlWorkbook
	if err := xml.Unmarshal(data, &wb); err != nil {
		return nil, fmt.Errorf("%s: part %s: %w", b.path, clipName(wbPart.Name), err)
	}
	b.date1904 = wb.Pr.Date1904 == "1" || strings.EqualFold(wb.Pr.Date1904, "true")
	byID, byType, err := b.readRels(wbPart.Name)
	if err != nil {
		return nil, err
	}
	worksheets := map[string]bool{}
	for _, t := range byType["worksheet"] {
		worksheets[t] = true
	}
	names := map[string]string{} // part name -> how messages call it
	for _, s := range wb.Sheets {
		id := ""
		for _, a := range s.Attrs {
			if a.Name.Local == "id" && a.Name.Space != "" {
				id = a.Value
			}
		}
		for _, o := range b.sheets {
			if strings.EqualFold(o.name, s.Name) {
				return nil, fmt.Errorf("%s: two sheets named %q", b.path, clipName(s.Name))
			}
		}
		sh := bookSheet{name: s.Name}
		if t, ok := byID[id]; ok && worksheets[t] {
			if sh.part = z.find(t); sh.part == nil {
				return nil, fmt.Errorf("%s: sheet %q: its part %s is missing from the archive", b.path, clipName(s.Name), clipName(t))
			}
			names[strings.ToLower(sh.part.Name)] = fmt.Sprintf("sheet %q (%s)", s.Name, sh.part.Name)
		}
		b.sheets = append(b.sheets, sh)
	}
	if t := byType["sharedStrings"]; len(t) > 0 {
		b.sstPart = z.find(t[0])
	} else {
		b.sstPart = z.find("xl/sharedStrings.xml") // where excelize looks regardless
	}
	if b.sstPart != nil {
		names[strings.ToLower(b.sstPart.Name)] = "the shared strings (" + b.sstPart.Name + ")"
	}
	if t := byType["styles"]; len(t) > 0 {
		b.styles = z.find(t[0])
	}
	z.part = func(n string) string {
		if s, ok := names[strings.ToLower(n)]; ok {
			return s
		}
		return "part " + clipName(n)
	}
	return b, nil
}

// sheet is the sheet of that name; excelize, and so ReadSigned before,
// found sheets by name ignoring case.
func (b *signedBook) sheet(name string) (bookSheet, bool) {
	for _, s := range b.sheets {
		if strings.EqualFold(s.name, name) {
			return s, true
		}
	}
	return bookSheet{}, false
}

// sharedStrings is the shared string table: every string decoded into one
// arena, so a million strings cost their text and four bytes each. Past
// the book's hold the arena's text goes to a spill file, whole strings at
// a time, and is read back from it: a workbook Excel saved holds its
// text there, hundreds of megabytes for a million users
// (docs/architecture.md, "Memory").
type sharedStrings struct {
	arena   []byte
	ends    []uint32 // where each string ends, counting the spilled text
	spill   *os.File // nil until the text outgrows the hold
	spilled uint32   // bytes of text in spill; the arena holds what follows
	buf     []byte
}

func (t *sharedStrings) get(i int) (string, error) {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	end := t.ends[i]
	if end <= t.spilled && end > start {
		t.buf = slices.Grow(t.buf[:0], int(end-start))[:end-start]
		if _, err := t.spill.ReadAt(t.buf, int64(start)); err != nil {
			return "", fmt.Errorf("read back the shared strings: %w", err)
		}
		return string(t.buf), nil
	}
	if end <= t.spilled {
		return "", nil
	}
	return string(t.arena[start-t.spilled : end-t.spilled]), nil
}

// flush moves the arena's text to the spill file, made in dir.
func (t *sharedStrings) flush(dir string) error {
	if t.spill == nil {
		f, err := os.CreateTemp(dir, ".syncgap-spill-sst-*")
		if err != nil {
			return fmt.Errorf("spill the shared strings: %w", err)
		}
		t.spill = f
	}
	if _, err := t.spill.Write(t.arena); err != nil {
		return fmt.Errorf("spill the shared strings: %w", err)
	}
	t.spilled += uint32(len(t.arena))
	t.arena = t.arena[:0]
	return nil
}

// close removes the spill file, if any.
func (t *sharedStrings) close() error {
	if t == nil || t.spill == nil {
		return nil
	}
	name := t.spill.Name()
	t.spill.Close()
	t.spill = nil
	return os.Remove(name)
}

// loadSST reads the shared strings within their limits: the part's size,
// how many strings, how long each.
func (b *signedBook) loadSST() error {
	if b.sst != nil || b.sstPart == nil {
		return nil
	}
	p, err := b.z.open(b.sstPart, MaxSignedXML)
	if err != nil {
		return err
	}
	a := newReadAhead(p, b.sstPart.UncompressedSize64)
	defer a.Close()
	where := b.z.part(b.sstPart.Name)
	fail := func(err error) error {
		if errors.Is(err, errXML) {
			return fmt.Errorf("%s: %s: %w", b.path, where, err)
		}
		return err // from the part reader, which names file and part
	}
	t := &sharedStrings{}
	done := false
	defer func() {
		if !done {
			t.close()
		}
	}()
	s := newXMLScanner(a, b.sstPart.UncompressedSize64)
	inSI, inT, skip := false, false, 0
	start, chars := 0, 0
	for {
		tok, err := s.next()
		if err != nil {
			return fail(err)
		}
		d := s.depth()
		switch tok {
		case tokEOF:
			b.sst, done = t, true
			return nil
		case tokStart:
			switch {
			case skip > 0:
			case d == 1:
				if string(s.name) != "sst" {
					return fmt.Errorf("%s: %s: the root element is <%s>, not <sst>", b.path, where, clipName(string(s.name)))
				}
			case d == 2 && string(s.name) == "si":
				if len(t.ends) >= sharedStringLimit {
					return fmt.Errorf("%s: %s: more than %d shared strings, more than a signed workbook may have", b.path, where, sharedStringLimit)
				}
				inSI, start, chars = true, len(t.arena), 0
			case inSI && string(s.name) == "t" && (d == 3 || (d == 4 && localIs(s.stack[2], "r"))):
				inT = true
			case inSI && (d == 3 && string(s.name) == "r"):
			default:
				skip = d // phonetic runs, extensions: not part of the text
			}
		case tokEnd:
			switch {
			case skip > 0:
				if d < skip {
					skip = 0
				}
			case inT:
				inT = false
			case inSI && d == 1:
				text, ok := unescapeBSTR(t.arena[start:])
				if !ok {
					t.arena = append(t.arena[:start], text...)
				}
				t.ends = append(t.ends, t.spilled+uint32(len(t.arena)))
				inSI = false
				if b.hold > 0 && len(t.arena) >= b.hold {
					if err := t.flush(b.spillDir); err != nil {
						return err
					}
				}
			}
		case tokText, tokCDATA:
			if !inT || skip > 0 {
				continue
			}
			before := len(t.arena)
			if tok == tokText {
				t.arena = appendXMLText(t.arena, s.text)
			} else {
				t.arena = appendCDATA(t.arena, s.text)
			}
			if chars += utf8.RuneCount(t.arena[before:]); chars > MaxCellChars {
				return fmt.Errorf("%s: %s: shared string %d has more than %d characters, more than a cell holds",
					b.path, where, len(t.ends), MaxCellChars)
			}
		}
	}
}

func localIs(full, local string) bool {
	l, _ := localName([]byte(full))
	return string(l) == local
}

// unescapeBSTR decodes the _xHHHH_ escapes Excel writes for characters XML
// cannot carry, as excelize does for shared and inline strings. ok is true
// when b had none (and is returned as is).
func unescapeBSTR(b []byte) ([]byte, bool) {
	if !bytes.Contains(b, []byte("_x")) {
		return b, true
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if i+7 <= len(b) && b[i] == '_' && b[i+1] == 'x' && b[i+6] == '_' {
			if v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16); err == nil {
				r := rune(v)
				if r == '_' {
					out = append(out, '_')
				} else if utf8.ValidRune(r) {
					out = utf8.AppendRune(out, r)
				} else {
					out = append(out, b[i:i+7]...)
				}
				i += 7
				continue
			}
		}
		out = append(out, b[i])
		i++
	}
	return out, false
}

// sheetCell is one cell as a sheet row reports it.
type sheetCell struct {
	Value   string
	Formula string // the formula's text, cut short; empty with HasFormula for a shared formula's later cells
	// HasFormula is true when the cell holds a formula: Value is then only
	// the value some program last calculated, which may not be current.
	HasFormula bool
	Numeric    bool // a number (no t, or t="n"), which a style may show as a date
	Style      int
}

// cellRef is a cell's A1 name, made in one allocation: it is made for
// three cells of every Plan row.
func cellRef(col, row int) string {
	var b [16]byte
	var letters [3]byte
	n, k := 0, 0
	for c := col; c > 0 && k < len(letters); c = (c - 1) / 26 {
		letters[k] = byte('A' + (c-1)%26)
		k++
	}
	for k > 0 {
		k--
		b[n] = letters[k]
		n++
	}
	return string(strconv.AppendInt(b[:n], int64(row), 10))
}

// parseCellRef parses "B7" strictly: column letters, then the row.
func parseCellRef(b []byte) (col, row int, ok bool) {
	i := 0
	for i < len(b) && i < 4 {
		c := b[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a') + 1
		i++
	}
	if i == 0 || col > excelize.MaxColumns {
		return 0, 0, false
	}
	row, ok = parseRowNum(b[i:])
	return col, row, ok
}

func parseRowNum(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 7 || b[0] == '0' {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= excelize.TotalRows
}

// sheetError is a problem in a sheet: with a cell when there is one, else
// with the row reached.
func (b *signedBook) sheetError(sh bookSheet, row, col int, err error) error {
	if col > 0 {
		return &pipeline.CellError{File: b.path, Sheet: sh.name, Cell: cellRef(col, row), Err: err}
	}
	at := ""
	if row > 0 {
		at = fmt.Sprintf(" after row %d", row)
	}
	return fmt.Errorf("%s: sheet %q (%s)%s: %w", b.path, sh.name, sh.part.Name, at, err)
}

// readSheet reads a worksheet row by row, calling fn for every <row> with
// the cells keep asks for (indexed by column - 1). keep is asked for each
// cell, with the cells kept so far in its row, so that what a row needs
// may depend on what it holds. Every other cell is checked all the same. A
// sheet that is not well-formed, a cell out of order, an unknown cell
// type, a shared string index out of range, a cell longer than
// MaxCellChars: an error naming the sheet and the cell or row.
func (b *signedBook) readSheet(sh bookSheet, keep func(col int, row []sheetCell) bool, fn func(row int, cells []sheetCell) error) error {
	if sh.part == nil {
		return fmt.Errorf("%s: sheet %q is not a worksheet", b.path, clipName(sh.name))
	}
	if err := b.loadSST(); err != nil {
		return err
	}
	p, err := b.z.open(sh.part, MaxSignedPart)
	if err != nil {
		return err
	}
	a := newReadAhead(p, sh.part.UncompressedSize64)
	defer a.Close()
	s := newXMLScanner(a, sh.part.UncompressedSize64)
	var (
		cells       []sheetCell
		formula     []byte
		row, col    int // the current row and cell; col 0 outside cells
		prevCol     int
		sheetData   int // sheetData elements seen
		inData      bool
		skip        int
		kept        bool
		cType, vRaw []byte
		hasV, hasF  bool
		where       int // 'v', 'f', 't' (inline text): what text is for
		chars       int
		style       int
	)
	vBuf := make([]byte, 0, 64)
	tBuf := make([]byte, 0, 64)
	for {
		tok, err := s.next()
		if err != nil {
			if errors.Is(err, errXML) {
				return b.sheetError(sh, row, col, err)
			}
			return err
		}
		d := s.depth()
		switch tok {
		case tokEOF:
			if sheetData == 0 {
				return b.sheetError(sh, 0, 0, errors.New("no <sheetData>: not a worksheet"))
			}
			return nil
		case tokStart:
			name := s.name
			switch {
			case skip > 0:
			case d == 1:
				if string(name) != "worksheet" {
					return b.sheetError(sh, 0, 0, fmt.Errorf("the root element is <%s>, not <worksheet>", clipName(string(name))))
				}
			case d == 2 && string(name) == "sheetData":
				if sheetData++; sheetData > 1 {
					return b.sheetError(sh, row, 0, errors.New("a second <sheetData>"))
				}
				inData = true
			case d == 2:
				skip = d
			case d == 3 && inData:
				if string(name) != "row" {
					return b.sheetError(sh, row, 0, fmt.Errorf("<%s> in <sheetData>, where only rows belong", clipName(string(name))))
				}
				next := row + 1
				if r := s.attr("r", false); r != nil {
					n, ok := parseRowNum(r)
					if !ok {
						return b.sheetError(sh, row, 0, fmt.Errorf("row number %q", clipName(string(r))))
					}
					next = n
				}
				if next <= row || next > excelize.TotalRows {
					return b.sheetError(sh, row, 0, fmt.Errorf("row %d out of order: the sheet is damaged", next))
				}
				row, prevCol, cells = next, 0, cells[:0]
			case d == 4 && string(name) == "c":
				col = prevCol + 1
				if r := s.attr("r", false); r != nil {
					c, rr, ok := parseCellRef(r)
					if !ok || rr != row {
						return b.sheetError(sh, row, 0, fmt.Errorf("cell reference %q in row %d: the sheet is damaged", clipName(string(r)), row))
					}
					col = c
				}
				if col <= prevCol || col > excelize.MaxColumns {
					return b.sheetError(sh, row, 0, fmt.Errorf("cell %s out of order: the sheet is damaged", cellRef(min(col, excelize.MaxColumns), row)))
				}
				style = 0
				if st := s.attr("s", false); st != nil {
					if style, err = strconv.Atoi(string(st)); err != nil || style < 0 {
						return b.sheetError(sh, row, col, fmt.Errorf("style %q is not a number", clipName(string(st))))
					}
				}
				cType = append(cType[:0], s.attr("t", false)...)
				kept = keep == nil || keep(col, cells)
				hasV, hasF, chars, where = false, false, 0, 0
				vBuf, tBuf, formula = vBuf[:0], tBuf[:0], formula[:0]
			case d == 4:
				skip = d
			case d == 5 && col > 0 && string(name) == "v":
				hasV, where = true, 'v'
			case d == 5 && col > 0 && string(name) == "f":
				hasF, where = true, 'f'
			case d == 5 && col > 0 && string(name) == "is":
			case d == 6 && col > 0 && string(name) == "t" && localIs(s.stack[4], "is"),
				d == 7 && col > 0 && string(name) == "t" && localIs(s.stack[5], "r") && localIs(s.stack[4], "is"):
				where = 't'
			case d == 6 && col > 0 && string(name) == "r" && localIs(s.stack[4], "is"):
			default:
				skip = d // phonetic runs, extensions
			}
		case tokEnd:
			switch {
			case skip > 0:
				if d < skip {
					skip = 0
				}
			case d == 1 && inData: // </sheetData>
				inData = false
			case d == 2 && row > 0 && inData: // </row>
				if err := fn(row, cells); err != nil {
					return err
				}
			case d == 3 && col > 0: // </c>
				c := sheetCell{HasFormula: hasF, Style: style}
				if kept && hasF {
					c.Formula = clipText(string(formula), 60)
				}
				vRaw = vBuf
				switch string(cType) {
				case "s":
					if !hasV {
						break
					}
					i, err := strconv.Atoi(string(bytes.TrimSpace(vRaw)))
					if n := b.sstLen(); err != nil || i < 0 || i >= n {
						return b.sheetError(sh, row, col, fmt.Errorf("shared string %q: the workbook has %d", clipName(string(vRaw)), n))
					}
					if kept {
						if c.Value, err = b.sst.get(i); err != nil {
							return err
						}
					}
				case "inlineStr":
					if kept {
						t, _ := unescapeBSTR(tBuf)
						c.Value = string(t)
					}
				case "b":
					switch string(vRaw) {
					case "1":
						c.Value = "TRUE"
					case "0":
						c.Value = "FALSE"
					default:
						c.Value = string(vRaw)
					}
				case "", "n":
					if kept {
						c.Numeric, c.Value = hasV && len(vRaw) > 0, string(vRaw)
					}
				case "str", "e", "d":
					if kept {
						c.Value = string(vRaw)
					}
				default:
					return b.sheetError(sh, row, col, fmt.Errorf("cell type %q, which is none of Excel's", clipName(string(cType))))
				}
				if kept {
					for len(cells) < col {
						cells = append(cells, sheetCell{})
					}
					cells[col-1] = c
				}
				prevCol, col = col, 0
			case d >= 4 && col > 0: // </v>, </f>, </is>, </t>, </r>
				where = 0
			}
		case tokText, tokCDATA:
			if skip > 0 || col == 0 || where == 0 {
				continue
			}
			if where != 'f' {
				if chars += s.chars; chars > MaxCellChars {
					return b.sheetError(sh, row, col, fmt.Errorf("more than %d characters, more than a cell holds", MaxCellChars))
				}
			}
			// Values are decoded for every cell: a shared string index and
			// a cell type are checked in any column; text only when kept.
			dst := &vBuf
			switch {
			case where == 'f':
				if !kept || len(formula) > 256 {
					continue
				}
				dst = &formula
			case where == 't':
				if !kept {
					continue
				}
				dst = &tBuf
			case !kept && string(cType) != "s":
				continue
			}
			if tok == tokText {
				*dst = appendXMLText(*dst, s.text)
			} else {
				*dst = appendCDATA(*dst, s.text)
			}
		}
	}
}

func (b *signedBook) sstLen() int {
	if b.sst == nil {
		return 0
	}
	return len(b.sst.ends)
}

// clipText shortens a value for a message.
func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

type xmlStyles struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	Xfs []struct {
		NumFmtID int `xml:"numFmtId,attr"`
	} `xml:"cellXfs>xf"`
}

// signOffValue is a Sign-off value as text. The cells are text cells, but a
// program filling them in may write a date as a number with a date format
// (openpyxl does, given a date): that is shown as YYYY-MM-DD, the form the
// sheet asks for, rather than as a day count.
func (b *signedBook) signOffValue(c sheetCell) (string, error) {
	if !c.Numeric {
		return c.Value, nil
	}
	v, err := strconv.ParseFloat(c.Value, 64)
	if err != nil {
		return "", fmt.Errorf("number %q", clipText(c.Value, 40))
	}
	if b.numFmts == nil {
		if err := b.loadStyles(); err != nil {
			return "", err
		}
	}
	if c.Style >= len(b.numFmts) || !b.numFmts[c.Style] || v < 0 || v > 2958465 { // 9999-12-31
		return c.Value, nil
	}
	t, err := excelize.ExcelDateToTime(v, b.date1904)
	if err != nil {
		return c.Value, nil
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02"), nil
	}
	return t.Format("2006-01-02 15:04:05"), nil
}

// loadStyles reads which cell styles show numbers as dates.
func (b *signedBook) loadStyles() error {
	b.numFmts = []bool{}
	if b.styles == nil {
		return nil
	}
	data, err := b.z.readAll(b.styles, maxSignedMeta)
	if err != nil {
		return err
	}
	var st xmlStyles
	if err := xml.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("%s: part %s: %w", b.path, clipName(b.styles.Name), err)
	}
	custom := map[int]string{}
	for _, f := range st.NumFmts {
		custom[f.ID] = f.Code
	}
	for _, x := range st.Xfs {
		code, ok := custom[x.NumFmtID]
		b.numFmts = append(b.numFmts, isDateFormat(x.NumFmtID, code, ok))
	}
	return nil
}

// isDateFormat reports whether a number format shows a date or time: one
// of Excel's built-in date formats, or a format code with date or time
// letters outside quoted text, escapes and [colour] sections.
func isDateFormat(id int, code string, custom bool) bool {
	if !custom {
		return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58)
	}
	quoted, bracket := false, false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case quoted:
			quoted = c != '"'
		case bracket:
			bracket = c != ']'
		case c == '"':
			quoted = true
		case c == '[':
			bracket = true
		case c == '\\' || c == '_' || c == '*':
			i++ // the next character is literal, or padding
		case strings.IndexByte("yYmMdDhHsS", c) >= 0:
			return true
		}
	}
	return false
}

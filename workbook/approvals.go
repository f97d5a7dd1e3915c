package workbook

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"syncgap/pipeline"
)

// Signed is what a signed plan workbook says: the plan it signs, the change
// record, who signed, and the decisions made, by row and by group. It is
// read as written; checking it against the plan, and refusing a sign-off
// that is not filled in, is the approve stage's job.
type Signed struct {
	PlanHash     string
	PlanHashCell string // where the hash was read, for errors

	// The change record, as written; a cell is empty when the sheet has no
	// such row (a workbook from before these fields).
	ChangeID, ChangeIDCell       string
	Implementer, ImplementerCell string
	Window, WindowCell           string

	// Approvers has one entry per approver the Sign-off sheet asks for
	// (Approvers, in sheet order), filled in or not.
	Approvers []Approver
	// Approver, Role and Date are Approvers[0]'s.
	Approver, Role, Date string

	// Groups are the Plan sheet's group rows, decided or not, in sheet order.
	Groups []GroupDecided
	// Decisions are the Plan rows with a decision of their own.
	Decisions []Decided
	// Undecided are the Plan rows with an empty Decision cell; their group's
	// decision may still apply to them (see Effective).
	Undecided []Decided
}

// Approver is one approver's cells on the Sign-off sheet. A cell name is
// empty when the sheet has no such row.
type Approver struct {
	Name, Role, Date             string
	NameCell, RoleCell, DateCell string // e.g. "B16"
}

// GroupDecided is one group row of a Plan sheet.
type GroupDecided struct {
	ID       string            // "Group 3"
	Key      GroupKey          // read from the row's Kind, Attribute, Op and Risk cells
	Label    string            // the row's words, e.g. "41 low-risk additions to AD mobile, …"
	Decision pipeline.Decision // empty when left blank
	Comment  string
	Sheet    string
	Cell     string // the group's Decision cell, e.g. C3
	IDCell   string
}

// Decided is one Plan row; Decision is empty when the row was left blank.
type Decided struct {
	ActionID string
	Decision pipeline.Decision
	Comment  string
	Sheet    string
	Cell     string // the row's own Decision cell, e.g. C7
	IDCell   string // the Action id cell

	// GroupID names the row's group ("Group 3"), Group is its key and
	// GroupCell the row's Group cell; all empty when the row has none.
	GroupID   string
	Group     GroupKey
	GroupCell string

	// ByGroup and From are set by Effective: whether Decision is the
	// group's, and where it was read ("Plan!C7", or the group's cell).
	ByGroup bool
	From    string
}

// Effective is every Plan row that is decided, in workbook order: a row's own
// decision, else its group's (ByGroup true, From naming the group's cell).
// Rows neither decided nor in a decided group are left out: they stay
// undecided.
func (s *Signed) Effective() []Decided {
	groups := map[string]*GroupDecided{}
	for i := range s.Groups {
		groups[strings.ToLower(s.Groups[i].ID)] = &s.Groups[i]
	}
	out := make([]Decided, 0, len(s.Decisions)+len(s.Undecided))
	for _, d := range s.Decisions {
		d.From = d.Sheet + "!" + d.Cell
		out = append(out, d)
	}
	for _, d := range s.Undecided {
		g := groups[strings.ToLower(d.GroupID)]
		if d.GroupID == "" || g == nil || g.Decision == "" {
			continue
		}
		d.Decision, d.ByGroup, d.From = g.Decision, true, g.Sheet+"!"+g.Cell
		out = append(out, d)
	}
	return out
}

// ReadSigned reads a signed plan workbook, whatever program saved it last
// (Excel, LibreOffice, openpyxl). Bad content is a *pipeline.CellError
// naming the sheet and cell: a decision that is not Approve or Reject, an
// action id or group given twice, a row without an id, a row naming a group
// that does not exist, a group row whose kind, op or risk is not one, a
// missing or empty plan hash, a formula in a cell it reads. Empty change
// fields and approvers are not refused here; their cells are returned.
//
// The file is someone else's and may be damaged or hostile: it is read
// within the limits below (docs/workbook.md, "Reading a signed workbook
// back"), and a workbook damaged anywhere, in any part of the archive or
// any sheet it reads, is refused whole, never read as fewer decisions.
func ReadSigned(path string) (*Signed, error) {
	return scanSigned(path, spill{}, nil, nil)
}

// ScanSigned reads a signed workbook as ReadSigned does, within the same
// limits, but hands each Plan row to row as it is read instead of holding
// it: a plan of ten million users has millions of rows, more than a memory
// budget holds (docs/architecture.md, "Memory"). The Signed it returns has
// no Decisions or Undecided.
//
// Two checks that need every row are left to the caller, which can sort
// the rows: an action id given twice, and a Group cell naming no group row
// (Decided.Group stays empty). row is also called, with refused set, for a
// row whose Decision cell is refused, before the refusal ends the reading,
// so that a repeat of its id, which ReadSigned names first, can be named
// still; row's error is what ends it. end is called once the Plan sheets
// are read, with the error that ended the reading (nil when none) and the
// sign-off and groups read; what it returns takes that error's place,
// before the rest of the archive's checksums are awaited.
//
// The shared strings, the one part held, are kept in memory up to hold
// bytes of text; past that they go to a file in spillDir (named
// .syncgap-spill-sst-*, removed before ScanSigned returns) and are read
// back from it. hold 0 keeps them all, as ReadSigned does.
func ScanSigned(path, spillDir string, hold int64, row func(d *Decided, refused error) error, end func(s *Signed, err error) error) (*Signed, error) {
	if row == nil {
		return nil, fmt.Errorf("ScanSigned: no row function")
	}
	return scanSigned(path, spill{spillDir, int(min(hold, MaxSignedXML))}, row, end)
}

// spill is where ScanSigned's shared strings go past hold bytes.
type spill struct {
	dir  string
	hold int
}

func scanSigned(path string, sp spill, row func(*Decided, error) error, end func(*Signed, error) error) (*Signed, error) {
	if err := checkSignedFile(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open workbook: %w", err)
	}
	defer f.Close()
	// Checked again on what was opened: the path may have been replaced.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open workbook: %w", err)
	}
	if err := checkSignedInfo(path, fi); err != nil {
		return nil, err
	}
	return readSignedWith(f, fi.Size(), path, sp, row, end)
}

// readSigned reads the size bytes at r as a signed workbook; path is the
// name errors give it.
func readSigned(r io.ReaderAt, size int64, path string) (*Signed, error) {
	return readSignedWith(r, size, path, spill{}, nil, nil)
}

// readSignedWith is readSigned, the Plan rows going to row when it is set
// (ScanSigned).
func readSignedWith(r io.ReaderAt, size int64, path string, sp spill, row func(*Decided, error) error, end func(*Signed, error) error) (*Signed, error) {
	z, err := openSignedZip(r, size, path)
	if err != nil {
		return nil, err
	}
	b, err := openSignedBook(z)
	if err != nil {
		return nil, err
	}
	b.spillDir, b.hold = sp.dir, sp.hold
	defer func() { b.sst.close() }()
	if err := z.checkDeclared(); err != nil {
		return nil, err
	}
	// The parts ReadSigned does not parse (the brief, Gaps, styles, …) are
	// inflated to their end on the other core meanwhile, for their
	// checksums: a damaged archive is refused whatever part is damaged.
	parsed := map[*zip.File]bool{b.sstPart: true}
	for _, sh := range b.sheets {
		if isPlanSheet(sh.name) || strings.EqualFold(sh.name, SignOffSheet) {
			parsed[sh.part] = true
		}
	}
	var stop atomic.Bool
	checked := make(chan error, 1)
	go func() {
		buf := make([]byte, 32<<10)
		for _, f := range z.order {
			if parsed[f] {
				continue
			}
			if err := z.drain(f, buf, &stop); err != nil {
				checked <- err
				return
			}
		}
		checked <- nil
	}()
	s, err := readSignedBook(b, row)
	if end != nil {
		err = end(s, err)
	}
	if err != nil {
		stop.Store(true)
		<-checked
		return nil, err
	}
	if err := <-checked; err != nil {
		return nil, err
	}
	return s, nil
}

func isPlanSheet(name string) bool {
	return name == PlanSheet || strings.HasPrefix(name, PlanSheet+" (")
}

// readSignedBook reads the sign-off and the Plan sheets. With rowFn set
// the rows go to it, unchecked for repeats and unresolved (ScanSigned);
// s is returned with the error too, for ScanSigned's end.
func readSignedBook(b *signedBook, rowFn func(*Decided, error) error) (*Signed, error) {
	s := &Signed{}
	if err := readSignOff(b, s); err != nil {
		return s, err
	}
	r := &planReader{path: b.path, s: s, groups: map[string]int{}, keys: map[GroupKey]string{}, rowFn: rowFn}
	if rowFn == nil {
		r.seen = map[string]string{}
	}
	found := false
	for _, sh := range b.sheets {
		if !isPlanSheet(sh.name) {
			continue
		}
		found = true
		if err := r.sheet(b, sh); err != nil {
			return s, err
		}
	}
	if !found {
		return s, fmt.Errorf("%s: no %q sheet: not a syncgap plan workbook", b.path, PlanSheet)
	}
	if rowFn != nil {
		return s, nil
	}
	if err := r.resolve(); err != nil {
		return s, err
	}
	return s, nil
}

func readSignOff(b *signedBook, s *Signed) error {
	sh, ok := b.sheet(SignOffSheet)
	if !ok {
		return fmt.Errorf("%s: no %q sheet: not a syncgap plan workbook", b.path, SignOffSheet)
	}
	s.Approvers = make([]Approver, Approvers)
	type dest struct{ val, cell *string }
	cells := map[string]dest{
		PlanHashLabel:    {&s.PlanHash, &s.PlanHashCell},
		ChangeIDLabel:    {&s.ChangeID, &s.ChangeIDCell},
		ImplementerLabel: {&s.Implementer, &s.ImplementerCell},
		WindowLabel:      {&s.Window, &s.WindowCell},
	}
	for n := 1; n <= Approvers; n++ {
		a := &s.Approvers[n-1]
		name, role, date, _ := ApproverLabels(n)
		cells[name], cells[role], cells[date] = dest{&a.Name, &a.NameCell}, dest{&a.Role, &a.RoleCell}, dest{&a.Date, &a.DateCell}
	}
	// A workbook from before the second approver: its one approver is the first.
	legacy := map[string]dest{
		ApproverLabel: {&s.Approvers[0].Name, &s.Approvers[0].NameCell},
		RoleLabel:     {&s.Approvers[0].Role, &s.Approvers[0].RoleCell},
		DateLabel:     {&s.Approvers[0].Date, &s.Approvers[0].DateCell},
	}
	// Labels in A, values in B: both are what the sign-off says.
	keep := func(col int, _ []sheetCell) bool { return col <= 2 }
	err := b.readSheet(sh, keep, func(n int, r []sheetCell) error {
		for i, c := range r {
			if c.HasFormula {
				return &pipeline.CellError{File: b.path, Sheet: sh.name, Cell: cellRef(i+1, n),
					Err: fmt.Errorf("holds a formula (%s); type the value as text", formulaText(c))}
			}
		}
		if len(r) == 0 {
			return nil
		}
		label := strings.TrimSpace(r[0].Value)
		d, ok := cells[label]
		if !ok {
			if d, ok = legacy[label]; !ok || *d.cell != "" {
				return nil
			}
		}
		*d.cell = fmt.Sprintf("B%d", n)
		*d.val = ""
		if len(r) > 1 {
			v, err := b.signOffValue(r[1])
			if err != nil {
				return &pipeline.CellError{File: b.path, Sheet: sh.name, Cell: *d.cell, Err: err}
			}
			*d.val = strings.TrimSpace(v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.PlanHashCell == "" {
		return &pipeline.CellError{File: b.path, Sheet: SignOffSheet, Cell: "A:A", Err: fmt.Errorf("no %q row", PlanHashLabel)}
	}
	if s.PlanHash == "" {
		return &pipeline.CellError{File: b.path, Sheet: SignOffSheet, Cell: s.PlanHashCell, Err: fmt.Errorf("the plan hash is empty")}
	}
	s.Approver, s.Role, s.Date = s.Approvers[0].Name, s.Approvers[0].Role, s.Approvers[0].Date
	return nil
}

// formulaText shows a formula in a message, quoted (it is the sender's text).
func formulaText(c sheetCell) string {
	if c.Formula == "" {
		return "a shared formula"
	}
	return strconv.Quote("=" + c.Formula)
}

// planReader reads the Plan sheets into a Signed.
type planReader struct {
	path   string
	s      *Signed
	seen   map[string]string           // action id -> sheet!cell of its first row; nil with rowFn
	rowFn  func(*Decided, error) error // where rows go instead of s (ScanSigned)
	groups map[string]int              // lower-case group id -> index in s.Groups
	keys   map[GroupKey]string         // group key -> sheet!cell of its group row

	// The current sheet's columns in planRead (indices, ascending) and the
	// hint for a formula in each.
	read []int
	hint map[int]string

	rows, comments int // rows read, and bytes of comments, against the limits
}

func (r *planReader) cellErr(sheet, cell string, format string, args ...any) error {
	return &pipeline.CellError{File: r.path, Sheet: sheet, Cell: cell, Err: fmt.Errorf(format, args...)}
}

// parseDecision reads a Decision cell: Approve or Reject in any case, or empty.
func (r *planReader) parseDecision(sheet, cell, dec string) (pipeline.Decision, error) {
	switch {
	case dec == "":
		return "", nil
	case strings.EqualFold(dec, ApproveText):
		return pipeline.Approve, nil
	case strings.EqualFold(dec, RejectText):
		return pipeline.Reject, nil
	}
	return "", r.cellErr(sheet, cell, "decision %q: write %s or %s, or leave it empty", dec, ApproveText, RejectText)
}

// isGroupID reports whether an Action id cell names a group row.
func isGroupID(id string) bool {
	return len(id) > len(GroupIDPrefix) && strings.EqualFold(id[:len(GroupIDPrefix)], GroupIDPrefix)
}

// planRead are the Plan columns ReadSigned reads, and what to tell
// someone who put a formula in one: a formula's saved value is whatever
// some program last calculated, and can say the opposite of the formula.
var planRead = map[string]string{
	ActionIDTitle:  "the action id must be the text syncgap wrote",
	DecisionTitle:  "type the decision as text",
	CommentTitle:   "type the comment as text",
	GroupTitle:     "the group must be the text syncgap wrote",
	KindTitle:      "the kind must be the text syncgap wrote",
	AttributeTitle: "the attribute must be the text syncgap wrote",
	OpTitle:        "the op must be the text syncgap wrote",
	RiskTitle:      "the risk must be the text syncgap wrote",
	"UPN":          "the group's words must be the text syncgap wrote",
}

func (r *planReader) sheet(b *signedBook, sh bookSheet) error {
	sheet := sh.name
	col := map[string]int{}
	var read []bool      // by column index: a column in planRead
	var groupOnly []bool // by column index: read on group rows only
	header := false
	// Kind, attribute, op, risk and words are read on group rows only: on
	// an action row (its id, in column A, comes first) they are skipped,
	// which spares a string per cell on a sheet of a million rows.
	keep := func(c int, row []sheetCell) bool {
		if !header {
			return true
		}
		if c > len(read) || !read[c-1] {
			return false
		}
		if !groupOnly[c-1] {
			return true
		}
		id := col[ActionIDTitle]
		return id >= c-1 || (id < len(row) && isGroupID(strings.TrimSpace(row[id].Value)))
	}
	r.read, r.hint = r.read[:0], map[int]string{}
	err := b.readSheet(sh, keep, func(n int, cells []sheetCell) error {
		if !header {
			if n != 1 {
				return r.cellErr(sheet, "1:1", "header lacks %q or %q", ActionIDTitle, DecisionTitle)
			}
			header = true
			for i, c := range cells {
				if c.HasFormula {
					return r.cellErr(sheet, cellRef(i+1, n), "holds a formula (%s); column titles must be the text syncgap wrote", formulaText(c))
				}
				t := strings.TrimSpace(c.Value)
				if _, dup := col[t]; !dup && t != "" {
					col[t] = i
				}
			}
			for _, t := range []string{ActionIDTitle, DecisionTitle} {
				if _, ok := col[t]; !ok {
					return r.cellErr(sheet, "1:1", "header lacks %q or %q", ActionIDTitle, DecisionTitle)
				}
			}
			for t, hint := range planRead {
				if c, ok := col[t]; ok {
					for len(read) <= c {
						read, groupOnly = append(read, false), append(groupOnly, false)
					}
					read[c] = true
					r.read, r.hint[c] = append(r.read, c), hint
				}
			}
			for _, t := range []string{KindTitle, AttributeTitle, OpTitle, RiskTitle, "UPN"} {
				if c, ok := col[t]; ok {
					groupOnly[c] = true
				}
			}
			slices.Sort(r.read) // the first formula in the row is the one named
			return nil
		}
		return r.row(sheet, n, cells, col)
	})
	if err != nil {
		return err
	}
	if !header {
		return r.cellErr(sheet, "1:1", "no rows at all: header lacks %q or %q", ActionIDTitle, DecisionTitle)
	}
	return nil
}

// row reads one Plan row after the header.
func (r *planReader) row(sheet string, n int, cells []sheetCell, col map[string]int) error {
	at := func(title string) string {
		c, ok := col[title]
		if !ok {
			return ""
		}
		return cellRef(c+1, n)
	}
	for _, c := range r.read {
		if c < len(cells) && cells[c].HasFormula {
			return r.cellErr(sheet, cellRef(c+1, n), "holds a formula (%s); %s", formulaText(cells[c]), r.hint[c])
		}
	}
	get := func(title string) string {
		if c, ok := col[title]; ok && c < len(cells) {
			return strings.TrimSpace(cells[c].Value)
		}
		return ""
	}
	id, dec := get(ActionIDTitle), get(DecisionTitle)
	idCell, decCell := at(ActionIDTitle), at(DecisionTitle)
	if id == "" {
		if dec != "" {
			return r.cellErr(sheet, idCell, "a decision (%s) on a row without an action id", decCell)
		}
		return nil // a blank line
	}
	if r.rows++; r.rows > signedRowLimit {
		return r.cellErr(sheet, idCell, "more than %d rows on the Plan sheets, more than any plan has", signedRowLimit)
	}
	if r.comments += len(get(CommentTitle)); r.comments > signedCommentLimit {
		return r.cellErr(sheet, at(CommentTitle), "the comments come to more than %d bytes, more than a signed workbook may hold", signedCommentLimit)
	}
	if isGroupID(id) {
		return r.group(sheet, n, id, dec, get, at)
	}
	if r.seen != nil {
		if first, dup := r.seen[id]; dup {
			return r.cellErr(sheet, idCell, "action %s appears twice (first at %s)", id, first)
		}
		r.seen[id] = sheet + "!" + idCell
	}
	d, err := r.parseDecision(sheet, decCell, dec)
	row := Decided{
		ActionID: id, Decision: d, Comment: get(CommentTitle), Sheet: sheet, Cell: decCell, IDCell: idCell,
		GroupID: get(GroupTitle),
	}
	if row.GroupID != "" {
		row.GroupCell = at(GroupTitle)
	}
	if r.rowFn != nil {
		return r.rowFn(&row, err)
	}
	if err != nil {
		return err
	}
	if d == "" {
		r.s.Undecided = append(r.s.Undecided, row)
	} else {
		r.s.Decisions = append(r.s.Decisions, row)
	}
	return nil
}

// group reads one group row: its id, key and decision.
func (r *planReader) group(sheet string, n int, id, dec string, get, at func(string) string) error {
	idCell, decCell := at(ActionIDTitle), at(DecisionTitle)
	for _, t := range []string{KindTitle, AttributeTitle, OpTitle, RiskTitle} {
		if at(t) == "" {
			return r.cellErr(sheet, "1:1", "group row %s, but the header lacks %q", id, t)
		}
	}
	key := GroupKey{
		Kind: pipeline.ActionKind(get(KindTitle)), Attribute: get(AttributeTitle),
		Op: pipeline.Op(get(OpTitle)), Risk: pipeline.Risk(get(RiskTitle)),
	}
	if !key.Kind.Decidable() {
		return r.cellErr(sheet, at(KindTitle), "group %s: kind %q takes no decision", id, key.Kind)
	}
	if !slices.Contains(pipeline.Risks, key.Risk) {
		return r.cellErr(sheet, at(RiskTitle), "group %s: risk %q is not one of %v", id, key.Risk, pipeline.Risks)
	}
	if !slices.Contains([]pipeline.Op{"", pipeline.OpReplace, pipeline.OpAdd, pipeline.OpDelete}, key.Op) {
		return r.cellErr(sheet, at(OpTitle), "group %s: op %q is not replace, add or delete", id, key.Op)
	}
	lower := strings.ToLower(id)
	if i, dup := r.groups[lower]; dup {
		g := r.s.Groups[i]
		return r.cellErr(sheet, idCell, "group %s appears twice (first at %s!%s)", id, g.Sheet, g.IDCell)
	}
	if first, dup := r.keys[key]; dup {
		return r.cellErr(sheet, idCell, "group %s has the same kind, attribute, op and risk as the group at %s", id, first)
	}
	d, err := r.parseDecision(sheet, decCell, dec)
	if err != nil {
		return err
	}
	r.groups[lower] = len(r.s.Groups)
	r.keys[key] = sheet + "!" + idCell
	r.s.Groups = append(r.s.Groups, GroupDecided{
		ID: id, Key: key, Label: get("UPN"), Decision: d, Comment: get(CommentTitle),
		Sheet: sheet, Cell: decCell, IDCell: idCell,
	})
	return nil
}

// resolve gives every row the key of the group it names.
func (r *planReader) resolve() error {
	for _, rows := range [][]Decided{r.s.Decisions, r.s.Undecided} {
		for i := range rows {
			d := &rows[i]
			if d.GroupID == "" {
				continue
			}
			g, ok := r.groups[strings.ToLower(d.GroupID)]
			if !ok {
				return r.cellErr(d.Sheet, d.GroupCell, "action %s names group %q, which no group row on the Plan sheets has", d.ActionID, d.GroupID)
			}
			d.Group = r.s.Groups[g].Key
		}
	}
	return nil
}

// Limits on a signed workbook read back. They are far above what a plan
// of a million users comes to (its workbook is about 75 MB and unzips to
// 0.9 GB, the largest part the 380 MB Plan sheet; saved by Excel or
// LibreOffice, its shared strings come to an estimated 3 to 4 million and
// 250 MB), and they keep a hostile file's cost in memory to the shared
// strings, the only part held in memory, and in time to inflating
// MaxSignedUnzip. Sizes are checked as declared before anything inflates,
// and again as inflated, so a header that lies gains nothing.
const (
	MaxSignedFile  = 512 << 20 // the file
	MaxSignedUnzip = 2 << 30   // all parts together, uncompressed
	MaxSignedPart  = 1 << 30   // one part, uncompressed; sheets are read streaming
	MaxSignedXML   = 512 << 20 // the shared strings part, held in memory
	// MaxSharedStrings is the most strings the shared string table may
	// hold; they cost their text and 4 bytes each.
	MaxSharedStrings = 16 << 20
	// MaxCellChars is the most characters a cell or shared string may
	// hold: Excel's own limit, which syncgap's writer keeps to as well.
	MaxCellChars = 32_767
	// MaxSignedRows is the most action and group rows the Plan sheets may
	// hold together: a million users with a difference on both attributes
	// make two million. ReadSigned holds each row read (a few hundred
	// bytes), so this bounds what a workbook of tiny rows costs it;
	// ScanSigned holds none.
	MaxSignedRows = 4 << 20
	// MaxSignedComments is the most bytes all Comment cells together may
	// hold; they are held too.
	MaxSignedComments = 64 << 20
)

// The row and comment limits, as variables so that a test can reach them
// without building millions of rows.
var (
	signedRowLimit     = MaxSignedRows
	signedCommentLimit = MaxSignedComments
)

// checkSignedFile refuses what is not a regular file of a sane size before
// anything opens it: a FIFO would hang, a device never end.
func checkSignedFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open workbook: %w", err)
	}
	return checkSignedInfo(path, fi)
}

func checkSignedInfo(path string, fi os.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file (a workbook is a .xlsx file)", path)
	}
	if fi.Size() > MaxSignedFile {
		return fmt.Errorf("%s: %d MB, more than a signed workbook can be (%d MB)", path, fi.Size()>>20, MaxSignedFile>>20)
	}
	return nil
}

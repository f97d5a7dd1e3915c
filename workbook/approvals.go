package workbook

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

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
// missing or empty plan hash. Empty change fields and approvers are not
// refused here; their cells are returned.
func ReadSigned(path string) (*Signed, error) {
	if err := checkSignedFile(path); err != nil {
		return nil, err
	}
	// excelize's defaults let a small zip inflate to 16 GB: a workbook
	// someone sent back is read within limits a change-board workbook
	// never comes near (docs/dependencies.md, "excelize").
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: MaxSignedUnzip, UnzipXMLSizeLimit: MaxSignedXML})
	if err != nil {
		return nil, fmt.Errorf("open workbook %s: %w", path, err)
	}
	defer f.Close()
	s := &Signed{}
	if err := readSignOff(f, path, s); err != nil {
		return nil, err
	}
	r := &planReader{path: path, s: s, seen: map[string]string{}, groups: map[string]int{}, keys: map[GroupKey]string{}}
	found := false
	for _, sheet := range f.GetSheetList() {
		if sheet != PlanSheet && !strings.HasPrefix(sheet, PlanSheet+" (") {
			continue
		}
		found = true
		if err := r.sheet(f, sheet); err != nil {
			return nil, err
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no %q sheet: not a syncgap plan workbook", path, PlanSheet)
	}
	if err := r.resolve(); err != nil {
		return nil, err
	}
	return s, nil
}

func readSignOff(f *excelize.File, path string, s *Signed) error {
	rows, err := f.GetRows(SignOffSheet)
	if err != nil {
		return fmt.Errorf("%s: no %q sheet: not a syncgap plan workbook", path, SignOffSheet)
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
	for i, r := range rows {
		if len(r) == 0 {
			continue
		}
		label := strings.TrimSpace(r[0])
		d, ok := cells[label]
		if !ok {
			if d, ok = legacy[label]; !ok || *d.cell != "" {
				continue
			}
		}
		*d.cell = fmt.Sprintf("B%d", i+1)
		if len(r) > 1 {
			*d.val = strings.TrimSpace(r[1])
		} else {
			*d.val = ""
		}
	}
	if s.PlanHashCell == "" {
		return &pipeline.CellError{File: path, Sheet: SignOffSheet, Cell: "A:A", Err: fmt.Errorf("no %q row", PlanHashLabel)}
	}
	if s.PlanHash == "" {
		return &pipeline.CellError{File: path, Sheet: SignOffSheet, Cell: s.PlanHashCell, Err: fmt.Errorf("the plan hash is empty")}
	}
	s.Approver, s.Role, s.Date = s.Approvers[0].Name, s.Approvers[0].Role, s.Approvers[0].Date
	return nil
}

// planReader reads the Plan sheets into a Signed.
type planReader struct {
	path   string
	s      *Signed
	seen   map[string]string   // action id -> sheet!cell of its first row
	groups map[string]int      // lower-case group id -> index in s.Groups
	keys   map[GroupKey]string // group key -> sheet!cell of its group row
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

func (r *planReader) sheet(f *excelize.File, sheet string) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("%s: sheet %q: %w", r.path, sheet, err)
	}
	defer rows.Close()
	col := map[string]int{}
	n := 0
	for rows.Next() {
		n++
		cells, err := rows.Columns()
		if err != nil {
			return fmt.Errorf("%s: sheet %q row %d: %w", r.path, sheet, n, err)
		}
		if n == 1 {
			for i, t := range cells {
				t = strings.TrimSpace(t)
				if _, dup := col[t]; !dup {
					col[t] = i
				}
			}
			if _, ok := col[ActionIDTitle]; !ok {
				return r.cellErr(sheet, "1:1", "header lacks %q or %q", ActionIDTitle, DecisionTitle)
			}
			if _, ok := col[DecisionTitle]; !ok {
				return r.cellErr(sheet, "1:1", "header lacks %q or %q", ActionIDTitle, DecisionTitle)
			}
			continue
		}
		get := func(title string) string {
			if c, ok := col[title]; ok && c < len(cells) {
				return strings.TrimSpace(cells[c])
			}
			return ""
		}
		at := func(title string) string {
			c, ok := col[title]
			if !ok {
				return ""
			}
			name, _ := excelize.CoordinatesToCellName(c+1, n)
			return name
		}
		id, dec := get(ActionIDTitle), get(DecisionTitle)
		idCell, decCell := at(ActionIDTitle), at(DecisionTitle)
		if id == "" {
			if dec != "" {
				return r.cellErr(sheet, idCell, "a decision (%s) on a row without an action id", decCell)
			}
			continue // a blank line
		}
		if isGroupID(id) {
			if err := r.group(sheet, n, id, dec, get, at); err != nil {
				return err
			}
			continue
		}
		if first, dup := r.seen[id]; dup {
			return r.cellErr(sheet, idCell, "action %s appears twice (first at %s)", id, first)
		}
		r.seen[id] = sheet + "!" + idCell
		d, err := r.parseDecision(sheet, decCell, dec)
		if err != nil {
			return err
		}
		row := Decided{
			ActionID: id, Decision: d, Comment: get(CommentTitle), Sheet: sheet, Cell: decCell, IDCell: idCell,
			GroupID: get(GroupTitle),
		}
		if row.GroupID != "" {
			row.GroupCell = at(GroupTitle)
		}
		if d == "" {
			r.s.Undecided = append(r.s.Undecided, row)
		} else {
			r.s.Decisions = append(r.s.Decisions, row)
		}
	}
	return rows.Error()
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

// Limits on a signed workbook read back: the file, everything it unzips
// to, and one XML part held in memory. A plan of a million users makes a
// workbook of about 60 MB that unzips to well under 1 GiB.
const (
	MaxSignedFile  = 512 << 20
	MaxSignedUnzip = 2 << 30
	MaxSignedXML   = 256 << 20
)

// checkSignedFile refuses what is not a regular file of a sane size before
// anything opens it: a FIFO would hang, a device never end.
func checkSignedFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open workbook: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file (a workbook is a .xlsx file)", path)
	}
	if fi.Size() > MaxSignedFile {
		return fmt.Errorf("%s: %d MB, more than a signed workbook can be (%d MB)", path, fi.Size()>>20, MaxSignedFile>>20)
	}
	return nil
}

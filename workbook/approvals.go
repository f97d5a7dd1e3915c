package workbook

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// Signed is what a signed plan workbook says: the plan it signs, who signed,
// and the decisions made. It is read as written; checking it against the
// plan is the approve stage's job.
type Signed struct {
	PlanHash     string
	PlanHashCell string // where the hash was read, for errors
	Approver     string
	Role         string
	Date         string
	Decisions    []Decided // the Plan rows with a decision
	Undecided    []Decided // the Plan rows with an empty Decision
}

// Decided is one Plan row; Decision is empty when the row was left blank.
type Decided struct {
	ActionID string
	Decision pipeline.Decision
	Comment  string
	Sheet    string
	Cell     string // the Decision cell, e.g. L7
	IDCell   string // the Action id cell
}

// ReadSigned reads a signed plan workbook, whatever program saved it last
// (Excel, LibreOffice, openpyxl). Bad content is a *pipeline.CellError
// naming the sheet and cell: a decision that is not Approve or Reject, an
// action id given twice, a row without an id, a missing approver.
func ReadSigned(path string) (*Signed, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("open workbook %s: %w", path, err)
	}
	defer f.Close()
	s := &Signed{}
	if err := readSignOff(f, path, s); err != nil {
		return nil, err
	}
	seen := map[string]string{} // action id -> sheet!cell of its first row
	found := false
	for _, sheet := range f.GetSheetList() {
		if sheet != PlanSheet && !strings.HasPrefix(sheet, PlanSheet+" (") {
			continue
		}
		found = true
		if err := readPlanSheet(f, path, sheet, s, seen); err != nil {
			return nil, err
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no %q sheet: not a syncgap plan workbook", path, PlanSheet)
	}
	return s, nil
}

func readSignOff(f *excelize.File, path string, s *Signed) error {
	rows, err := f.GetRows(SignOffSheet)
	if err != nil {
		return fmt.Errorf("%s: no %q sheet: not a syncgap plan workbook", path, SignOffSheet)
	}
	cells := map[string]*string{PlanHashLabel: &s.PlanHash, ApproverLabel: &s.Approver, RoleLabel: &s.Role, DateLabel: &s.Date}
	where := map[string]string{}
	for i, r := range rows {
		if len(r) == 0 {
			continue
		}
		label := strings.TrimSpace(r[0])
		dst, ok := cells[label]
		if !ok {
			continue
		}
		where[label] = fmt.Sprintf("B%d", i+1)
		if len(r) > 1 {
			*dst = strings.TrimSpace(r[1])
		}
	}
	for _, label := range []string{PlanHashLabel, ApproverLabel} {
		if where[label] == "" {
			return &pipeline.CellError{File: path, Sheet: SignOffSheet, Cell: "A:A", Err: fmt.Errorf("no %q row", label)}
		}
	}
	s.PlanHashCell = where[PlanHashLabel]
	if s.PlanHash == "" {
		return &pipeline.CellError{File: path, Sheet: SignOffSheet, Cell: where[PlanHashLabel], Err: fmt.Errorf("the plan hash is empty")}
	}
	if s.Approver == "" {
		return &pipeline.CellError{File: path, Sheet: SignOffSheet, Cell: where[ApproverLabel], Err: fmt.Errorf("no approver name: the sign-off is not filled in")}
	}
	return nil
}

func readPlanSheet(f *excelize.File, path, sheet string, s *Signed, seen map[string]string) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("%s: sheet %q: %w", path, sheet, err)
	}
	defer rows.Close()
	idCol, decCol, comCol := -1, -1, -1
	n := 0
	for rows.Next() {
		n++
		r, err := rows.Columns()
		if err != nil {
			return fmt.Errorf("%s: sheet %q row %d: %w", path, sheet, n, err)
		}
		if n == 1 {
			for i, t := range r {
				switch strings.TrimSpace(t) {
				case ActionIDTitle:
					idCol = i
				case DecisionTitle:
					decCol = i
				case CommentTitle:
					comCol = i
				}
			}
			if idCol < 0 || decCol < 0 {
				return &pipeline.CellError{File: path, Sheet: sheet, Cell: "1:1", Err: fmt.Errorf("header lacks %q or %q", ActionIDTitle, DecisionTitle)}
			}
			continue
		}
		get := func(c int) string {
			if c >= 0 && c < len(r) {
				return strings.TrimSpace(r[c])
			}
			return ""
		}
		id, dec := get(idCol), get(decCol)
		idCell, _ := excelize.CoordinatesToCellName(idCol+1, n)
		decCell, _ := excelize.CoordinatesToCellName(decCol+1, n)
		if id == "" {
			if dec != "" {
				return &pipeline.CellError{File: path, Sheet: sheet, Cell: idCell, Err: fmt.Errorf("a decision (%s) on a row without an action id", decCell)}
			}
			continue // a blank line
		}
		if first, dup := seen[id]; dup {
			return &pipeline.CellError{File: path, Sheet: sheet, Cell: idCell, Err: fmt.Errorf("action %s appears twice (first at %s)", id, first)}
		}
		seen[id] = sheet + "!" + idCell
		var d pipeline.Decision
		switch {
		case dec == "":
			s.Undecided = append(s.Undecided, Decided{ActionID: id, Sheet: sheet, Cell: decCell, IDCell: idCell})
			continue
		case strings.EqualFold(dec, ApproveText):
			d = pipeline.Approve
		case strings.EqualFold(dec, RejectText):
			d = pipeline.Reject
		default:
			return &pipeline.CellError{File: path, Sheet: sheet, Cell: decCell, Err: fmt.Errorf("decision %q: write %s or %s, or leave it empty", dec, ApproveText, RejectText)}
		}
		s.Decisions = append(s.Decisions, Decided{
			ActionID: id, Decision: d, Comment: get(comCol), Sheet: sheet, Cell: decCell, IDCell: idCell,
		})
	}
	return rows.Error()
}

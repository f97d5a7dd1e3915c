package approve

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// joinShare is the share of the memory budget each of approve's two sorts
// may buffer before it spills, an eighth as for plan's sort of the Plan
// rows: both hold rows while the first is merged into the second, the
// garbage collector lets the heap grow to twice what is live, and the
// signed workbook's shared strings and the readers take the rest
// (docs/architecture.md, "Memory").
const joinShare = 8

// Sides of a joinRow: the plan's row of an action sorts before the
// workbook's rows naming it.
const (
	planSide int64 = iota
	bookSide
)

// joinRow is a plan action (what checking a workbook row needs of it) or a
// workbook row, sorted together by action id (docs/architecture.md,
// "Memory").
type joinRow struct {
	ActionID string `parquet:"action_id"`
	Side     int64  `parquet:"side"`
	// The plan's side: where the action is in the plan, and its group.
	At        int64               `parquet:"at"`
	Kind      pipeline.ActionKind `parquet:"kind"`
	Target    pipeline.Target     `parquet:"target"`
	Attribute string              `parquet:"attribute"`
	Op        pipeline.Op         `parquet:"op"`
	Risk      pipeline.Risk       `parquet:"risk"`
	// The workbook's side: the row as read (workbook.Decided), and where it
	// was read, in reading order.
	Seq       int64             `parquet:"seq"`
	Decision  pipeline.Decision `parquet:"decision"`
	Comment   string            `parquet:"comment"`
	Sheet     string            `parquet:"sheet"`
	Cell      string            `parquet:"cell"`
	IDCell    string            `parquet:"id_cell"`
	GroupID   string            `parquet:"group_id"`
	GroupCell string            `parquet:"group_cell"`
}

func planRow(a *pipeline.Action, at int64) joinRow {
	return joinRow{ActionID: a.ActionID, Side: planSide, At: at, Kind: a.Kind, Target: a.Target, Attribute: a.Attribute, Op: a.Op, Risk: a.Risk}
}

func bookRow(d *workbook.Decided, seq int64) joinRow {
	return joinRow{ActionID: d.ActionID, Side: bookSide, Seq: seq, Decision: d.Decision, Comment: d.Comment,
		Sheet: d.Sheet, Cell: d.Cell, IDCell: d.IDCell, GroupID: d.GroupID, GroupCell: d.GroupCell}
}

func joinBytes(r *joinRow) int64 {
	return int64(len(r.ActionID) + len(r.Kind) + len(r.Target) + len(r.Attribute) + len(r.Op) + len(r.Risk) +
		len(r.Decision) + len(r.Comment) + len(r.Sheet) + len(r.Cell) + len(r.IDCell) + len(r.GroupID) + len(r.GroupCell))
}

// action is the plan side of r as an action, for workbook.GroupOf.
func (r *joinRow) action() *pipeline.Action {
	return &pipeline.Action{ActionID: r.ActionID, Kind: r.Kind, Target: r.Target, Attribute: r.Attribute, Op: r.Op, Risk: r.Risk}
}

// placedApproval is an approval and where its action is in the plan,
// sorted into plan order.
type placedApproval struct {
	At int64             `parquet:"at"`
	A  pipeline.Approval `parquet:"a,prefix="`
}

func (p *placedApproval) key() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(p.At))
	return string(b[:])
}

func placedBytes(p *placedApproval) int64 {
	a := &p.A
	return int64(8 + len(a.ActionID) + len(a.Decision) + len(a.Comment) + len(a.Cell)) // the rest is shared by every approval
}

// planFacts is what approve keeps of the plan as it passes: a few ids and
// a count, whatever its size.
type planFacts struct {
	decidable int
	// The tenant action and the acknowledgement of the AlternateMobilePhones
	// nobody can read (the last of each, as the plan has one), and what the
	// workbook decided for them.
	tenant, ack         string
	tenantDec, ackDec   pipeline.Decision
	tenantFrom, ackFrom string
}

func (p *planFacts) see(a *pipeline.Action) {
	if a.Kind.Decidable() {
		p.decidable++
	}
	switch {
	case a.Kind == pipeline.KindAcknowledge:
		p.ack = a.ActionID
	case a.Target == pipeline.TargetTenant && a.Kind.Writes():
		p.tenant = a.ActionID
	}
}

func (p *planFacts) decided(id string, d pipeline.Decision, from string) {
	switch id {
	case "":
	case p.tenant:
		p.tenantDec, p.tenantFrom = d, from
	case p.ack:
		p.ackDec, p.ackFrom = d, from
	}
}

// checkAcknowledged refuses an approved tenant action while the row about
// the AlternateMobilePhones nobody can read is not approved: approving the
// switch means accepting that it overwrites them (docs/rules.md, "Approve").
func (p *planFacts) checkAcknowledged(path string) error {
	if p.tenant == "" || p.ack == "" || p.tenantDec != pipeline.Approve || p.ackDec == pipeline.Approve {
		return nil
	}
	sheet, cell, _ := strings.Cut(p.tenantFrom, "!")
	return &pipeline.CellError{File: path, Sheet: sheet, Cell: cell,
		Err: fmt.Errorf("the tenant action is approved, but the row on AlternateMobilePhones that cannot be read (action %s) is not: approve both, or neither", p.ack)}
}

// found is the first of one kind of refusal, in the order the rows were
// checked when they were held: rows with a decision of their own (class
// 0) before the others (class 1), each in workbook order.
type found struct {
	class int
	seq   int64
	err   error
}

func (f *found) add(class int, seq int64, err error) {
	if f.err == nil || class < f.class || (class == f.class && seq < f.seq) {
		f.class, f.seq, f.err = class, seq, err
	}
}

// joiner checks the workbook's rows against the plan's actions in one
// pass over their sort by action id, and puts the approvals in plan order.
type joiner struct {
	path, hash, sum string
	plan            *planFacts
	out             *pipeline.Sorter[placedApproval]

	// The refusals, in the order approve reports them.
	repeat, unknownGroup, unknownID, wrongGroup, undecidable found

	counts           map[pipeline.Decision]int
	decided, byGroup int
}

func (j *joiner) cellErr(sheet, cell, format string, args ...any) error {
	return &pipeline.CellError{File: j.path, Sheet: sheet, Cell: cell, Err: fmt.Errorf(format, args...)}
}

// join is ScanSigned's end: readErr is what ended the reading. A repeated
// id earlier in the workbook is named before it, and a Group cell naming
// no group after it, as workbook.ReadSigned names them.
func (j *joiner) join(ctx context.Context, rows *pipeline.Sorter[joinRow], s *workbook.Signed, readErr error) error {
	groups := map[string]*workbook.GroupDecided{}
	var first, second workbook.Approver
	if s != nil {
		for i := range s.Groups {
			groups[strings.ToLower(s.Groups[i].ID)] = &s.Groups[i]
		}
		if len(s.Approvers) > 1 {
			first, second = s.Approvers[0], s.Approvers[1]
		}
	}
	changeID := ""
	if s != nil {
		changeID = s.ChangeID
	}
	var act, firstRow joinRow // the current id's plan row, and its first workbook row
	err := rows.Sorted(ctx, func(r *joinRow) error {
		if r.Side == planSide {
			act = *r
			return nil
		}
		if firstRow.ActionID == r.ActionID && firstRow.Side == bookSide {
			j.repeat.add(0, r.Seq, j.cellErr(r.Sheet, r.IDCell, "action %s appears twice (first at %s)", r.ActionID, firstRow.Sheet+"!"+firstRow.IDCell))
			return nil
		}
		firstRow = *r
		class := 0
		if r.Decision == "" {
			class = 1
		}
		var g *workbook.GroupDecided
		if r.GroupID != "" {
			if g = groups[strings.ToLower(r.GroupID)]; g == nil {
				j.unknownGroup.add(class, r.Seq, j.cellErr(r.Sheet, r.GroupCell, "action %s names group %q, which no group row on the Plan sheets has", r.ActionID, r.GroupID))
				return nil
			}
		}
		if act.ActionID != r.ActionID {
			// An id the plan does not know, even on an undecided row, means
			// the workbook was edited where it should not be: refuse it all.
			j.unknownID.add(class, r.Seq, j.cellErr(r.Sheet, r.IDCell, "action %q is not in this plan", r.ActionID))
			return nil
		}
		// A row belongs to the group of its kind, attribute, op and risk: a
		// group cell edited to name another group would let that group's
		// decision reach a row the board never saw in it.
		if want := workbook.GroupOf(act.action()); g != nil && g.Key != want {
			j.wrongGroup.add(class, r.Seq, j.cellErr(r.Sheet, r.GroupCell,
				"action %s is in %s (%s), but its group is %s: the Group cell was changed", r.ActionID, r.GroupID, g.Key, want))
		}
		// Member rows win; else their group's decision (workbook.Signed.Effective).
		dec, from, byGroup := r.Decision, r.Sheet+"!"+r.Cell, false
		if dec == "" {
			if g == nil || g.Decision == "" {
				return nil
			}
			dec, from, byGroup = g.Decision, g.Sheet+"!"+g.Cell, true
		}
		if !act.Kind.Decidable() {
			j.undecidable.add(class, r.Seq, j.cellErr(r.Sheet, r.Cell, "action %s is a %s row: it takes no decision", r.ActionID, act.Kind))
			return nil
		}
		j.counts[dec]++
		j.decided++
		if byGroup {
			j.byGroup++
		}
		j.plan.decided(r.ActionID, dec, from)
		return j.out.Add(&placedApproval{At: act.At, A: pipeline.Approval{
			ActionID: r.ActionID, Decision: dec, Approver: first.Name, ApproverRole: first.Role,
			SignedOn: first.Date, Comment: r.Comment, PlanHash: j.hash, WorkbookSHA256: j.sum,
			Cell: from, ByGroup: pipeline.Known(byGroup),
			SecondApprover: second.Name, SecondApproverRole: second.Role, SecondSignedOn: second.Date, ChangeID: changeID,
		}})
	})
	switch {
	case j.repeat.err != nil:
		return j.repeat.err
	case readErr != nil:
		return readErr
	case err != nil:
		return err
	}
	return j.unknownGroup.err
}

// refusal is the first refusal of the workbook's rows against the plan,
// in the order the checks ran when the rows were held: every row's id,
// then every row's group, then what the decided rows decide, then the
// tenant action's acknowledgement.
func (j *joiner) refusal() error {
	for _, f := range []*found{&j.unknownID, &j.wrongGroup, &j.undecidable} {
		if f.err != nil {
			return f.err
		}
	}
	return j.plan.checkAcknowledged(j.path)
}

// approvedIn walks approvals.parquet, in plan order, beside the plan's
// actions: each action asks whether it was approved as it passes.
type approvedIn struct {
	path string
	r    *pipeline.Reader[pipeline.Approval]
	next pipeline.Approval
	more bool
	err  error
}

func openApproved(env *pipeline.Env) (*approvedIn, error) {
	path := filepath.Join(env.Dir, pipeline.FileName(pipeline.ApprovalsTable))
	f, err := pipeline.OpenTableFile[pipeline.Approval](path)
	if err != nil {
		return nil, err
	}
	r, err := f.Only("action_id", "decision").Open()
	if err != nil {
		return nil, err
	}
	m := &approvedIn{path: path, r: r}
	m.advance()
	return m, nil
}

func (m *approvedIn) advance() {
	err := m.r.Next(&m.next)
	m.more = err == nil
	if err != nil && err != io.EOF {
		m.err = err
	}
}

// approved reports whether a, the plan's next action, was approved.
func (m *approvedIn) approved(a *pipeline.Action) bool {
	if !m.more || m.next.ActionID != a.ActionID {
		return false
	}
	ok := m.next.Decision == pipeline.Approve
	m.advance()
	return ok
}

// end is the error of the walk: a read error, or an approval no action
// of the plan came to (approvals.parquet is not in plan order).
func (m *approvedIn) end() error {
	if m.err != nil {
		return m.err
	}
	if m.more {
		return fmt.Errorf("%s: the approval of %s is not in the plan's order", m.path, m.next.ActionID)
	}
	return nil
}

func (m *approvedIn) close() { m.r.Close() }

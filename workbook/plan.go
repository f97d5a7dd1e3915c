package workbook

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// PlanBook is everything the change-board workbook shows beyond the audit.
type PlanBook struct {
	Policy     string
	Parameters map[string]string // the plan stage's parameters
	Hash       string            // the plan hash the sign-off binds to
	Actions    []pipeline.Action // every plan row, in table order
	Excluded   int               // gaps rows left out by the exclusion list
	OutOfScope int               // gaps rows outside --only-ou
	Notes      []string          // planning caveats for the Summary

	// Options are the options the plan was made with, in words a board
	// reads ("policy entra-wins", "normalize to E.164", "only users under
	// OU=Sales,DC=contoso,DC=com").
	Options []string
	// Forecast counts values (one user's attribute is one value) by outcome
	// under flip_now and approve_all (docs/rules.md, "Forecast").
	Forecast map[pipeline.Scenario]map[pipeline.CloudOutcome]int
	// Fixed counts, by outcome, the values no decidable action touches:
	// their outcome is the same whatever the board decides, so "as decided
	// so far" is Fixed plus, per decidable row, the outcome of its decision.
	Fixed map[pipeline.CloudOutcome]int
	// Effects is what deciding Actions[i] does; the zero value for rows
	// that take no decision.
	Effects []ActionEffect
	// Riskiest are the rows a board should read first, worst first (at most ten).
	Riskiest []RiskyValue
	// ByOU and ByCountry count users with a difference by top-level OU and
	// by country, largest first.
	ByOU, ByCountry []NamedCount
	// UnknownOther is how many matched users' AlternateMobilePhones cannot
	// be read (no MSOnline or ADSyncTools export); UnknownOtherWithAD how
	// many of them hold otherMobile in AD, which the switch copies over
	// whatever the cloud has.
	UnknownOther, UnknownOtherWithAD int
}

// ActionEffect is what approving or rejecting one decidable row does, in
// words and as the forecast outcome of the value it concerns.
type ActionEffect struct {
	IfApproved, IfRejected string // e.g. "AD mobile +81 3-1234-9264 is deleted; the cloud stays empty"
	Approved, Rejected     pipeline.CloudOutcome
	// Deletes is true when approving deletes an AD value: such rows look
	// different, so nobody approves a deletion by sweeping down a column.
	Deletes bool
	// Group is the row's group (kind, attribute, op, risk), whose decision
	// applies to it unless the row has its own.
	Group GroupKey
}

// GroupKey identifies a group of Plan rows decided together.
type GroupKey struct {
	Kind      pipeline.ActionKind
	Attribute string
	Op        pipeline.Op
	Risk      pipeline.Risk
}

// RiskyValue is one of the riskiest values, for the Decision brief.
type RiskyValue struct {
	UPN, Attribute string
	Cloud, AD      []string // now
	Outcome        pipeline.CloudOutcome
	ActionID       string // the row deciding it; empty when no row does
}

// NamedCount is a count under a name (an OU, a country).
type NamedCount struct {
	Name  string
	Users int
}

// Sheet names of the plan workbook beyond the audit's. Plan and Review
// continue on "Plan (2)", … past Excel's row limit.
const (
	PlanSheet    = "Plan"
	ReviewSheet  = "Review"
	SignOffSheet = "Sign-off"
)

// Column titles approve looks for on Plan sheets; the sheet is protected,
// but matching by title keeps approve honest if columns were moved anyway.
const (
	ActionIDTitle = "Action id"
	DecisionTitle = "Decision"
	CommentTitle  = "Comment"
)

// Decision cell texts, as the drop-down offers them.
const (
	ApproveText = "Approve"
	RejectText  = "Reject"
)

// Sign-off labels (column A); approve reads the cell to their right.
const (
	PlanHashLabel = "Plan hash"
	ApproverLabel = "Approver name"
	RoleLabel     = "Role"
	DateLabel     = "Date"
	SignLabel     = "Signature"
)

// WritePlan writes the change-board workbook: the audit sheets plus Plan
// (one row per decidable action, with a Decision drop-down), Review (rows
// never planned as writes, and the ad-wins backup) and Sign-off. Action ids
// and the plan hash sit in locked cells; directory values are text.
func WritePlan(path string, a *Audit, p *PlanBook) error {
	return writePlan(path, a, p, excelize.TotalRows)
}

func writePlan(path string, a *Audit, p *PlanBook, maxRows int) error {
	if p == nil {
		return fmt.Errorf("write %s: no plan", path)
	}
	return writeBook(path, a, p, maxRows)
}

var planColumns = []column{
	{Title: ActionIDTitle, Width: 18}, {Title: "Kind", Width: 8}, {Title: "UPN", Width: 30}, {Title: "DN", Width: 40},
	{Title: "Attribute", Width: 12}, {Title: "Op", Width: 9}, {Title: "AD value", Width: 20}, {Title: "Cloud value", Width: 20},
	{Title: "Proposed value", Width: 20}, {Title: "Risk", Width: 8}, {Title: "Reason", Width: 50},
	{Title: DecisionTitle, Width: 11, Input: true, Choices: []string{ApproveText, RejectText}},
	{Title: CommentTitle, Width: 30, Input: true},
}

var reviewColumns = []column{
	{Title: ActionIDTitle, Width: 18}, {Title: "Kind", Width: 8}, {Title: "Match", Width: 15}, {Title: "UPN", Width: 30},
	{Title: "DN", Width: 40}, {Title: "Attribute", Width: 12}, {Title: "State", Width: 16}, {Title: "AD value", Width: 20},
	{Title: "Cloud value", Width: 20}, {Title: "Risk", Width: 8}, {Title: "Reason", Width: 60},
}

// values renders a value list for a cell: "; "-joined, "(unknown)" for null.
func values(vals []string) any {
	if vals == nil {
		return unknownCloud
	}
	return str(strings.Join(vals, "; "))
}

// proposed renders an action's new value; a deletion says so in words.
func proposed(a *pipeline.Action) any {
	if a.Value != nil && len(a.Value) == 0 {
		return "(none: clear)"
	}
	return values(a.Value)
}

func riskCell(st *styles, r pipeline.Risk) any {
	if id, ok := st.risk[r]; ok {
		return excelize.Cell{StyleID: id, Value: string(r)}
	}
	return str(string(r))
}

// attribute names the tenant action in words a board member knows.
func target(a *pipeline.Action) (upn, dn any) {
	if a.Target == pipeline.TargetTenant {
		return "(tenant)", "onPremisesSynchronization"
	}
	return str(a.UPN), str(a.DN)
}

func writePlanSheets(f *excelize.File, st *styles, p *PlanBook, maxRows int) error {
	pt := newTableWriter(f, st, PlanSheet, planColumns, maxRows)
	pt.protect = true
	rt := newTableWriter(f, st, ReviewSheet, reviewColumns, maxRows)
	// Both tables stream at once, each on its own sheet; opening both first
	// keeps the sheet order Plan, Review whatever the first row is.
	if err := pt.start(); err != nil {
		return err
	}
	if err := rt.start(); err != nil {
		return err
	}
	row := make([]any, 0, len(planColumns))
	for i := range p.Actions {
		a := &p.Actions[i]
		var err error
		if a.Kind.Decidable() {
			upn, dn := target(a)
			row = append(row[:0], a.ActionID, string(a.Kind), upn, dn, str(a.Attribute), str(string(a.Op)),
				values(a.ADValue), values(a.CloudValue), proposed(a), riskCell(st, a.Risk), str(a.Reason),
				excelize.Cell{StyleID: st.input}, excelize.Cell{StyleID: st.input})
			err = pt.add(row)
		} else {
			row = append(row[:0], a.ActionID, string(a.Kind), str(string(a.MatchStatus)), str(a.UPN), str(a.DN),
				str(a.Attribute), str(string(a.State)), values(a.ADValue), values(a.CloudValue),
				riskCell(st, a.Risk), str(a.Reason))
			err = rt.add(row)
		}
		if err != nil {
			return fmt.Errorf("plan sheets: %w", err)
		}
	}
	if err := pt.close(); err != nil {
		return fmt.Errorf("sheet %s: %w", PlanSheet, err)
	}
	if err := rt.close(); err != nil {
		return fmt.Errorf("sheet %s: %w", ReviewSheet, err)
	}
	return nil
}

// planCounts tallies actions for the Summary.
type planCounts struct {
	byKind   map[pipeline.ActionKind]int
	adWrites map[string]int // "attribute op" of decidable AD actions
	tenant   int
}

func countPlan(p *PlanBook) planCounts {
	c := planCounts{byKind: map[pipeline.ActionKind]int{}, adWrites: map[string]int{}}
	for i := range p.Actions {
		a := &p.Actions[i]
		c.byKind[a.Kind]++
		switch {
		case a.Target == pipeline.TargetTenant:
			c.tenant++
		case a.Target == pipeline.TargetAD && a.Kind.Decidable():
			c.adWrites[a.Attribute+" "+string(a.Op)]++
		}
	}
	return c
}

// planSection is the Summary's account of the plan.
func (w *summarySheet) planSection(p *PlanBook) {
	c := countPlan(p)
	w.blank()
	w.line("Change plan")
	w.line("Policy", p.Policy)
	w.line("Plan hash", p.Hash)
	w.line("Actions to decide (Plan sheet)", c.byKind[pipeline.KindWrite]+c.byKind[pipeline.KindDecide])
	w.line("  proposed by the policy (write)", c.byKind[pipeline.KindWrite])
	w.line("  left to the board (decide)", c.byKind[pipeline.KindDecide])
	w.line("Never planned, for review (Review sheet)", c.byKind[pipeline.KindReview])
	w.line("Cloud values recorded as backup (Review sheet)", c.byKind[pipeline.KindRecord])
	w.line("Users excluded by list", p.Excluded)
	w.line("Users outside --only-ou", p.OutOfScope)
	tenant := "no"
	if c.tenant > 0 {
		tenant = "yes: enable BypassDirSyncOverrides last, after every approved AD action succeeded"
	}
	w.line("Tenant action", tenant)
	keys := make([]string, 0, len(c.adWrites))
	for k := range c.adWrites {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w.header("AD changes (attribute, op)", "Actions")
	if len(keys) == 0 {
		w.text("(none)")
	}
	for _, k := range keys {
		w.row++
		w.set(1, k, 0)
		w.set(2, c.adWrites[k], 0)
	}
	for _, n := range p.Notes {
		w.text(n)
	}
	w.text("Approve or reject each row in the Plan sheet's Decision column, then fill in the Sign-off sheet. " +
		"Rows left empty stay undecided and are not applied.")
}

// writeSignOff lays out the Sign-off sheet: what is being signed (the plan
// hash, locked) and the approver's cells (unlocked).
func writeSignOff(f *excelize.File, st *styles, a *Audit, p *PlanBook) error {
	if _, err := f.NewSheet(SignOffSheet); err != nil {
		return err
	}
	c := countPlan(p)
	set := func(ref string, v string, style int) error {
		if err := f.SetCellStr(SignOffSheet, ref, clip(v)); err != nil {
			return err
		}
		return f.SetCellStyle(SignOffSheet, ref, ref, style)
	}
	rows := []struct {
		label, value string
		input        bool
	}{
		{PlanHashLabel, p.Hash, false},
		{"Policy", p.Policy, false},
		{"Snapshot", a.Snapshot, false},
		{"Actions to decide", fmt.Sprint(c.byKind[pipeline.KindWrite] + c.byKind[pipeline.KindDecide]), false},
		{"", "", false},
		{ApproverLabel, "", true},
		{RoleLabel, "", true},
		{DateLabel, "", true},
		{SignLabel, "", true},
	}
	if err := set("A1", "Sign-off: syncgap change plan", st.title); err != nil {
		return err
	}
	if err := set("A2", "By signing, the approver accepts the decisions in the Plan sheet for the plan with this hash only.", st.text); err != nil {
		return err
	}
	for i, r := range rows {
		n := i + 4
		if r.label == "" {
			continue
		}
		if err := set(fmt.Sprintf("A%d", n), r.label, st.label); err != nil {
			return err
		}
		style := st.text
		if r.input {
			style = st.input
		}
		if err := set(fmt.Sprintf("B%d", n), r.value, style); err != nil {
			return err
		}
		if r.label == SignLabel {
			if err := f.SetRowHeight(SignOffSheet, n, 48); err != nil {
				return err
			}
		}
	}
	if err := f.SetColWidth(SignOffSheet, "A", "A", 22); err != nil {
		return err
	}
	if err := f.SetColWidth(SignOffSheet, "B", "B", 70); err != nil {
		return err
	}
	if err := printOnePageWide(f, SignOffSheet); err != nil {
		return err
	}
	return f.ProtectSheet(SignOffSheet, &excelize.SheetProtectionOptions{
		FormatColumns: true, FormatRows: true, SelectLockedCells: true, SelectUnlockedCells: true,
	})
}

package workbook

import (
	"context"
	"fmt"
	"log/slog"
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
	// Rows, when set, are the plan rows instead of Actions and Effects:
	// read in passes, for a plan too large to hold.
	Rows PlanRows
	// Memory is the command's memory budget (pipeline.MemoryFrom; 0: the
	// default): ordering the Plan sheet's rows takes a share of it before
	// it spills to disk beside the workbook.
	Memory int64
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
	// applies to it unless the row has its own; zero means GroupOf. Rows
	// aimed at the tenant (the switch, the acknowledgement) are never
	// grouped: each is decided on its own row.
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
	BriefSheet    = "Decision brief"
	PlanSheet     = "Plan"
	ReviewSheet   = "Review"
	SignOffSheet  = "Sign-off"
	GlossarySheet = "Glossary"
)

// Column titles approve looks for on Plan sheets; the sheet is protected,
// but matching by title keeps approve honest if columns were moved anyway.
const (
	ActionIDTitle  = "Action id"
	DecisionTitle  = "Decision"
	CommentTitle   = "Comment"
	GroupTitle     = "Group"
	KindTitle      = "Kind"
	AttributeTitle = "Attribute"
	OpTitle        = "Op"
	RiskTitle      = "Risk"
)

// Titles of the Plan sheet's helper columns, which the Decision brief's
// "As decided so far" formulas count.
const (
	OutcomeApprovedTitle   = "Outcome if approved"
	OutcomeRejectedTitle   = "Outcome if rejected"
	EffectiveDecisionTitle = "Effective decision"
)

// Decision cell texts, as the drop-down offers them.
const (
	ApproveText = "Approve"
	RejectText  = "Reject"
)

// Sign-off labels (column A); approve reads the cell to their right.
const (
	PlanHashLabel    = "Plan hash"
	ChangeIDLabel    = "Change ID"
	ImplementerLabel = "Implementer"
	WindowLabel      = "Change window"
)

// Approvers is how many approvers the Sign-off sheet asks for.
const Approvers = 2

// ApproverLabels are the Sign-off labels of approver n (1 or 2): "Approver
// 1 name", "Approver 1 role", "Approver 1 date", "Approver 1 signature".
func ApproverLabels(n int) (name, role, date, signature string) {
	p := fmt.Sprintf("Approver %d ", n)
	return p + "name", p + "role", p + "date", p + "signature"
}

// Labels of workbooks written before the second approver; ReadSigned takes
// them as approver 1's.
const (
	ApproverLabel = "Approver name"
	RoleLabel     = "Role"
	DateLabel     = "Date"
)

// WritePlan writes the change-board workbook: the Decision brief, Plan (one
// group row per group of decidable rows, then one row per decidable action,
// each with a Decision drop-down), Sign-off, the audit's Summary, Review
// (rows never planned as writes, and the ad-wins backup), Gaps, Unmatched
// and Glossary. Action ids and the plan hash sit in locked cells; directory
// values are text, never formulas.
func WritePlan(ctx context.Context, path string, a *Audit, p *PlanBook) error {
	return writePlan(ctx, path, a, p, excelize.TotalRows)
}

func writePlan(ctx context.Context, path string, a *Audit, p *PlanBook, maxRows int) error {
	if p == nil {
		return fmt.Errorf("write %s: no plan", path)
	}
	if p.Rows == nil && len(p.Effects) != 0 && len(p.Effects) != len(p.Actions) {
		return fmt.Errorf("write %s: %d effects for %d actions", path, len(p.Effects), len(p.Actions))
	}
	return writeBook(ctx, path, a, p, maxRows)
}

// Plan sheet columns. The first planPrinted are what a board reads and
// prints; then the details, then the helper columns.
var planColumns = []column{
	{Title: ActionIDTitle, Width: 17},
	{Title: "UPN", Width: 30, Wrap: true},
	{Title: DecisionTitle, Width: 11, Input: true, Choices: []string{ApproveText, RejectText}},
	{Title: CommentTitle, Width: 18, Input: true},
	{Title: "Deletes", Width: 9},
	{Title: RiskTitle, Width: 8},
	{Title: "If approved", Width: 30, Wrap: true},
	{Title: "If rejected", Width: 30, Wrap: true},
	{Title: "Reason", Width: 36, Wrap: true},
	{Title: GroupTitle, Width: 9},
	// Not printed.
	{Title: AttributeTitle, Width: 12},
	{Title: "AD value now", Width: 20, Wrap: true},
	{Title: "Cloud value now", Width: 20, Wrap: true},
	{Title: "Proposed AD value", Width: 20, Wrap: true},
	{Title: KindTitle, Width: 10},
	{Title: OpTitle, Width: 9},
	{Title: "DN", Width: 40},
	{Title: OutcomeApprovedTitle, Width: 18, Helper: true},
	{Title: OutcomeRejectedTitle, Width: 18, Helper: true},
	{Title: EffectiveDecisionTitle, Width: 17, Helper: true},
}

// Indices into planColumns.
const (
	pcID = iota
	pcUPN
	pcDecision
	pcComment
	pcDeletes
	pcRisk
	pcIfApproved
	pcIfRejected
	pcReason
	pcGroup
	pcAttribute
	pcADValue
	pcCloudValue
	pcProposed
	pcKind
	pcOp
	pcDN
	pcOutApproved
	pcOutRejected
	pcEffective
	planPrinted = pcGroup + 1
)

// deletesText marks a row that deletes an AD value.
const deletesText = "deletes"

var reviewColumns = []column{
	{Title: ActionIDTitle, Width: 17}, {Title: KindTitle, Width: 8}, {Title: "Match", Width: 14}, {Title: "UPN", Width: 24, Wrap: true},
	{Title: "DN", Width: 28, Wrap: true}, {Title: AttributeTitle, Width: 12}, {Title: "State", Width: 15}, {Title: "AD value", Width: 18, Wrap: true},
	{Title: "Cloud value", Width: 18, Wrap: true}, {Title: RiskTitle, Width: 8}, {Title: "Reason", Width: 40, Wrap: true},
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

// target names the tenant rows in words a board member knows.
func target(a *pipeline.Action) (upn, dn any) {
	switch {
	case a.Target == pipeline.TargetTenant && a.Kind == pipeline.KindAcknowledge:
		return "(tenant) acknowledgement about " + a.Attribute, "onPremisesSynchronization"
	case a.Target == pipeline.TargetTenant:
		return "(tenant) the switch BypassDirSyncOverrides", "onPremisesSynchronization"
	}
	return str(a.UPN), str(a.DN)
}

// ifApproved and ifRejected are the row's consequences in words: the plan's
// (ActionEffect), else said from the action itself.
func ifApproved(a *pipeline.Action, e ActionEffect) string {
	if e.IfApproved != "" {
		return e.IfApproved
	}
	switch {
	case a.Kind == pipeline.KindAcknowledge:
		return "acknowledged"
	case a.Target == pipeline.TargetTenant:
		return "BypassDirSyncOverrides is turned on, after every approved AD change succeeded"
	case a.Value != nil && len(a.Value) == 0:
		return "AD " + a.Attribute + " " + joinValues(a.Expected) + " is deleted"
	}
	return "AD " + a.Attribute + " becomes " + joinValues(a.Value)
}

func ifRejected(a *pipeline.Action, e ActionEffect) string {
	if e.IfRejected != "" {
		return e.IfRejected
	}
	switch {
	case a.Kind == pipeline.KindAcknowledge:
		return "not acknowledged: the switch cannot be approved"
	case a.Target == pipeline.TargetTenant:
		return "the switch is not turned on"
	}
	return "AD " + a.Attribute + " stays " + joinValues(a.Expected)
}

// planPart is where the member rows of one Plan sheet are, for the
// brief's formulas.
type planPart struct {
	Sheet       string
	First, Last int
}

// planLayout is what writing the Plan sheets produced.
type planLayout struct {
	Groups []*planGroup
	Parts  []planPart
	Rows   int // member rows
}

// quoteSheet is a sheet name as a formula reference: 'Plan (2)'.
func quoteSheet(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// colName is the letter of planColumns[i].
func colName(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1)
	return n
}

// writePlanSheets streams Plan, Plan (2), …: the group rows first, then
// every decidable action in the order x sorted them (group by group, plan
// order within).
func writePlanSheets(f *excelize.File, st *styles, x *planIndex, maxRows int) (*planLayout, error) {
	pt := newTableWriter(f, st, PlanSheet, planColumns, maxRows)
	pt.protect, pt.printCols = true, planPrinted
	lay := &planLayout{Groups: x.groups}
	row := make([]any, len(planColumns))
	clear := func() {
		for i := range row {
			row[i] = nil
		}
	}
	for _, g := range x.groups {
		clear()
		cell := func(v string) any { return excelize.Cell{StyleID: st.group, Value: v} }
		for i := range planPrinted {
			row[i] = cell("")
		}
		row[pcID] = cell(g.ID)
		row[pcUPN] = cell("All " + g.Key.Label(g.N) + " (each row without its own decision)")
		row[pcDecision] = excelize.Cell{StyleID: st.groupInput}
		row[pcComment] = excelize.Cell{StyleID: st.groupInput}
		if g.deletes {
			row[pcDeletes] = excelize.Cell{StyleID: st.deleteFlag, Value: deletesText}
		}
		row[pcRisk] = riskCell(st, g.Key.Risk)
		row[pcIfApproved] = cell(outcomeSummary(g.approved, g.N))
		row[pcIfRejected] = cell(outcomeSummary(g.rejected, g.N))
		row[pcGroup] = cell(g.ID)
		row[pcAttribute] = cell(g.Key.Attribute)
		row[pcKind] = cell(string(g.Key.Kind))
		row[pcOp] = cell(string(g.Key.Op))
		if err := pt.add(row); err != nil {
			return nil, fmt.Errorf("sheet %s: %w", PlanSheet, err)
		}
		g.Sheet, g.Row = pt.sheet, pt.row
	}
	dec := colName(pcDecision)
	err := x.members.Sorted(context.Background(), func(m *memberRow) error {
		a := &m.Action
		e := ActionEffect{IfApproved: m.IfApproved, IfRejected: m.IfRejected, Approved: m.Approved, Rejected: m.Rejected}
		clear()
		upn, dn := target(a)
		row[pcID], row[pcUPN], row[pcDN] = a.ActionID, upn, dn
		row[pcDecision] = excelize.Cell{StyleID: st.input}
		row[pcComment] = excelize.Cell{StyleID: st.input}
		row[pcRisk] = riskCell(st, a.Risk)
		row[pcIfApproved] = str(ifApproved(a, e))
		row[pcIfRejected] = str(ifRejected(a, e))
		row[pcReason] = str(a.Reason)
		row[pcAttribute] = str(a.Attribute)
		row[pcADValue], row[pcCloudValue], row[pcProposed] = values(a.ADValue), values(a.CloudValue), proposed(a)
		row[pcKind], row[pcOp] = string(a.Kind), str(string(a.Op))
		row[pcOutApproved], row[pcOutRejected] = str(string(e.Approved)), str(string(e.Rejected))
		var grp *planGroup
		if m.Group > 0 {
			grp = x.bySeq[m.Group-1]
			row[pcGroup] = grp.ID
		}
		if m.Deletes.Bool {
			for _, c := range []int{pcID, pcUPN, pcIfApproved, pcIfRejected, pcReason, pcGroup, pcAttribute, pcADValue, pcCloudValue, pcProposed, pcKind, pcOp, pcDN} {
				if s, ok := row[c].(string); ok || row[c] == nil {
					row[c] = excelize.Cell{StyleID: st.deletes, Value: s}
				}
			}
			row[pcDeletes] = excelize.Cell{StyleID: st.deleteFlag, Value: deletesText}
		}
		// The next row of the sheet this row lands on; add starts a new
		// part first when the current one is full.
		next := pt.row + 1
		if pt.sw == nil || pt.row >= pt.maxRows {
			next = 2
		}
		own := fmt.Sprintf("$%s%d", dec, next)
		formula := fmt.Sprintf(`IF(TRIM(%s)<>"",TRIM(%s),"")`, own, own)
		if grp != nil {
			ref := fmt.Sprintf("%s!$%s$%d", quoteSheet(grp.Sheet), dec, grp.Row)
			formula = fmt.Sprintf(`IF(TRIM(%s)<>"",TRIM(%s),IF(TRIM(%s)<>"",TRIM(%s),""))`, own, own, ref, ref)
		}
		row[pcEffective] = excelize.Cell{StyleID: st.helperFormula, Formula: formula}
		if err := pt.add(row); err != nil {
			return fmt.Errorf("sheet %s: %w", PlanSheet, err)
		}
		if pt.row != next {
			return fmt.Errorf("sheet %s: row %d landed on %d", pt.sheet, next, pt.row)
		}
		if n := len(lay.Parts); n == 0 || lay.Parts[n-1].Sheet != pt.sheet {
			lay.Parts = append(lay.Parts, planPart{Sheet: pt.sheet, First: pt.row, Last: pt.row})
		} else {
			lay.Parts[n-1].Last = pt.row
		}
		lay.Rows++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n := x.members.Runs(); n > 0 {
		slog.Info("sorted the plan rows within the memory budget, spilling to disk", "rows", x.members.Len(), "runs", n)
	}
	if err := pt.close(); err != nil {
		return nil, fmt.Errorf("sheet %s: %w", PlanSheet, err)
	}
	return lay, nil
}

// outcomeSummary says in words what a group's rows do to the cloud, from
// the tally of their outcomes: "12 numbers added, 3 left as they are".
func outcomeSummary(t map[pipeline.CloudOutcome]int, n int) string {
	var parts []string
	for _, o := range pipeline.CloudOutcomes {
		if t[o] > 0 {
			parts = append(parts, outcomeCount(o, t[o]))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d %s: see each row", n, plural(n, "row", "rows"))
	}
	return "for the cloud: " + strings.Join(parts, ", ")
}

// outcomeCount is "3 numbers lost", "1 number lost".
func outcomeCount(o pipeline.CloudOutcome, n int) string {
	w, ok := outcomeForms[o]
	if !ok {
		w = [2]string{string(o), string(o)}
	}
	return fmt.Sprintf("%d %s", n, plural(n, w[0], w[1]))
}

// outcomeForms are the singular and plural of each outcome after a count.
var outcomeForms = map[pipeline.CloudOutcome][2]string{
	pipeline.Lost:           {"number lost", "numbers lost"},
	pipeline.Changed:        {"number changed", "numbers changed"},
	pipeline.Filled:         {"number added", "numbers added"},
	pipeline.Reformatted:    {"number reformatted", "numbers reformatted"},
	pipeline.Cleaned:        {"junk text removed", "junk texts removed"},
	pipeline.Unchanged:      {"left as it is", "left as they are"},
	pipeline.UnknownOutcome: {"unknown", "unknown"},
}

// writeReviewSheets streams Review, Review (2), …: the rows that take no decision.
func writeReviewSheets(f *excelize.File, st *styles, p *PlanBook, maxRows int) error {
	rt := newTableWriter(f, st, ReviewSheet, reviewColumns, maxRows)
	row := make([]any, 0, len(reviewColumns))
	err := p.each(func(a *pipeline.Action, _ *ActionEffect) error {
		if a.Kind.Decidable() {
			return nil
		}
		row = append(row[:0], a.ActionID, string(a.Kind), str(string(a.MatchStatus)), str(a.UPN), str(a.DN),
			str(a.Attribute), str(string(a.State)), values(a.ADValue), values(a.CloudValue),
			riskCell(st, a.Risk), str(a.Reason))
		if err := rt.add(row); err != nil {
			return fmt.Errorf("sheet %s: %w", ReviewSheet, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := rt.close(); err != nil {
		return fmt.Errorf("sheet %s: %w", ReviewSheet, err)
	}
	return nil
}

// options are the plan's options in words: p.Options, else its parameters.
func (p *PlanBook) options() []string {
	if len(p.Options) > 0 {
		return p.Options
	}
	names := make([]string, 0, len(p.Parameters))
	for k := range p.Parameters {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, k := range names {
		out = append(out, k+" = "+p.Parameters[k])
	}
	return out
}

// planSection is the Summary's account of the plan.
func (w *summarySheet) planSection(p *PlanBook, lay *planLayout, c planCounts) {
	w.blank()
	w.line("Change plan")
	w.line("Policy", p.Policy)
	w.line("Options used", orNone(strings.Join(p.options(), "; ")))
	w.line("Plan hash", p.Hash)
	w.line("Rows to decide (Plan sheet)", c.decidable)
	w.line("  proposed by the policy (write)", c.byKind[pipeline.KindWrite])
	w.line("  left to the board (decide)", c.byKind[pipeline.KindDecide])
	w.line("  facts to acknowledge (nothing is written)", c.byKind[pipeline.KindAcknowledge])
	w.line("  of them deleting an AD value", c.deletes)
	if lay != nil {
		w.line("Groups (decide many rows at once)", len(lay.Groups))
	}
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
	w.header("AD changes (attribute, op)", "Rows")
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
	w.text("Approve or reject on the Plan sheet (a group row decides every row of its group that has no decision of its own), " +
		"then fill in the Sign-off sheet. Rows left empty stay undecided and are not applied.")
}

// writeSignOff lays out the Sign-off sheet: what is being signed (the plan
// hash, locked), the change record and two approvers (unlocked).
func writeSignOff(f *excelize.File, st *styles, a *Audit, p *PlanBook, c planCounts) error {
	if _, err := f.NewSheet(SignOffSheet); err != nil {
		return err
	}
	set := func(ref string, v string, style int) error {
		if err := f.SetCellStr(SignOffSheet, ref, clip(v)); err != nil {
			return err
		}
		return f.SetCellStyle(SignOffSheet, ref, ref, style)
	}
	type line struct {
		label, value string
		input        bool
		hint         string
	}
	rows := []line{
		{PlanHashLabel, p.Hash, false, ""}, // B4: what approve compares
		{"Policy", p.Policy, false, ""},
		{"Options used", orNone(strings.Join(p.options(), "; ")), false, ""},
		{"Snapshot", a.Snapshot, false, ""},
		{"Data as of", "AD read " + utcTime(a.ADReadAt) + "; Entra ID read " + utcTime(a.CloudReadAt), false, ""},
		{"Rows to decide", fmt.Sprint(c.decidable), false, ""},
		{"", "", false, ""},
		{"#Change record", "", false, ""},
		{ChangeIDLabel, "", true, "the change ticket, e.g. CHG0012345"},
		{ImplementerLabel, "", true, "who runs syncgap apply"},
		{WindowLabel, "", true, "start and end with time zone, e.g. 2026-12-05 18:00-20:00 UTC"},
	}
	for n := 1; n <= Approvers; n++ {
		name, role, date, sign := ApproverLabels(n)
		rows = append(rows, line{"", "", false, ""}, line{fmt.Sprintf("#Approver %d", n), "", false, ""},
			line{name, "", true, ""}, line{role, "", true, "e.g. CAB chair, service owner"},
			line{date, "", true, "YYYY-MM-DD"}, line{sign, "", true, ""})
	}
	if err := set("A1", "Sign-off: syncgap change plan", st.title); err != nil {
		return err
	}
	if err := set("A2", "By signing, the approvers accept the decisions on the Plan sheet(s) for the plan with this hash only. "+
		"Both approvers fill in name, role and date (YYYY-MM-DD).", st.text); err != nil {
		return err
	}
	for i, r := range rows {
		n := i + 4
		switch {
		case r.label == "":
			continue
		case strings.HasPrefix(r.label, "#"):
			if err := set(fmt.Sprintf("A%d", n), r.label[1:], st.heading); err != nil {
				return err
			}
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
		if r.hint != "" {
			if err := set(fmt.Sprintf("C%d", n), r.hint, st.note); err != nil {
				return err
			}
		}
		height := 0.0
		switch {
		case strings.HasSuffix(r.label, "signature"):
			height = 40
		case r.input:
			height = 20
		}
		if height > 0 {
			if err := f.SetRowHeight(SignOffSheet, n, height); err != nil {
				return err
			}
		}
	}
	if err := f.SetColWidth(SignOffSheet, "A", "A", 24); err != nil {
		return err
	}
	if err := f.SetColWidth(SignOffSheet, "B", "B", 70); err != nil {
		return err
	}
	if err := f.SetColWidth(SignOffSheet, "C", "C", 50); err != nil {
		return err
	}
	if err := printOnePageWide(f, SignOffSheet); err != nil {
		return err
	}
	return f.ProtectSheet(SignOffSheet, &excelize.SheetProtectionOptions{
		FormatColumns: true, FormatRows: true, SelectLockedCells: true, SelectUnlockedCells: true,
	})
}

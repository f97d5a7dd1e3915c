package workbook

import (
	"syncgap/pipeline"
)

// PlanRows are the rows of a plan too large to hold, with what deciding
// each does, read in passes (the plan stage reads them back from its
// files): the workbook holds the few groups and, within its share of the
// memory budget, the Plan sheet's rows while it orders them
// (docs/architecture.md, "Memory").
type PlanRows interface {
	// Each calls fn for every action in plan order with what deciding it
	// does (the zero value for rows that take no decision), and stops at
	// the first error fn returns. Both are valid only during the call.
	Each(fn func(a *pipeline.Action, e *ActionEffect) error) error
}

// each calls fn for every plan row in plan order with its effect: those
// of p.Rows when set, else p.Actions and p.Effects.
func (p *PlanBook) each(fn func(a *pipeline.Action, e *ActionEffect) error) error {
	if p.Rows != nil {
		return p.Rows.Each(fn)
	}
	for i := range p.Actions {
		e := p.effect(i)
		if err := fn(&p.Actions[i], &e); err != nil {
			return err
		}
	}
	return nil
}

// hasEffects reports whether the plan says what deciding its rows does;
// without, the Plan sheet tells deletions from the actions themselves.
func (p *PlanBook) hasEffects() bool { return p.Rows != nil || len(p.Effects) > 0 }

// planIndex is what one pass over a plan's rows gives the sheets: the
// counts, the groups with what their rows do, and the decidable rows in
// the order the Plan sheet lists them.
type planIndex struct {
	counts  planCounts
	groups  []*planGroup // in sheet order
	bySeq   []*planGroup // in the order they first appeared
	members *pipeline.Sorter[memberRow]
}

// memberRow is a decidable plan row as the Plan sheet shows it, as the
// sort that orders the sheet buffers or spills it.
type memberRow struct {
	Action     pipeline.Action       `parquet:",prefix=a_"`
	IfApproved string                `parquet:"if_approved"`
	IfRejected string                `parquet:"if_rejected"`
	Approved   pipeline.CloudOutcome `parquet:"approved"`
	Rejected   pipeline.CloudOutcome `parquet:"rejected"`
	Deletes    pipeline.NullBool     `parquet:"deletes"` // the row is shown as a deletion
	Group      int64                 `parquet:"group"`   // planGroup.seq; 0: none
}

// memberShare is the share of the memory budget the Plan sheet's rows may
// take before their sort spills: the rest is the plan stage's readers and
// writers and the garbage collector's room.
const memberShare = 8

// indexPlan passes over p's rows once. The members sort spills into
// spill; the caller closes it.
func indexPlan(p *PlanBook, spill string) (*planIndex, error) {
	x := &planIndex{counts: planCounts{byKind: map[pipeline.ActionKind]int{}, adWrites: map[string]int{}}}
	budget := p.Memory
	if budget <= 0 {
		budget = pipeline.DefaultMemory
	}
	key := func(m *memberRow) string {
		if m.Group == 0 {
			return memberKey(nil)
		}
		return memberKey(x.bySeq[m.Group-1])
	}
	x.members = pipeline.NewSorter(spill, budget/memberShare, key, func(*memberRow, *memberRow) int { return 0 }, memberBytes)
	byKey := map[GroupKey]*planGroup{}
	effects := p.hasEffects()
	err := p.each(func(a *pipeline.Action, e *ActionEffect) error {
		x.counts.add(a, e)
		if !a.Kind.Decidable() {
			return nil
		}
		deleting := e.Deletes
		if !effects {
			deleting = a.Target == pipeline.TargetAD && a.Value != nil && len(a.Value) == 0
		}
		m := memberRow{Action: *a, IfApproved: e.IfApproved, IfRejected: e.IfRejected,
			Approved: e.Approved, Rejected: e.Rejected, Deletes: pipeline.Known(deleting)}
		if k := groupOf(a, e); !k.IsZero() {
			g := byKey[k]
			if g == nil {
				g = &planGroup{Key: k, seq: len(x.bySeq) + 1, approved: map[pipeline.CloudOutcome]int{}, rejected: map[pipeline.CloudOutcome]int{}}
				byKey[k] = g
				x.bySeq = append(x.bySeq, g)
			}
			g.N++
			g.approved[e.Approved]++
			g.rejected[e.Rejected]++
			g.deletes = g.deletes || e.Deletes
			m.Group = int64(g.seq)
		}
		return x.members.Add(&m)
	})
	if err != nil {
		x.members.Close()
		return nil, err
	}
	x.groups = append([]*planGroup(nil), x.bySeq...)
	sortGroups(x.groups)
	return x, nil
}

// memberBytes is what a buffered member row costs beyond its struct: its
// strings and list headers, and about 32 bytes of sort key (memberKey).
func memberBytes(m *memberRow) int64 {
	a := &m.Action
	n := len(a.ActionID) + len(a.Kind) + len(a.Target) + len(a.DN) + len(a.UPN) + len(a.EntraID) + len(a.Attribute) + len(a.Op) +
		len(a.Reason) + len(a.Risk) + len(a.MatchStatus) + len(a.State) + len(a.Timing) +
		len(m.IfApproved) + len(m.IfRejected) + len(m.Approved) + len(m.Rejected)
	for _, l := range [][]string{a.Expected, a.Value, a.ADValue, a.CloudValue} {
		for _, v := range l {
			n += len(v) + 16
		}
	}
	return int64(n + 32)
}

// planCounts tallies actions for the Summary and the brief.
type planCounts struct {
	byKind    map[pipeline.ActionKind]int
	adWrites  map[string]int // "attribute op" of AD actions that write
	tenant    int            // tenant actions that write (the switch)
	decidable int
	deletes   int // decidable rows whose approval deletes an AD value
}

// add counts action a, whose effect is e.
func (c *planCounts) add(a *pipeline.Action, e *ActionEffect) {
	c.byKind[a.Kind]++
	if a.Kind.Decidable() {
		c.decidable++
		if e.Deletes {
			c.deletes++
		}
	}
	switch {
	case a.Target == pipeline.TargetTenant && a.Kind.Writes():
		c.tenant++
	case a.Target == pipeline.TargetAD && a.Kind.Writes():
		c.adWrites[a.Attribute+" "+string(a.Op)]++
	}
}

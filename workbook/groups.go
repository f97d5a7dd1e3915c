package workbook

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"syncgap/pipeline"
)

// Group decisions: the Plan sheet opens with one row per group of decidable
// rows (kind × attribute × op × risk) and its own Decision cell. A group's
// decision applies to each of its rows that has no decision of its own; a
// row's own decision always wins.

// GroupIDPrefix starts the Action id cell of a group row ("Group 3"); plan
// action ids are hex digits, so a group row can never be taken for one.
const GroupIDPrefix = "Group "

// GroupOf is the group an action is decided with unless the plan says
// otherwise (ActionEffect.Group): kind, attribute, op and risk. Rows that
// are not decidable, and rows aimed at the tenant (the switch itself and the
// acknowledge row), have no group (the zero key): they are decided one by
// one. The approve stage uses it to check that a row's group on the sheet is
// the plan's.
func GroupOf(a *pipeline.Action) GroupKey {
	if !a.Kind.Decidable() || a.Target == pipeline.TargetTenant {
		return GroupKey{}
	}
	return GroupKey{Kind: a.Kind, Attribute: a.Attribute, Op: a.Op, Risk: a.Risk}
}

// IsZero reports whether k is no group.
func (k GroupKey) IsZero() bool { return k == GroupKey{} }

// String is the key as the Plan sheet's Kind, Attribute, Op and Risk cells
// hold it, for messages: "write/mobile/add/low".
func (k GroupKey) String() string {
	return strings.Join([]string{string(k.Kind), k.Attribute, string(k.Op), string(k.Risk)}, "/")
}

// Label names a group of n rows in words a board reads: "41 low-risk
// additions to AD mobile, proposed by the policy".
func (k GroupKey) Label(n int) string {
	var what string
	switch k.Kind {
	case pipeline.KindAcknowledge:
		return fmt.Sprintf("%d %s %s about %s", n, riskWords(k.Risk), plural(n, "acknowledgement", "acknowledgements"), k.Attribute)
	default:
		attr := "AD " + k.Attribute
		if k.Attribute == pipeline.BypassFeature {
			attr = "the switch BypassDirSyncOverrides"
		}
		switch k.Op {
		case pipeline.OpAdd:
			what = plural(n, "addition to ", "additions to ") + attr
		case pipeline.OpDelete:
			what = plural(n, "deletion of ", "deletions of ") + attr
		case pipeline.OpReplace:
			what = plural(n, "replacement of ", "replacements of ") + attr
		default:
			what = plural(n, "change of ", "changes of ") + attr
		}
	}
	s := fmt.Sprintf("%d %s %s", n, riskWords(k.Risk), what)
	switch k.Kind {
	case pipeline.KindWrite:
		s += ", proposed by the policy"
	case pipeline.KindDecide:
		s += ", left to the board"
	}
	return s
}

// planGroup is one group row of the Plan sheet.
type planGroup struct {
	Key   GroupKey
	ID    string // "Group 1"
	N     int    // member rows
	Sheet string // where its row was written
	Row   int

	seq                int // 1 for the group that appeared first in the plan
	approved, rejected map[pipeline.CloudOutcome]int
	deletes            bool // a member's approval deletes an AD value
}

// groupRank orders groups on the sheet: riskiest first, then decisions
// left to the board before proposals, then attribute and op.
func groupRank(k GroupKey) [2]int {
	r := len(pipeline.Risks)
	for i, v := range pipeline.Risks {
		if v == k.Risk {
			r = i
		}
	}
	kind := 3
	switch k.Kind {
	case pipeline.KindDecide:
		kind = 0
	case pipeline.KindWrite:
		kind = 1
	case pipeline.KindAcknowledge:
		kind = 2
	}
	return [2]int{r, kind}
}

// groupOf is the group of the plan row a whose effect is e: the plan's
// (e.Group) when it gave one, else GroupOf. Rows aimed at the tenant (the
// switch, the acknowledgement) are never grouped, whatever the plan says:
// each is one decision, and a group of one would offer a second cell
// deciding it.
func groupOf(a *pipeline.Action, e *ActionEffect) GroupKey {
	if a.Target == pipeline.TargetTenant || !a.Kind.Decidable() {
		return GroupKey{}
	}
	if !e.Group.IsZero() {
		return e.Group
	}
	return GroupOf(a)
}

// actionGroup is the group of p.Actions[i].
func (p *PlanBook) actionGroup(i int) GroupKey {
	e := p.effect(i)
	return groupOf(&p.Actions[i], &e)
}

// effect is p.Effects[i], or the zero value.
func (p *PlanBook) effect(i int) ActionEffect {
	if i < len(p.Effects) {
		return p.Effects[i]
	}
	return ActionEffect{}
}

// sortGroups puts groups in sheet order (riskiest first, see groupRank;
// then attribute and op; then the order they appeared in) and numbers
// them.
func sortGroups(list []*planGroup) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := groupRank(list[i].Key), groupRank(list[j].Key)
		if a != b {
			return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1])
		}
		if list[i].Key.Attribute != list[j].Key.Attribute {
			return list[i].Key.Attribute < list[j].Key.Attribute
		}
		return list[i].Key.Op < list[j].Key.Op
	})
	for n, g := range list {
		g.ID = GroupIDPrefix + strconv.Itoa(n+1)
	}
}

// memberKey orders a group's member rows on the Plan sheet as sortGroups
// orders the groups, compared bytewise: rank, attribute, op, then the
// group's first appearance; no group (the tenant rows) sorts first. It is
// known when the row is added, before the last group is seen, so a sort
// that spills can use it.
func memberKey(g *planGroup) string {
	if g == nil {
		return ""
	}
	r := groupRank(g.Key)
	b := make([]byte, 0, 2+len(g.Key.Attribute)+len(g.Key.Op)+6)
	b = append(b, byte(1+r[0]), byte(1+r[1]))
	b = append(b, g.Key.Attribute...)
	b = append(b, 0)
	b = append(b, g.Key.Op...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(g.seq))
	return string(b)
}

package workbook

import (
	"fmt"
	"strings"
	"time"

	"syncgap/pipeline"
)

// briefMember is one decidable row of briefPlan and what deciding it does.
type briefMember struct {
	kind               pipeline.ActionKind
	target             pipeline.Target
	attr               string
	op                 pipeline.Op
	risk               pipeline.Risk
	approved, rejected pipeline.CloudOutcome
	deletes            bool
	n                  int
}

// briefMembers are the decidable rows of briefPlan, by group.
var briefMembers = []briefMember{
	{pipeline.KindWrite, pipeline.TargetAD, "mobile", pipeline.OpAdd, pipeline.RiskLow, pipeline.Unchanged, pipeline.Lost, false, 4},
	{pipeline.KindWrite, pipeline.TargetAD, "mobile", pipeline.OpReplace, pipeline.RiskMedium, pipeline.Unchanged, pipeline.Changed, false, 3},
	{pipeline.KindDecide, pipeline.TargetAD, "mobile", pipeline.OpDelete, pipeline.RiskHigh, pipeline.Unchanged, pipeline.Filled, true, 2},
	{pipeline.KindWrite, pipeline.TargetAD, "otherMobile", pipeline.OpReplace, pipeline.RiskMedium, pipeline.Reformatted, pipeline.Changed, false, 2},
	{pipeline.KindAcknowledge, pipeline.TargetTenant, "otherMobile", "", pipeline.RiskHigh, "", "", false, 1},
	{pipeline.KindWrite, pipeline.TargetTenant, pipeline.BypassFeature, pipeline.OpReplace, pipeline.RiskHigh, "", "", false, 1},
}

// briefFixed are the values no decision touches, by outcome.
var briefFixed = map[pipeline.CloudOutcome]int{
	pipeline.Unchanged: 20, pipeline.Reformatted: 2, pipeline.Lost: 1, pipeline.Cleaned: 1, pipeline.UnknownOutcome: 15,
}

// briefPlan is a plan with known effects: the decidable rows of
// briefMembers interleaved with review and record rows, hostile directory
// values in UPNs and values, and a forecast consistent with Fixed and the
// effects (flip now: every row rejected; approve all: every row approved).
func briefPlan() *PlanBook {
	hostile := []string{hostileDDE, hostileHyperlink, hostilePlus, hostileMinus, hostileAt, hostileSum}
	p := &PlanBook{
		Policy: "entra-wins", Hash: strings.Repeat("c0ffee", 10) + "abcd",
		Parameters: map[string]string{"policy": "entra-wins", "enable_bypass": "true"},
		Options:    []string{"policy entra-wins", "enable the switch last", "only users under OU=Sales,DC=corp"},
		Fixed:      briefFixed,
		Notes:      []string{"a test plan"},
	}
	n := 0
	for _, m := range briefMembers {
		for range m.n {
			v := hostile[n%len(hostile)]
			a := pipeline.Action{
				ActionID: fmt.Sprintf("%016x", 0xa000+n), Kind: m.kind, Target: m.target, Attribute: m.attr, Op: m.op, Risk: m.risk,
				Reason: "reason " + v, MatchStatus: pipeline.Matched, State: pipeline.Mismatch,
			}
			if m.target == pipeline.TargetAD {
				a.DN, a.UPN = "CN="+v+",OU=Sales,DC=corp", v+"@corp.example"
				a.Expected, a.ADValue, a.CloudValue, a.Value = []string{v}, []string{v}, []string{"+1 206 555 0199"}, []string{"+1 206 555 0199"}
				if m.deletes {
					a.Value = []string{}
				}
			}
			e := ActionEffect{
				IfApproved: "approved: " + v, IfRejected: "rejected: " + v,
				Approved: m.approved, Rejected: m.rejected, Deletes: m.deletes,
				// As the plan stage fills it: the tenant rows too, which the
				// workbook never groups.
				Group: GroupKey{Kind: a.Kind, Attribute: a.Attribute, Op: a.Op, Risk: a.Risk},
			}
			p.Actions = append(p.Actions, a)
			p.Effects = append(p.Effects, e)
			n++
			if n%4 == 0 { // a review row every so often
				p.Actions = append(p.Actions, pipeline.Action{
					ActionID: fmt.Sprintf("%016x", 0xb000+n), Kind: pipeline.KindReview, Target: pipeline.TargetAD,
					UPN: "review" + v, DN: "CN=R", Attribute: "otherMobile", Risk: pipeline.RiskMedium, Reason: "unverifiable",
				})
				p.Effects = append(p.Effects, ActionEffect{})
			}
		}
	}
	p.Actions = append(p.Actions, pipeline.Action{ActionID: "00000000000000ff", Kind: pipeline.KindRecord, Target: pipeline.TargetEntra,
		UPN: "rec@corp.example", Attribute: "mobile", Op: pipeline.OpReplace, Risk: pipeline.RiskMedium})
	p.Effects = append(p.Effects, ActionEffect{})
	p.Forecast = map[pipeline.Scenario]map[pipeline.CloudOutcome]int{
		pipeline.FlipNow:    expectAsDecided(p, func(int) pipeline.Decision { return "" }),
		pipeline.ApproveAll: expectAsDecided(p, func(int) pipeline.Decision { return pipeline.Approve }),
	}
	p.Riskiest = []RiskyValue{
		{UPN: hostileDDE + "@corp.example", Attribute: "mobile", Cloud: []string{"+81 3-1234-9264"}, AD: []string{}, Outcome: pipeline.Lost, ActionID: p.Actions[0].ActionID},
		{UPN: "nobody@corp.example", Attribute: "otherMobile", Cloud: nil, AD: []string{"+44 20 7946 0000", "+44 20 7946 0001"}, Outcome: pipeline.UnknownOutcome},
		{UPN: "c@corp.example", Attribute: "mobile", Cloud: []string{"+1 425 555 0100"}, AD: []string{"+1 425 555 0111"}, Outcome: pipeline.Changed, ActionID: p.Actions[5].ActionID},
	}
	p.ByOU = []NamedCount{{"OU=Sales", 9}, {"OU=Tokyo", 5}, {"OU=Berlin", 4}, {"OU=Paris", 3}, {"OU=Oslo", 2}, {"OU=Rome", 1}, {"OU=Lima", 1}}
	p.ByCountry = []NamedCount{{"JP", 6}, {"DE", 5}, {"(no country)", 2}}
	p.UnknownOther, p.UnknownOtherWithAD = 15, 6
	return p
}

// expectAsDecided is what Go says "as decided" counts when row i of
// p.Actions has the effective decision decide(i): Fixed, plus each
// decidable row's approved outcome if approved, else its rejected one.
func expectAsDecided(p *PlanBook, decide func(i int) pipeline.Decision) map[pipeline.CloudOutcome]int {
	out := map[pipeline.CloudOutcome]int{}
	for o, n := range p.Fixed {
		out[o] += n
	}
	for i := range p.Actions {
		if !p.Actions[i].Kind.Decidable() {
			continue
		}
		o := p.Effects[i].Rejected
		if decide(i) == pipeline.Approve {
			o = p.Effects[i].Approved
		}
		if o != "" {
			out[o]++
		}
	}
	return out
}

// briefAudit is fixtureAudit with read times.
func briefAudit() *Audit {
	a := fixtureAudit()
	a.Snapshot = "5e1f0c2a9b7d"
	a.ADReadAt = time.Date(2026, 11, 20, 14, 3, 9, 0, time.FixedZone("CET", 3600))
	return a
}

package plan

import (
	"fmt"
	"sort"
	"strings"

	"syncgap/forecast"
	"syncgap/pipeline"
	"syncgap/workbook"
)

// briefing builds what the board decides on from the gaps and the plan:
// the flip_now and approve_all forecast rows, and the PlanBook fields of
// the Decision brief (docs/rules.md, "Forecast").
type briefing struct {
	rows  []pipeline.ForecastRow // flip_now rows, then approve_all rows
	book  *workbook.PlanBook
	fc    *forecast.Forecaster
	flip  map[forecast.Key]*pipeline.ForecastRow
	value map[forecast.Key]forecast.Value
}

func brief(gaps []pipeline.Gap, actions []pipeline.Action, book *workbook.PlanBook) []pipeline.ForecastRow {
	b := &briefing{book: book, fc: forecast.New(), flip: map[forecast.Key]*pipeline.ForecastRow{}, value: map[forecast.Key]forecast.Value{}}
	writes := forecast.Writes(actions, func(*pipeline.Action) bool { return true })
	flipRows, flip := b.fc.Rows(pipeline.FlipNow, gaps, nil)
	allRows, all := b.fc.Rows(pipeline.ApproveAll, gaps, writes)
	fixed := forecast.Counts{}
	for i := range flipRows {
		r := &flipRows[i]
		k := forecast.KeyOf(r.DN, r.Attribute)
		b.flip[k] = r
		if writes[k] == nil {
			fixed.Add(r)
		}
	}
	for i := range gaps {
		for _, v := range forecast.Values(&gaps[i]) {
			b.value[forecast.KeyOf(v.Gap.DN, v.Attribute)] = v
		}
	}
	book.Forecast = map[pipeline.Scenario]map[pipeline.CloudOutcome]int{pipeline.FlipNow: flip, pipeline.ApproveAll: all}
	book.Fixed = fixed
	book.Effects = make([]workbook.ActionEffect, len(actions))
	for i := range actions {
		book.Effects[i] = b.effect(&actions[i], book)
	}
	book.Riskiest = riskiest(gaps, flipRows, writes)
	book.ByOU, book.ByCountry = differences(gaps)
	return append(flipRows, allRows...)
}

// effect says in words what deciding a is.
func (b *briefing) effect(a *pipeline.Action, book *workbook.PlanBook) workbook.ActionEffect {
	if !a.Kind.Decidable() {
		return workbook.ActionEffect{}
	}
	e := workbook.ActionEffect{Group: workbook.GroupKey{Kind: a.Kind, Attribute: a.Attribute, Op: a.Op, Risk: a.Risk}}
	switch {
	case a.Kind == pipeline.KindAcknowledge:
		e.IfApproved = fmt.Sprintf("The board accepts that the switch sets AlternateMobilePhones of these %d users to AD's otherMobile, whatever the cloud holds now", book.UnknownOther)
		e.IfRejected = "The switch cannot be approved: it would overwrite values nobody can see"
		return e
	case a.Target == pipeline.TargetTenant:
		e.IfApproved = "BypassDirSyncOverrides is enabled once every approved AD change is applied: from the next sync cycle the cloud takes AD's mobile and otherMobile"
		e.IfRejected = "The switch stays off: nothing in the cloud changes, and AD changes made now reach the cloud only where no override blocks them"
		return e
	}
	k := forecast.KeyOf(a.DN, a.Attribute)
	v, ok := b.value[k]
	if !ok {
		return e
	}
	approved := b.fc.Row(pipeline.AsDecided, v, a)
	rejected := b.flip[k]
	e.Approved, e.Rejected = approved.Outcome, rejected.Outcome
	e.Deletes = a.Op == pipeline.OpDelete
	name := "AD " + a.Attribute
	if e.Deletes {
		e.IfApproved = fmt.Sprintf("%s %s is deleted; after the switch the cloud is empty (%s)", name, values(a.Expected), outcomeWords(e.Approved))
	} else {
		e.IfApproved = fmt.Sprintf("%s becomes %s; after the switch the cloud holds it (%s)", name, values(a.Value), outcomeWords(e.Approved))
	}
	if len(v.AD) == 0 {
		e.IfRejected = fmt.Sprintf("%s stays empty; after the switch the cloud is empty too (%s)", name, outcomeWords(e.Rejected))
	} else {
		e.IfRejected = fmt.Sprintf("AD keeps %s; after the switch the cloud holds it (%s)", values(v.AD), outcomeWords(e.Rejected))
	}
	return e
}

func values(v []string) string {
	if len(v) == 0 {
		return "nothing"
	}
	return strings.Join(v, ", ")
}

// outcomeWords is an outcome for a board: what happens to the cloud's value.
func outcomeWords(o pipeline.CloudOutcome) string {
	switch o {
	case pipeline.Lost:
		return "the cloud's number is lost"
	case pipeline.Changed:
		return "the cloud's number is replaced"
	case pipeline.Filled:
		return "a number is added to the cloud"
	case pipeline.Reformatted:
		return "the same number, formatted as in AD"
	case pipeline.Cleaned:
		return "text that is no number leaves the cloud"
	case pipeline.Unchanged:
		return "the cloud does not change"
	}
	return "what the cloud holds now is unknown"
}

// riskiest are up to ten values the switch loses or changes as things
// stand, worst first: numbers lost before numbers replaced, high risk
// before lower, then in table order.
func riskiest(gaps []pipeline.Gap, flip []pipeline.ForecastRow, writes map[forecast.Key]*pipeline.Action) []workbook.RiskyValue {
	rank := map[pipeline.CloudOutcome]int{pipeline.Lost: 0, pipeline.Changed: 1}
	risk := map[pipeline.Risk]int{pipeline.RiskHigh: 0, pipeline.RiskMedium: 1, pipeline.RiskLow: 2, pipeline.RiskNone: 3}
	byDN := map[string]*pipeline.Gap{}
	for i := range gaps {
		byDN[strings.ToLower(gaps[i].DN)] = &gaps[i]
	}
	type cand struct {
		r    *pipeline.ForecastRow
		g    *pipeline.Gap
		rank int
		at   int
	}
	var cs []cand
	for i := range flip {
		r := &flip[i]
		o, ok := rank[r.Outcome]
		if !ok {
			continue
		}
		g := byDN[strings.ToLower(r.DN)]
		if g == nil {
			continue
		}
		cs = append(cs, cand{r, g, o*10 + risk[g.Risk], i})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].rank < cs[j].rank })
	out := make([]workbook.RiskyValue, 0, 10)
	for _, c := range cs[:min(10, len(cs))] {
		v := workbook.RiskyValue{UPN: c.r.UPN, Attribute: c.r.Attribute, Cloud: c.r.CloudBefore, AD: c.r.CloudAfter, Outcome: c.r.Outcome}
		if a := writes[forecast.KeyOf(c.r.DN, c.r.Attribute)]; a != nil {
			v.ActionID = a.ActionID
		}
		out = append(out, v)
	}
	return out
}

// differences counts users with a difference (an unknown cloud side alone
// is none) by top-level OU and by country, largest first.
func differences(gaps []pipeline.Gap) (byOU, byCountry []workbook.NamedCount) {
	ou, country := map[string]int{}, map[string]int{}
	for i := range gaps {
		g := &gaps[i]
		if !differs(g.MobileState) && !differs(g.OtherMobileState) {
			continue
		}
		ou[topOU(g.DN)]++
		c := g.Region
		if c == "" {
			c = "(none)"
		}
		country[c]++
	}
	return sorted(ou), sorted(country)
}

func differs(s pipeline.State) bool {
	switch s {
	case pipeline.InSync, pipeline.Unverifiable, pipeline.NotApplicable, "":
		return false
	}
	return true
}

func sorted(m map[string]int) []workbook.NamedCount {
	out := make([]workbook.NamedCount, 0, len(m))
	for k, v := range m {
		out = append(out, workbook.NamedCount{Name: k, Users: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Users != out[j].Users {
			return out[i].Users > out[j].Users
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// topOU is the RDN just below the domain components of dn: the top-level
// OU (or container) a user sits in, e.g. OU=EMEA of
// CN=John,OU=London,OU=EMEA,DC=contoso,DC=com.
func topOU(dn string) string {
	rdns := splitDN(dn)
	top := ""
	for i := len(rdns) - 1; i >= 1; i-- { // rdns[0] is the user itself
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(rdns[i])), "DC=") {
			continue
		}
		top = strings.TrimSpace(rdns[i])
		break
	}
	if top == "" {
		return "(directory root)"
	}
	return top
}

// splitDN splits a DN at the commas that separate RDNs (not escaped ones).
func splitDN(dn string) []string {
	var out []string
	start := 0
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',':
			out = append(out, dn[start:i])
			start = i + 1
		}
	}
	return append(out, dn[start:])
}

package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"syncgap/forecast"
	"syncgap/pipeline"
	"syncgap/workbook"
)

// briefing forecasts flip_now row by row as the planner makes each gaps
// row's actions, says what deciding each action does, and gathers the
// PlanBook fields of the Decision brief (docs/rules.md, "Forecast"). It
// holds no row: a million users make four million forecast rows, and ten
// million users several hundred thousand candidates for the riskiest ten.
type briefing struct {
	fc    *forecast.Forecaster
	emit  func(*pipeline.ForecastRow) error // flip_now rows, in gaps order
	flip  forecast.Counts
	fixed forecast.Counts
	// What each attribute's write (if any) does, of the row being planned.
	rejected, approved [2]pipeline.CloudOutcome
	kept               [2][]string // the AD value rejecting it keeps
	forecasted         [2]bool
	risky              riskiest
	ou, country        map[string]int
	all                forecast.Counts // approve_all outcomes of the row's writes: scratch
}

func newBriefing(emit func(*pipeline.ForecastRow) error) *briefing {
	return &briefing{fc: forecast.New(), emit: emit, flip: forecast.Counts{}, fixed: forecast.Counts{},
		ou: map[string]int{}, country: map[string]int{}, all: forecast.Counts{}}
}

// row forecasts gaps row g, whose actions are acts, and fills effects
// (one per action) with what deciding each does; unknownOther is the
// planner's count so far (see effectOf).
func (b *briefing) row(g *pipeline.Gap, acts []pipeline.Action, effects []workbook.ActionEffect, unknownOther int) error {
	b.difference(g)
	b.risky.see(g)
	var writes [2]*pipeline.Action // the row's AD writes, mobile and otherMobile
	if g.MatchStatus == pipeline.Matched {
		for i := range acts {
			a := &acts[i]
			if a.Target != pipeline.TargetAD || !a.Kind.Writes() {
				continue
			}
			for k, attr := range forecast.Attributes {
				if a.Attribute == attr {
					writes[k] = a
				}
			}
		}
	}
	b.forecasted = [2]bool{}
	err := b.fc.Gap(pipeline.FlipNow, g, writes, b.flip, func(r *pipeline.ForecastRow, a *pipeline.Action) error {
		k := attrIndex(r.Attribute)
		if a != nil {
			b.rejected[k], b.kept[k], b.forecasted[k] = r.Outcome, slices.Clone(r.CloudAfter), true
		} else {
			b.fixed.Add(r)
		}
		if r.Outcome == pipeline.Lost || r.Outcome == pipeline.Changed {
			b.risky.candidate(r, a)
		}
		return b.emit(r)
	})
	if err != nil {
		return err
	}
	// An approve_all row that applies an action is what approving it does.
	if writes != [2]*pipeline.Action{} {
		err = b.fc.Gap(pipeline.ApproveAll, g, writes, b.all, func(r *pipeline.ForecastRow, a *pipeline.Action) error {
			if a != nil {
				b.approved[attrIndex(r.Attribute)] = r.Outcome
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for i := range acts {
		a := &acts[i]
		effects[i] = workbook.ActionEffect{}
		if a.Target == pipeline.TargetAD && a.Kind.Writes() && a.Kind.Decidable() {
			k := attrIndex(a.Attribute)
			if k >= 0 && writes[k] == a && b.forecasted[k] {
				effects[i].Approved, effects[i].Rejected = b.approved[k], b.rejected[k]
				adEffect(&effects[i], a, b.kept[k])
			}
			continue
		}
		effects[i] = effectOf(a, unknownOther)
	}
	return nil
}

// attrIndex is the index of attr in forecast.Attributes, -1 for another.
func attrIndex(attr string) int {
	return slices.Index(forecast.Attributes, attr)
}

// effectOf is what deciding a does when it is no AD write the forecast
// saw: nothing for a row that takes no decision, else the words of the
// acknowledge row or the tenant action (otherEffect); unknownOther is how
// many users' AlternateMobilePhones cannot be read, final for the
// acknowledge row, which the planner makes last.
func effectOf(a *pipeline.Action, unknownOther int) workbook.ActionEffect {
	if !a.Kind.Decidable() || (a.Target == pipeline.TargetAD && a.Kind.Writes()) {
		return workbook.ActionEffect{}
	}
	return otherEffect(a, unknownOther)
}

// finish fills book's brief fields; all are approve_all's counts.
func (b *briefing) finish(book *workbook.PlanBook, all forecast.Counts) {
	book.Forecast = map[pipeline.Scenario]map[pipeline.CloudOutcome]int{pipeline.FlipNow: b.flip, pipeline.ApproveAll: all}
	book.Fixed = b.fixed
	book.Riskiest = b.risky.top()
	book.ByOU, book.ByCountry = sorted(b.ou), sorted(b.country)
}

// adEffect completes e, whose outcomes the forecast set, with what deciding
// the AD write a is in words; ad is the value rejecting it keeps.
func adEffect(e *workbook.ActionEffect, a *pipeline.Action, ad []string) {
	e.Group = workbook.GroupKey{Kind: a.Kind, Attribute: a.Attribute, Op: a.Op, Risk: a.Risk}
	e.Deletes = a.Op == pipeline.OpDelete
	name := "AD " + a.Attribute
	if e.Deletes {
		e.IfApproved = fmt.Sprintf("%s %s is deleted; after the switch the cloud is empty (%s)", name, values(a.Expected), workbook.OutcomePhrase(e.Approved))
	} else {
		e.IfApproved = fmt.Sprintf("%s becomes %s; after the switch the cloud holds it (%s)", name, values(a.Value), workbook.OutcomePhrase(e.Approved))
	}
	if len(ad) == 0 {
		e.IfRejected = fmt.Sprintf("%s stays empty; after the switch the cloud is empty too (%s)", name, workbook.OutcomePhrase(e.Rejected))
	} else {
		e.IfRejected = fmt.Sprintf("AD keeps %s; after the switch the cloud holds it (%s)", values(ad), workbook.OutcomePhrase(e.Rejected))
	}
}

// otherEffect says in words what deciding the acknowledge row or the
// tenant action does.
func otherEffect(a *pipeline.Action, unknownOther int) workbook.ActionEffect {
	e := workbook.ActionEffect{Group: workbook.GroupKey{Kind: a.Kind, Attribute: a.Attribute, Op: a.Op, Risk: a.Risk}}
	switch a.Kind {
	case pipeline.KindAcknowledge:
		e.IfApproved = fmt.Sprintf("The board accepts that the switch sets AlternateMobilePhones of these %d users to AD's otherMobile, whatever the cloud holds now", unknownOther)
		e.IfRejected = "The switch cannot be approved: it would overwrite values nobody can see"
	default:
		e.IfApproved = "BypassDirSyncOverrides is enabled once every approved AD change is applied: from the next sync cycle the cloud takes AD's mobile and otherMobile"
		e.IfRejected = "The switch stays off: nothing in the cloud changes, and AD changes made now reach the cloud only where no override blocks them"
	}
	return e
}

func values(v []string) string {
	if len(v) == 0 {
		return "nothing"
	}
	return strings.Join(v, ", ")
}

// riskiest keeps the up to ten values the switch loses or changes as
// things stand, worst first: numbers lost before numbers replaced, the
// user's risk high before lower, then in table order. A candidate's risk
// is that of the last gaps row with its DN, known once the rows of that
// DN end: they are adjacent, each AD user's rows following one another
// (docs/tables.md, "joined"). Only the first ten of each rank can make
// the list, so that is all it keeps.
type riskiest struct {
	dn      string                  // of the rows seen last
	risk    pipeline.Risk           // of the last row with dn
	pending []workbook.RiskyValue   // candidates of dn, in table order
	ranks   []pipeline.CloudOutcome // of pending
	best    [riskRanks][]workbook.RiskyValue
}

// riskRanks is the number of ranks: two outcomes by four risks.
const riskRanks = 2 * 4

// see notes gaps row g, before its forecast rows.
func (r *riskiest) see(g *pipeline.Gap) {
	if g.DN != r.dn {
		r.settle()
		r.dn = g.DN
	}
	r.risk = g.Risk
}

// candidate keeps a flip_now row that loses or changes a number; a is
// the AD write deciding it, if any.
func (r *riskiest) candidate(row *pipeline.ForecastRow, a *pipeline.Action) {
	v := workbook.RiskyValue{UPN: row.UPN, Attribute: row.Attribute, Cloud: slices.Clone(row.CloudBefore), AD: slices.Clone(row.CloudAfter), Outcome: row.Outcome}
	if a != nil {
		v.ActionID = a.ActionID
	}
	r.pending = append(r.pending, v)
	r.ranks = append(r.ranks, row.Outcome)
}

// settle ranks the pending candidates now that their DN's risk is known.
func (r *riskiest) settle() {
	outcome := map[pipeline.CloudOutcome]int{pipeline.Lost: 0, pipeline.Changed: 1}
	// An unknown risk ranks as high: a lookup that finds nothing is 0.
	risk := map[pipeline.Risk]int{pipeline.RiskHigh: 0, pipeline.RiskMedium: 1, pipeline.RiskLow: 2, pipeline.RiskNone: 3}[r.risk]
	for i, v := range r.pending {
		k := outcome[r.ranks[i]]*4 + risk
		if len(r.best[k]) < 10 {
			r.best[k] = append(r.best[k], v)
		}
	}
	r.pending, r.ranks = r.pending[:0], r.ranks[:0]
}

// top is the riskiest ten, worst first.
func (r *riskiest) top() []workbook.RiskyValue {
	r.settle()
	out := make([]workbook.RiskyValue, 0, 10)
	for _, b := range r.best {
		out = append(out, b[:min(len(b), 10-len(out))]...)
	}
	return out
}

// difference counts g if it holds a difference (an unknown cloud side
// alone is none), by top-level OU and by country.
func (b *briefing) difference(g *pipeline.Gap) {
	if !differs(g.MobileState) && !differs(g.OtherMobileState) {
		return
	}
	b.ou[topOU(g.DN)]++
	c := g.Region
	if c == "" {
		c = "(none)"
	}
	b.country[c]++
}

func differs(s pipeline.State) bool {
	switch s {
	case pipeline.InSync, pipeline.Unverifiable, pipeline.NotApplicable, "":
		return false
	}
	return true
}

// sorted are the counts of m, largest first.
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

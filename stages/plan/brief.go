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

// brief writes forecast.parquet (flip_now, then approve_all) through w and
// fills the PlanBook fields of the Decision brief (docs/rules.md,
// "Forecast"). It streams: neither the rows nor a map per value are kept,
// since a million users make four million rows.
func brief(gaps pipeline.Rows[pipeline.Gap], actions []pipeline.Action, book *workbook.PlanBook, emit func(*pipeline.ForecastRow) error) error {
	fc := forecast.New()
	writes := forecast.NewWrites(actions, func(*pipeline.Action) bool { return true })
	at := make(map[*pipeline.Action]int, len(actions))
	for i := range actions {
		at[&actions[i]] = i
	}
	book.Effects = make([]workbook.ActionEffect, len(actions))
	kept := make(map[int][]string, writes.Len()) // action -> the AD value rejecting it keeps
	fixed := forecast.Counts{}
	var risky []riskyCandidate
	flip, err := fc.Stream(pipeline.FlipNow, gaps, writes, func(r *pipeline.ForecastRow, a *pipeline.Action) error {
		if a != nil {
			i := at[a]
			book.Effects[i].Rejected, kept[i] = r.Outcome, slices.Clone(r.CloudAfter)
		} else {
			fixed.Add(r)
		}
		if r.Outcome == pipeline.Lost || r.Outcome == pipeline.Changed {
			risky = append(risky, riskyCandidate{row: forecast.Keep(r)})
		}
		return emit(r)
	})
	if err != nil {
		return err
	}
	// An approve_all row that applies an action is what approving it does.
	all, err := fc.Stream(pipeline.ApproveAll, gaps, writes, func(r *pipeline.ForecastRow, a *pipeline.Action) error {
		if a != nil {
			book.Effects[at[a]].Approved = r.Outcome
		}
		return emit(r)
	})
	if err != nil {
		return err
	}
	for i := range actions {
		a := &actions[i]
		switch {
		case !a.Kind.Decidable():
		case a.Target == pipeline.TargetAD && a.Kind.Writes():
			if ad, ok := kept[i]; ok {
				adEffect(&book.Effects[i], a, ad)
			}
		default:
			book.Effects[i] = otherEffect(a, book)
		}
	}
	book.Forecast = map[pipeline.Scenario]map[pipeline.CloudOutcome]int{pipeline.FlipNow: flip, pipeline.ApproveAll: all}
	book.Fixed = fixed
	book.Riskiest = riskiest(gaps, risky, writes)
	book.ByOU, book.ByCountry = differences(gaps)
	return nil
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
func otherEffect(a *pipeline.Action, book *workbook.PlanBook) workbook.ActionEffect {
	e := workbook.ActionEffect{Group: workbook.GroupKey{Kind: a.Kind, Attribute: a.Attribute, Op: a.Op, Risk: a.Risk}}
	switch a.Kind {
	case pipeline.KindAcknowledge:
		e.IfApproved = fmt.Sprintf("The board accepts that the switch sets AlternateMobilePhones of these %d users to AD's otherMobile, whatever the cloud holds now", book.UnknownOther)
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

// riskyCandidate is a flip_now row that loses or changes a number.
type riskyCandidate struct {
	row pipeline.ForecastRow
}

// riskiest are up to ten values the switch loses or changes as things
// stand, worst first: numbers lost before numbers replaced, high risk
// before lower, then in table order.
func riskiest(gaps pipeline.Rows[pipeline.Gap], cands []riskyCandidate, writes *forecast.Writes) []workbook.RiskyValue {
	rank := map[pipeline.CloudOutcome]int{pipeline.Lost: 0, pipeline.Changed: 1}
	risk := map[pipeline.Risk]int{pipeline.RiskHigh: 0, pipeline.RiskMedium: 1, pipeline.RiskLow: 2, pipeline.RiskNone: 3}
	byDN := make(map[string]pipeline.Risk, len(cands))
	for _, c := range cands {
		byDN[c.row.DN] = ""
	}
	for _, g := range gaps.All() {
		if _, ok := byDN[g.DN]; ok {
			byDN[g.DN] = g.Risk
		}
	}
	key := func(c riskyCandidate) int { return rank[c.row.Outcome]*10 + risk[byDN[c.row.DN]] }
	sort.SliceStable(cands, func(i, j int) bool { return key(cands[i]) < key(cands[j]) })
	out := make([]workbook.RiskyValue, 0, 10)
	for _, c := range cands[:min(10, len(cands))] {
		v := workbook.RiskyValue{UPN: c.row.UPN, Attribute: c.row.Attribute, Cloud: c.row.CloudBefore, AD: c.row.CloudAfter, Outcome: c.row.Outcome}
		if a := writes.Lookup(c.row.DN, c.row.Attribute); a != nil {
			v.ActionID = a.ActionID
		}
		out = append(out, v)
	}
	return out
}

// differences counts users with a difference (an unknown cloud side alone
// is none) by top-level OU and by country, largest first.
func differences(gaps pipeline.Rows[pipeline.Gap]) (byOU, byCountry []workbook.NamedCount) {
	ou, country := map[string]int{}, map[string]int{}
	for _, g := range gaps.All() {
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

package apply

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"text/tabwriter"

	"syncgap/pipeline"
)

// dryRunRows is how many actions the dry run lists.
const dryRunRows = 10

// DryRun prints what apply would do in the snapshot dir, touching nothing:
// the plan hash, the approved actions still to apply (counts per attribute
// and op, then the first rows), and the tenant action.
func DryRun(w io.Writer, dir string, approveAll bool) error {
	ap, err := LoadApproved(dir, approveAll)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	if entries, err := ReadJournal(filepath.Join(dir, JournalFile)); err == nil {
		led, err := NewLedger(entries)
		if err != nil {
			return err
		}
		for _, a := range ap.AD {
			if led.Final(a.ActionID) {
				done[a.ActionID] = true
			}
		}
	}
	counts := map[string]int{}
	var todo []pipeline.Action
	for _, a := range ap.AD {
		if !done[a.ActionID] {
			counts[a.Attribute+" "+string(a.Op)]++
			todo = append(todo, a)
		}
	}
	fmt.Fprintf(w, "Dry run (nothing is written; add --execute to apply). Plan %s\n", ap.PlanHash)
	fmt.Fprintf(w, "Approved AD actions: %d to apply", len(todo))
	if len(done) > 0 {
		fmt.Fprintf(w, ", %d already done by an earlier run", len(done))
	}
	fmt.Fprintf(w, "; %d rejected, %d undecided (not applied)\n", ap.Rejected, ap.Undecided)
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, k := range keys {
		fmt.Fprintf(tw, "  %s\t%d\n", k, counts[k])
	}
	tw.Flush()
	if len(todo) > 0 {
		fmt.Fprintf(w, "First %d:\n", min(dryRunRows, len(todo)))
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, a := range todo[:min(dryRunRows, len(todo))] {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s -> %s\n", a.ActionID, a.DN, a.Attribute, a.Op, pipeline.QuoteValues(a.Expected), pipeline.QuoteValues(a.Value))
		}
		tw.Flush()
	}
	if ap.Tenant != nil {
		fmt.Fprintln(w, "Then, if every approved AD action is applied: enable bypassDirSyncOverridesEnabled (needs --graph)")
		if c, err := decidedCounts(dir); err == nil {
			fmt.Fprintf(w, "  as decided, the switch then loses %d cloud values, changes %d, fills %d, reformats %d, cleans %d; %d unchanged, %d unknown\n",
				c[pipeline.Lost], c[pipeline.Changed], c[pipeline.Filled], c[pipeline.Reformatted], c[pipeline.Cleaned], c[pipeline.Unchanged], c[pipeline.UnknownOutcome])
		}
	}
	return nil
}

// decidedCounts counts the as_decided forecast approve wrote.
func decidedCounts(dir string) (map[pipeline.CloudOutcome]int, error) {
	c := map[pipeline.CloudOutcome]int{}
	err := pipeline.ScanRows(filepath.Join(dir, pipeline.FileName(pipeline.ForecastDecidedTable)), func(r *pipeline.ForecastRow) error {
		c[r.Outcome]++
		return nil
	})
	return c, err
}

package workbook

import (
	"context"
	"fmt"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// The diff workbook (syncgap diff --out) is a read-only report for a
// change board following remediation week by week: a Summary in plain
// words and a Changes sheet listing every user that changed, appeared or
// disappeared between two audits (docs/workbook.md, "Diff workbook").

// DiffFile is the diff workbook's name in the snapshot diff writes.
const DiffFile = "diff.xlsx"

// ChangesSheet lists the diff's rows; it continues on "Changes (2)", …
// past Excel's row limit.
const ChangesSheet = "Changes"

// DiffBook is everything the diff workbook shows; WriteDiff reads it only.
type DiffBook struct {
	Before, After DiffSnapshot
	ToolVersion   string
	Counts        DiffCounts
	Rows          pipeline.Rows[pipeline.DiffRow] // the diff table's rows, in order
}

// WriteDiff writes the diff workbook to path atomically. Identical input
// gives identical bytes.
func WriteDiff(ctx context.Context, path string, d *DiffBook) error {
	return writeDiff(ctx, path, d, excelize.TotalRows)
}

// writeDiff is WriteDiff with the per-sheet row limit (header included)
// as a parameter, so tests can split the Changes sheet with a few rows.
func writeDiff(ctx context.Context, path string, d *DiffBook, maxRows int) error {
	if maxRows < 2 {
		return fmt.Errorf("write %s: row limit %d leaves no room for data", path, maxRows)
	}
	return saveBook(ctx, path, func(f *excelize.File, rows *rowSet) error {
		st, err := newSummaryBook(f, rows, d.ToolVersion, "syncgap diff", d.Before.ID+" → "+d.After.ID)
		if err != nil {
			return err
		}
		if err := writeDiffSummary(f, st, d); err != nil {
			return fmt.Errorf("sheet %s: %w", SummarySheet, err)
		}
		data := d.Rows
		if data == nil {
			data = pipeline.Slice[pipeline.DiffRow](nil)
		}
		if err := writeChanges(f, st, data, maxRows); err != nil {
			return fmt.Errorf("sheet %s: %w", ChangesSheet, err)
		}
		return nil
	})
}

// diffKindOrder is the order the Summary lists change kinds in: what
// people edited first, then what it did to the verdict, then identities.
var diffKindOrder = []pipeline.ChangeKind{
	pipeline.Appeared, pipeline.Disappeared, pipeline.ADChanged, pipeline.CloudChanged,
	pipeline.StateChanged, pipeline.EffectChanged, pipeline.MatchChanged,
	pipeline.UPNChanged, pipeline.DNChanged, pipeline.EntraIDChanged,
}

// writeDiffSummary lays out the diff's Summary sheet: the two snapshots,
// the counts in sentences, what changed, what the switch would do before
// and after, and the verdict changes.
func writeDiffSummary(f *excelize.File, st *styles, d *DiffBook) error {
	w := &summarySheet{f: f, st: st}
	c := &d.Counts
	w.row++
	w.set(1, "syncgap diff: what changed between two audits", st.title)
	w.blank()
	w.header("", "Before", "After")
	w.line("Snapshot", d.Before.Name, d.After.Name)
	w.line("Snapshot id", d.Before.ID, d.After.ID)
	bAD, bCloud := d.Before.ReadTimes()
	aAD, aCloud := d.After.ReadTimes()
	w.line("AD read", bAD, aAD)
	w.line("Entra ID read", bCloud, aCloud)
	w.line("Users", c.Before, c.After)
	w.line("Tool version", d.ToolVersion)

	w.blank()
	w.line("In short")
	for _, s := range DiffSentences(c) {
		w.text(s)
	}
	if later(d.Before, d.After) {
		w.text("Before was read after After: the changes are shown from Before to After as given, which is backwards in time.")
	}

	w.blank()
	var kinds []count
	for _, k := range diffKindOrder {
		kinds = append(kinds, count{kindWords[k], c.ByKind[k]})
	}
	kinds = append(kinds, count{"Unchanged (not listed on Changes)", c.Unchanged()})
	w.text("A user with several changes counts on several lines.")
	w.counts("What changed", kinds)

	w.blank()
	w.header("What enabling bypass would do", "Before", "After", "Change")
	for _, e := range pipeline.Effects {
		w.line(effectRowWords[e], c.EffectBefore[e], c.EffectAfter[e], c.EffectAfter[e]-c.EffectBefore[e])
	}
	w.text("Every user of each audit counts here, changed or not.")

	for _, field := range MoveFields {
		w.blank()
		w.header(moveTitles[field]+" before", "after", "Users")
		moves := c.MovesOf(field)
		if len(moves) == 0 {
			w.text("(no changes)")
		}
		for _, m := range moves {
			w.line(fieldWord(field, m.From), fieldWord(field, m.To), m.N)
		}
	}

	w.blank()
	w.line("How to read this")
	for _, s := range diffNotes {
		w.text(s)
	}
	return w.finish(46, 22, 22, 14)
}

// later reports whether b was read after a, by either side's read time.
func later(b, a DiffSnapshot) bool {
	return b.ADReadAt.After(a.ADReadAt) && !a.ADReadAt.IsZero() ||
		b.CloudReadAt.After(a.CloudReadAt) && !a.CloudReadAt.IsZero()
}

// DiffSentences are a diff's totals in plain sentences, for the Summary
// sheet and the terminal.
func DiffSentences(c *DiffCounts) []string {
	out := []string{fmt.Sprintf("%d %s in both audits: %d changed and %d did not. %d %s new and %d %s gone.",
		c.Paired, plural(c.Paired, "user is", "users are"), c.Changed, c.Unchanged(),
		c.ByKind[pipeline.Appeared], plural(c.ByKind[pipeline.Appeared], "user is", "users are"),
		c.ByKind[pipeline.Disappeared], plural(c.ByKind[pipeline.Disappeared], "is", "are"))}
	acted := func(m map[pipeline.Effect]int) int { return total(m) - m[pipeline.NoEffect] }
	out = append(out, fmt.Sprintf("Enabling BypassDirSyncOverrides would change the cloud values of %d users now, %s; it would clear cloud values (data loss) of %d, %s.",
		acted(c.EffectAfter), against(acted(c.EffectBefore), acted(c.EffectAfter)),
		c.EffectAfter[pipeline.ClearsCloud], against(c.EffectBefore[pipeline.ClearsCloud], c.EffectAfter[pipeline.ClearsCloud])))
	out = append(out, fmt.Sprintf("For %d of the users in both audits the switch would now do less harm, for %d more.", c.Better, c.Worse))
	if c.UnknownBefore != c.UnknownAfter {
		out = append(out, fmt.Sprintf("The cloud's otherMobile is unknown for %d users now, against %d before (an MSOnline export given to one audit only?): "+
			"what the switch would do to it is not counted for them, and their change is not counted as less or more harm.", c.UnknownAfter, c.UnknownBefore))
	}
	return out
}

// total is the sum of m's counts.
func total(m map[pipeline.Effect]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// against says a count now against the count before.
func against(before, now int) string {
	switch {
	case now < before:
		return fmt.Sprintf("against %d before (%d fewer)", before, before-now)
	case now > before:
		return fmt.Sprintf("against %d before (%d more)", before, now-before)
	}
	return "as before"
}

var diffNotes = []string{
	"A user is one row of an audit: an AD user and the cloud user matched to it, or a user found on one side only " +
		"(a cloud user that could be several AD users has a row for each). Users are paired across the two audits by " +
		"cloud object id, then by DN, then by UPN; the Changes sheet says which paired them.",
	"Only users that changed, are new or are gone are listed on Changes. A number counts as edited only where both " +
		"audits have that side of the user: an AD user that was deleted or linked to a cloud user is a match change.",
	"Where the cloud's otherMobile could not be read in one of the audits (no MSOnline export), it is not compared: " +
		"nobody can tell whether it changed. A verdict that became known shows as a verdict change.",
	"This workbook is a report: nothing in it is approved or applied. The same rows are in diff.parquet.",
}

package workbook

import (
	"context"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// The post-change workbook (syncgap verify-cloud) tells a change board
// whether the switch did what the forecast they approved said: a Summary in
// plain words and a Post-change sheet listing every value that did not
// converge, changed since the plan, or cannot be read (docs/workbook.md,
// "Post-change workbook").

// PostChangeFile is the post-change workbook's name in the snapshot.
const PostChangeFile = "post-change.xlsx"

// PostChangeSheet lists the values that did not simply converge.
const PostChangeSheet = "Post-change"

// PostChange is everything the post-change workbook shows.
type PostChange struct {
	Snapshot, After string // the names of the two snapshots
	Scenario        pipeline.Scenario
	Flag            string // the later audit's bypass flag: on or unknown
	ToolVersion     string
	Counts          map[pipeline.CloudStatus]int
	Rows            pipeline.Rows[pipeline.VerifyCloudRow] // verify_cloud, in order
}

var statusWords = map[pipeline.CloudStatus]string{
	pipeline.Converged:    "Converged: the cloud holds what the forecast said",
	pipeline.NotConverged: "Not converged: the cloud still differs",
	pipeline.Missing:      "Missing: the user is gone from AD or the cloud",
	pipeline.ChangedSince: "Changed in AD since the plan: the forecast no longer applies",
	pipeline.CloudUnknown: "Unknown: the later audit cannot read the cloud value",
}

var scenarioWords = map[pipeline.Scenario]string{
	pipeline.AsDecided:  "as the board decided",
	pipeline.ApproveAll: "every proposed change applied (no decisions were read)",
}

var postChangeColumns = []column{
	{Title: "Status", Width: 16}, {Title: "UPN", Width: 34}, {Title: "Attribute", Width: 12},
	{Title: "Forecast said", Width: 24, Wrap: true}, {Title: "Cloud now", Width: 24, Wrap: true},
	{Title: "AD now", Width: 24, Wrap: true}, {Title: "Why", Width: 60, Wrap: true}, {Title: "DN", Width: 44, Wrap: true},
}

// WritePostChange writes the post-change workbook to path atomically.
// Identical input gives identical bytes.
func WritePostChange(ctx context.Context, path string, p *PostChange) error {
	return saveBook(ctx, path, func(f *excelize.File, rows *rowSet) error {
		st, err := newSummaryBook(f, rows, p.ToolVersion, "syncgap verify-cloud", p.Snapshot+" → "+p.After)
		if err != nil {
			return err
		}
		if err := writePostChangeSummary(f, st, p); err != nil {
			return fmt.Errorf("sheet %s: %w", SummarySheet, err)
		}
		t := newTableWriter(f, st, PostChangeSheet, postChangeColumns, excelize.TotalRows)
		t.wrapAll = true
		row := make([]any, 0, len(postChangeColumns))
		for _, r := range p.Rows.All() {
			if r.Status == pipeline.Converged {
				continue
			}
			row = append(row[:0], str(string(r.Status)), str(r.UPN), str(r.Attribute),
				str(valuesText(r.Expected)), str(valuesText(r.Cloud)), str(valuesText(r.AD)), str(r.Reason), str(r.DN))
			if err := t.add(row); err != nil {
				return fmt.Errorf("sheet %s: %w", PostChangeSheet, err)
			}
		}
		return t.close()
	})
}

// valuesText is a list of values as a cell: "(unknown)" for nil, blank
// for none.
func valuesText(v []string) string {
	if v == nil {
		return unknownCloud
	}
	return strings.Join(v, "; ")
}

func writePostChangeSummary(f *excelize.File, st *styles, p *PostChange) error {
	w := &summarySheet{f: f, st: st}
	w.row++
	w.set(1, "syncgap verify-cloud: did the switch do what was approved?", st.title)
	w.blank()
	w.line("Snapshot of the plan", p.Snapshot)
	w.line("Audit after the switch", p.After)
	w.line("Forecast checked", word(scenarioWords, p.Scenario))
	w.line("BypassDirSyncOverrides in that audit", p.Flag)
	w.line("Tool version", p.ToolVersion)
	w.blank()
	w.header("Cloud values (one per user and attribute)", "Values")
	for _, s := range pipeline.CloudStatuses {
		w.line(word(statusWords, s), p.Counts[s])
	}
	w.blank()
	w.line("How to read this")
	for _, s := range []string{
		"Sync reports success whether or not a user's values reached the cloud. This compares, value by value, what the approved forecast said the cloud would hold once the switch was on with what an audit taken after the switch and a sync cycle found.",
		"Not converged values need a look: a sync error for that user, the user outside sync scope, or the switch not yet in effect. Run verify-cloud again after the next sync cycle.",
		"Changed in AD since the plan: someone edited the number after the plan was made; the cloud now follows that new value, not the one the board saw.",
		"Unknown: no supported API reads AlternateMobilePhones since MSOnline was retired in 2025, so an audit from Graph alone cannot say what the cloud holds for otherMobile.",
		"The Post-change sheet lists every value that did not simply converge.",
	} {
		w.text(s)
	}
	return w.finish(46, 22, 18, 14)
}

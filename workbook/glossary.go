package workbook

import (
	"fmt"

	"github.com/xuri/excelize/v2"

	"syncgap/pipeline"
)

// glossaryEntry is one line of the Glossary: a value as the tables and
// sheets spell it, and one plain sentence.
type glossaryEntry struct {
	Topic, Value, Meaning string
}

// actionKinds are every plan kind, in the order the Glossary lists them.
var actionKinds = []pipeline.ActionKind{
	pipeline.KindWrite, pipeline.KindDecide, pipeline.KindAcknowledge, pipeline.KindReview, pipeline.KindRecord,
}

var (
	matchMeanings = map[pipeline.MatchStatus]string{
		pipeline.Matched:        "Exactly one AD user and one cloud user belong together, and no other cloud user claims that AD user.",
		pipeline.Ambiguous:      "Several AD users could be this cloud user, or several cloud users claim one AD user; syncgap never plans a change for it.",
		pipeline.AnchorConflict: "The sync anchor links the pair, but the cloud user's UPN names a different AD user; never planned.",
		pipeline.ADOnly:         "An AD user that no cloud user matches; the switch does not touch it.",
		pipeline.CloudOnly:      "A cloud user that is not synced from AD (or not marked as synced and matched by no rule); the switch does not touch it.",
		pipeline.OrphanedSynced: "A cloud user marked as synced from AD that no AD user matches.",
	}
	stateMeanings = map[pipeline.State]string{
		pipeline.InSync:         "Both sides hold the same text (for otherMobile, the same set of texts).",
		pipeline.FormatOnly:     "Both sides hold the same number, written differently.",
		pipeline.MissingInEntra: "AD has a number and the cloud is empty: the switch would add AD's number to the cloud.",
		pipeline.MissingInAD:    "The cloud has a number and AD is empty: the switch would delete the cloud's number.",
		pipeline.Mismatch:       "The two sides hold different numbers: the switch would replace the cloud's with AD's.",
		pipeline.Invalid:        "The texts differ and one of them is not a phone number.",
		pipeline.Unverifiable:   "The cloud's value cannot be read (no MSOnline or ADSyncTools export), so it cannot be compared: unknown, not in sync.",
		pipeline.NotApplicable:  "The row is not a matched pair, so nothing is compared.",
	}
	effectMeanings = map[pipeline.Effect]string{
		pipeline.ClearsCloud:     "Turning the switch on deletes a cloud value: data loss.",
		pipeline.OverwritesCloud: "Turning the switch on replaces a cloud value with AD's.",
		pipeline.FillsCloud:      "Turning the switch on writes AD's value where the cloud has none.",
		pipeline.ReformatsCloud:  "Turning the switch on rewrites the same number in AD's format.",
		pipeline.NoEffect:        "Turning the switch on changes nothing that is known.",
	}
	riskMeanings = map[pipeline.Risk]string{
		pipeline.RiskHigh:   "Data loss is possible, or a value is not a phone number: read these rows first.",
		pipeline.RiskMedium: "A value is replaced by another, or the outcome is not known.",
		pipeline.RiskLow:    "A value is added or only reformatted.",
		pipeline.RiskNone:   "Nothing changes.",
	}
	kindMeanings = map[pipeline.ActionKind]string{
		pipeline.KindWrite:       "A change to AD the policy proposes; approving it lets syncgap apply run it.",
		pipeline.KindDecide:      "A change to AD the policy leaves to the board: approving writes the proposed value, rejecting keeps AD's.",
		pipeline.KindAcknowledge: "A fact the board must accept before the switch (e.g. that the cloud's otherMobile cannot be read); nothing is written, and the switch cannot be approved without it.",
		pipeline.KindReview:      "A row never planned as a change (ambiguous, conflicting, invalid or unreadable); listed on Review with the reason.",
		pipeline.KindRecord:      "A cloud value the switch will replace or delete, kept on Review as a backup; nothing is written.",
	}
	timingMeanings = map[pipeline.Timing]string{
		pipeline.SyncPending:    "AD changed after the user's last sync: the difference may go away by itself.",
		pipeline.OverrideLikely: "AD has not changed since the last sync: someone probably edited the cloud value (a DirSyncOverride).",
		pipeline.SyncNotApplied: "The switch is already on, yet the values differ: look at sync errors or scoping.",
	}
	targetMeanings = map[pipeline.Target]string{
		pipeline.TargetAD:     "A change to an AD user, made with LDAP.",
		pipeline.TargetTenant: "The tenant switch BypassDirSyncOverrides itself, set through Microsoft Graph.",
		pipeline.TargetEntra:  "A cloud value the sync engine will change; syncgap never writes it.",
	}
	opMeanings = map[pipeline.Op]string{
		pipeline.OpReplace: "AD has values before and after the change.",
		pipeline.OpAdd:     "AD has no value before the change.",
		pipeline.OpDelete:  "AD has no value after the change: an AD value is deleted (red on the Plan sheet).",
	}
)

// glossary is every entry, topic by topic, in the order docs/tables.md lists
// the values.
func glossary() []glossaryEntry {
	var out []glossaryEntry
	add := func(topic, value, meaning string) {
		out = append(out, glossaryEntry{topic, value, meaning})
	}
	for _, o := range pipeline.CloudOutcomes {
		w := outcomeWords[o]
		add("Forecast outcome", string(o), w[0]+": "+w[1]+".")
	}
	add("Scenario", FlipNowTitle, "The switch is turned on without any change to AD (scenario flip_now).")
	add("Scenario", ApproveAllTitle, "Every Plan row is approved and applied first, then the switch is turned on (approve_all).")
	add("Scenario", AsDecidedTitle, "The Plan sheet's decisions as they stand, blank counting as not approved (as_decided); recalculated as you decide.")
	add("Decision", ApproveText, "Apply this row (or, on a group row, every row of the group that has no decision of its own).")
	add("Decision", RejectText, "Do not apply this row; AD keeps its value, which the switch then copies to the cloud.")
	add("Decision", "(blank)", "Not decided: counts as not approved, and nothing is applied.")
	add("Plan sheet", "Group row", "A blue row deciding a whole group (same kind, attribute, change and risk) at once; a row's own decision wins over it.")
	add("Plan sheet", deletesText, "Approving the row deletes an AD value; the switch then deletes it from the cloud too.")
	for _, k := range actionKinds {
		add("Kind of plan row", string(k), kindMeanings[k])
	}
	for _, r := range pipeline.Risks {
		add("Risk", string(r), riskMeanings[r])
	}
	for _, e := range pipeline.Effects {
		add("Effect (Gaps, Summary)", string(e), effectMeanings[e])
	}
	add("Effect (Gaps, Summary)", effectUnknown, "Nothing known changes, but the cloud's otherMobile cannot be read, so what the switch does to it is unknown.")
	for _, s := range pipeline.States {
		add("State of a value", string(s), stateMeanings[s])
	}
	for _, m := range pipeline.MatchStatuses {
		add("Match status", string(m), matchMeanings[m])
	}
	for _, t := range []pipeline.Timing{pipeline.SyncPending, pipeline.OverrideLikely, pipeline.SyncNotApplied} {
		add("Timing", string(t), timingMeanings[t])
	}
	for _, t := range []pipeline.Target{pipeline.TargetAD, pipeline.TargetTenant, pipeline.TargetEntra} {
		add("Target", string(t), targetMeanings[t])
	}
	for _, o := range []pipeline.Op{pipeline.OpReplace, pipeline.OpAdd, pipeline.OpDelete} {
		add("Op (change to AD)", string(o), opMeanings[o])
	}
	add("Value", "unknown", "The cloud's value cannot be read (Microsoft retired MSOnline, which could read AlternateMobilePhones); never counted as 0.")
	return out
}

// writeGlossary lays out the Glossary sheet.
func writeGlossary(f *excelize.File, st *styles) error {
	if _, err := f.NewSheet(GlossarySheet); err != nil {
		return err
	}
	set := func(ref, v string, style int) error {
		if err := f.SetCellStr(GlossarySheet, ref, v); err != nil {
			return err
		}
		return f.SetCellStyle(GlossarySheet, ref, ref, style)
	}
	for i, h := range []string{"Topic", "Value", "Meaning"} {
		ref, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := set(ref, h, st.header); err != nil {
			return err
		}
	}
	widths := []float64{24, 24, 100}
	entries := glossary()
	for i, e := range entries {
		n := i + 2
		lines := 1
		for j, v := range []string{e.Topic, e.Value, e.Meaning} {
			style := st.wrap
			if j == 1 {
				style = st.labelWrap
			}
			if err := set(fmt.Sprintf("%c%d", 'A'+j, n), v, style); err != nil {
				return err
			}
			lines = max(lines, textLines(v, widths[j]))
		}
		if lines > 1 {
			if err := f.SetRowHeight(GlossarySheet, n, float64(lines*lineHeight)); err != nil {
				return err
			}
		}
	}
	for i, w := range widths {
		col := string(rune('A' + i))
		if err := f.SetColWidth(GlossarySheet, col, col, w); err != nil {
			return err
		}
	}
	if err := f.SetPanes(GlossarySheet, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", Scope: GlossarySheet, RefersTo: quoteSheet(GlossarySheet) + "!$1:$1",
	}); err != nil {
		return err
	}
	if err := printOnePageWide(f, GlossarySheet); err != nil {
		return err
	}
	return f.ProtectSheet(GlossarySheet, &excelize.SheetProtectionOptions{
		FormatColumns: true, FormatRows: true, SelectLockedCells: true, SelectUnlockedCells: true,
	})
}

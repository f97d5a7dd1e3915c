package diff

import (
	"fmt"
	"io"
	"text/tabwriter"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// movesShown is how many moves of each field the terminal lists; the
// workbook lists them all.
const movesShown = 5

// WriteText prints the diff's counts for the terminal: the two
// snapshots, the totals in sentences, users by change kind, the most
// common verdict changes, and every user by effect before and after.
// Enum values are printed as the tables spell them, so a line can be
// looked up in diff.parquet.
func WriteText(w io.Writer, b *workbook.DiffBook) error {
	c := &b.Counts
	for _, s := range []struct {
		role string
		info workbook.DiffSnapshot
	}{{"Before", b.Before}, {"After ", b.After}} {
		ad, cloud := s.info.ReadTimes()
		fmt.Fprintf(w, "%s %s (snapshot %s; AD read %s, Entra ID read %s)\n", s.role,
			pipeline.TerminalText(s.info.Name), s.info.ID, ad, cloud)
	}
	fmt.Fprintln(w)
	for _, s := range workbook.DiffSentences(c) {
		fmt.Fprintln(w, s)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "CHANGE\tUSERS\t")
	for _, k := range pipeline.ChangeKinds {
		fmt.Fprintf(tw, "%s\t%d\t\n", k, c.ByKind[k])
	}
	fmt.Fprintf(tw, "unchanged\t%d\t\n", c.Unchanged())
	fmt.Fprintln(tw, "\t\t")
	fmt.Fprintln(tw, "EFFECT OF ENABLING BYPASS\tBEFORE\tAFTER\t")
	for _, e := range pipeline.Effects {
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", e, c.EffectBefore[e], c.EffectAfter[e])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANGED FROM\tTO\tUSERS")
	more := 0
	for _, field := range workbook.MoveFields {
		moves := c.MovesOf(field)
		for i, m := range moves {
			if i == movesShown {
				more += len(moves) - i
				break
			}
			fmt.Fprintf(tw, "%s %s\t%s\t%d\n", field, m.From, m.To, m.N)
		}
	}
	if len(c.Moves) == 0 {
		fmt.Fprintln(tw, "(no verdict changed)\t\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if more > 0 {
		_, err := fmt.Fprintf(w, "… and %d rarer changes (the workbook lists them all)\n", more)
		return err
	}
	return nil
}

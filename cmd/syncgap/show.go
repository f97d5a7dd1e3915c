package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/report"
)

func newShowCmd() *cobra.Command {
	var dir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show USER --snapshot DIR",
		Short: "Show one user: both sides, the verdict and why",
		Long: `show prints every joined row that concerns USER (a UPN, on-premises UPN,
sAMAccountName, DN or object id; any case): the AD and Entra ID values side by
side, the match, the state of mobile and otherMobile, what enabling
BypassDirSyncOverrides would do, and why. It is the offline equivalent of
Get-ADSyncToolsDirSyncOverridesUser -FromAD / -FromEntraID.

--json prints a JSON array instead, one {"joined": …, "gaps": …} object per
row, keyed by the column names of docs/tables.md, in ASCII (as export writes
JSON). A name that matches nobody gets the nearest UPN or sAMAccountName as a
"did you mean".`,
		Example: `  syncgap show john.smith@contoso.com --snapshot snap/
  syncgap show jsmith --snapshot snap/
  # PowerShell
  syncgap show jsmith --snapshot snap/ --json | ConvertFrom-Json | ForEach-Object { $_.gaps.effect }`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShow(cmd.OutOrStdout(), dir, args[0], asJSON)
		},
	}
	snapshotFlag(cmd, &dir)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (for PowerShell's ConvertFrom-Json) instead of text")
	return cmd
}

// runShow shows who from the snapshot dir once its tables are checked to
// be what classify and join wrote.
func runShow(w io.Writer, dir, who string, asJSON bool) error {
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return err
	}
	for _, t := range []string{pipeline.JoinedTable, pipeline.GapsTable} {
		if err := pipeline.CheckFresh(dir, m, pipeline.FileName(t)); err != nil {
			return err
		}
	}
	n, near, err := report.Show(w, dir, who, asJSON)
	if err != nil {
		return err
	}
	if n == 0 {
		hint := ""
		if near != "" {
			hint = fmt.Sprintf("; did you mean %s?", near)
		}
		return fmt.Errorf("no user %q in %s (searched UPN, on-premises UPN, sAMAccountName, DN and object id)%s", who, dir, hint)
	}
	return nil
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"syncgap/stages/report"
)

func newShowCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "show USER --snapshot DIR",
		Short: "Show one user: both sides, the verdict and why",
		Long: `show prints every joined row that concerns USER (a UPN, on-premises UPN,
sAMAccountName, DN or object id; any case): the AD and Entra ID values side by
side, the match, the state of mobile and otherMobile, what enabling
BypassDirSyncOverrides would do, and why. It is the offline equivalent of
Get-ADSyncToolsDirSyncOverridesUser -FromAD / -FromEntraID.`,
		Example: `  syncgap show john.smith@contoso.com --snapshot snap/
  syncgap show jsmith --snapshot snap/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := report.Show(cmd.OutOrStdout(), dir, args[0])
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("no user %q in %s (searched UPN, on-premises UPN, sAMAccountName, DN and object id)", args[0], dir)
			}
			return nil
		},
	}
	snapshotFlag(cmd, &dir)
	return cmd
}

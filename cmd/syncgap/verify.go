package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/apply"
)

func newVerifyCmd() *cobra.Command {
	var dir string
	var approveAll bool
	var ldapF *ldapFlags
	cmd := &cobra.Command{
		Use:   "verify --snapshot DIR --ldap URL [bind options]",
		Short: "Re-read the users apply touched and compare with what they should hold",
		Long: `verify reads back, for every approved action apply journaled, the attribute
from AD and writes verify.parquet: the value the directory should hold (the
new value where applied; what apply found where it drifted or failed) against
what it holds now. It exits 5 when any differs.` + verifyBindHelp,
		Example: `  syncgap verify --snapshot snap/ --ldap ldaps://dc01.contoso.com --bind-dn svc-syncgap@contoso.com --password-env SYNCGAP_PW`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ldapF.url == "" {
				return errors.New("verify needs --ldap URL (and the bind options)")
			}
			conn, err := ldapF.config()
			if err != nil {
				return err
			}
			return runVerify(cmd.Context(), cmd.OutOrStdout(), dir, apply.VerifyConfig{LDAP: conn, ApproveAll: approveAll || appliedWithApproveAll(dir)})
		},
	}
	snapshotFlag(cmd, &dir)
	ldapF = addLDAPFlags(cmd)
	cmd.Flags().BoolVar(&approveAll, "approve-all", false, "the apply ran with --approve-all (read from the manifest when apply recorded it)")
	return cmd
}

// appliedWithApproveAll tells whether the snapshot's recorded apply ran
// with --approve-all: verify then checks the same actions without being told.
func appliedWithApproveAll(dir string) bool {
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return false
	}
	rec := m.Stage("apply")
	return rec != nil && rec.Parameters["approve_all"] == "true"
}

func runVerify(ctx context.Context, w io.Writer, dir string, cfg apply.VerifyConfig) error {
	logOf(ctx).writesTo(dir)
	s, err := apply.RunVerify(ctx, dir, cfg)
	if err != nil && !errors.Is(err, pipeline.ErrDirectoryDiffers) {
		return err
	}
	fmt.Fprintf(w, "Verified %d actions: %d differ from what they should hold\nWrote %s\n",
		s.Checked, s.Differ, filepath.Join(dir, pipeline.FileName(pipeline.VerifyTable)))
	return err
}

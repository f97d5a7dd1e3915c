package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/afterflip"
	"syncgap/workbook"
)

func newRestorePlanCmd() *cobra.Command {
	var from, after, out string
	cmd := &cobra.Command{
		Use:   "restore-plan --from BEFORE --snapshot AFTER --out RESTOREDIR",
		Short: "Plan writing back into AD the cloud values the switch overwrote",
		Long: `Once BypassDirSyncOverridesEnabled is on, AD wins: turning it off again does
not bring back the cloud values it overwrote or cleared, and the snapshot
taken before the flip is the only record of them. restore-plan reads that
snapshot (BEFORE: the one the plan was made in) and an audit taken after the
flip (AFTER), and writes into a new snapshot a plan with one write per value
the forecast said the switch would clear or replace: the value the cloud held
before, into AD, expecting what AD holds in AFTER (compare-and-swap, so a
value someone changed since is left alone). The next sync copies each
restored value to the cloud.

The forecast followed is as_decided when the board's approvals were read into
BEFORE, else approve_all. Values whose cloud side was unknown before the flip
(AlternateMobilePhones without an MSOnline export) cannot be restored and are
counted. The plan goes through the usual workbook, approve and apply.`,
		Example: `  syncgap restore-plan --from snap/ --snapshot snap-after/ --out snap-restore/
  syncgap approve --snapshot snap-restore/ --workbook restore-signed.xlsx
  syncgap apply --snapshot snap-restore/ --ldap ldaps://dc01.contoso.com --kerberos --execute`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRestorePlan(cmd.Context(), cmd.OutOrStdout(), from, after, out)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the snapshot the plan was made in, before the flip (required)")
	cmd.MarkFlagRequired("from")
	snapshotFlag(cmd, &after)
	cmd.Flags().Lookup("snapshot").Usage = "an audit taken after the flip (required)"
	cmd.Flags().StringVar(&out, "out", "", "new snapshot directory for the restore plan (required)")
	cmd.MarkFlagRequired("out")
	return cmd
}

func runRestorePlan(ctx context.Context, w io.Writer, from, after, out string) error {
	m, err := pipeline.LoadManifest(from)
	if err != nil {
		return err
	}
	if m.Stage("plan") == nil {
		return fmt.Errorf("%s has no plan, so no forecast of what the switch overwrote: give the snapshot the plan was made in", from)
	}
	cfg := afterflip.RestoreConfig{Scenario: pipeline.ApproveAll}
	if m.Stage("approve") != nil {
		cfg.Scenario = pipeline.AsDecided
	}
	if cfg.From, err = filepath.Abs(from); err != nil {
		return err
	}
	if cfg.After, err = filepath.Abs(after); err != nil {
		return err
	}
	s, err := runInNewSnapshot(ctx, out, false, afterflip.RestoreStage, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Restore plan %s: %d writes put back cloud values the switch overwrote (forecast %s)\n", s.Hash, s.Write, cfg.Scenario)
	fmt.Fprintf(w, "  not restored: %d changed in AD since the plan, %d unknown before the flip, %d users gone\n", s.RestoreChangedSince, s.RestoreUnknown, s.RestoreMissing)
	fmt.Fprintf(w, "Workbook: %s\nNext: sign it, then syncgap approve --snapshot %q --workbook …\n", filepath.Join(out, workbook.File), out)
	return nil
}

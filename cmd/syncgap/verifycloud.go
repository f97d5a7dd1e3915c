package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/afterflip"
)

func newVerifyCloudCmd() *cobra.Command {
	var dir, after string
	cmd := &cobra.Command{
		Use:   "verify-cloud --snapshot BEFORE --after AFTER",
		Short: "Check after the flip that the cloud holds what the forecast said",
		Long: `verify-cloud compares the forecast of the snapshot BEFORE (the one the plan,
the board's decisions and the apply were made in) with AFTER, an audit taken
after BypassDirSyncOverridesEnabled was enabled and a sync cycle ran. Sync
reports success whether or not a user's values converged; this says it value
by value, in verify_cloud.parquet inside BEFORE:

  converged      the cloud holds what the forecast said
  not_converged  the cloud still differs: a sync error, the user out of sync
                 scope, or the flag not yet in effect
  changed_since  AD changed after the plan, so the forecast no longer applies
  unknown        AFTER cannot read the value (AlternateMobilePhones without an
                 MSOnline export)
  missing        the user is gone from AD or from the cloud in AFTER

The forecast checked is as_decided when the board's approvals were read into
BEFORE, else approve_all. AFTER is read, never written. An AFTER whose tenant
flag is off is refused: nothing was flipped, or it was audited too early.
It exits 5 when any value did not converge (not_converged or missing).`,
		Example: `  syncgap audit --ldif ad-after.ldif --export graph-after/ --tenant-features features-after.json --out snap-after/
  syncgap verify-cloud --snapshot snap/ --after snap-after/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerifyCloud(cmd.Context(), cmd.OutOrStdout(), dir, after)
		},
	}
	snapshotFlag(cmd, &dir)
	cmd.Flags().StringVar(&after, "after", "", "the snapshot of an audit taken after the flip and a sync cycle (required)")
	cmd.MarkFlagRequired("after")
	return cmd
}

func runVerifyCloud(ctx context.Context, w io.Writer, dir, after string) error {
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return err
	}
	cfg := afterflip.Config{After: after, Scenario: pipeline.ApproveAll}
	if m.Stage("approve") != nil {
		cfg.Scenario = pipeline.AsDecided
	}
	if m.Stage("plan") == nil {
		return fmt.Errorf("%s has no plan, so no forecast to check: give the snapshot the plan and apply were made in", dir)
	}
	s, err := runStage(ctx, pipeline.NewRunner(dir), afterflip.VerifyStage, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Cloud after the flip, against the %s forecast (%s):\n", cfg.Scenario, filepath.Join(dir, pipeline.FileName(pipeline.VerifyCloudTable)))
	fmt.Fprintf(w, "  converged %d, not converged %d, missing %d, changed in AD since the plan %d, unknown %d\n",
		s.Converged, s.NotConverged, s.Missing, s.ChangedSince, s.Unknown)
	if s.Flag != "on" {
		fmt.Fprintln(w, "  note: AFTER does not say whether BypassDirSyncOverridesEnabled is on (no tenant features were read): values that did not converge may only mean the flag is off")
	}
	if s.Failed() > 0 {
		return fmt.Errorf("%d cloud values did not converge: see %s: %w", s.Failed(), pipeline.FileName(pipeline.VerifyCloudTable), pipeline.ErrDirectoryDiffers)
	}
	return nil
}

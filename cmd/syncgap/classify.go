package main

import (
	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/classify"
)

func newClassifyCmd() *cobra.Command {
	var dir string
	var cfg classify.Config
	cmd := &cobra.Command{
		Use:   "classify --snapshot DIR [--default-region CC]",
		Short: "Compare mobile and otherMobile per user and grade what enabling bypass would do",
		Long: `classify reads joined.parquet and tenant.parquet and writes gaps.parquet:
per user the mobile_state and other_mobile_state (in_sync, format_only,
missing_in_entra, missing_in_ad, mismatch, invalid, unverifiable,
not_applicable), the effect of enabling BypassDirSyncOverrides, a risk and a
reason. National-format numbers take the user's region from AD c, else the
cloud usageLocation, else --default-region (docs/rules.md, "Classify").`,
		Example: `  syncgap classify --snapshot snap/ --default-region GB`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := runStage(cmd.Context(), pipeline.NewRunner(dir), classify.Stage, cfg)
			return err
		},
	}
	snapshotFlag(cmd, &dir)
	regionFlag(cmd, &cfg.DefaultRegion)
	return cmd
}

func regionFlag(cmd *cobra.Command, region *string) {
	cmd.Flags().StringVar(region, "default-region", "", "ISO 3166 region for national numbers of users with no region (e.g. US, GB)")
}

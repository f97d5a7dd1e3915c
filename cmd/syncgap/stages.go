package main

import (
	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/classify"
	"syncgap/stages/join"
	"syncgap/stages/plan"
	"syncgap/stages/report"
)

// replayable lists the stages replay can run again from saved tables, in pipeline order.
func replayable() []pipeline.Stage {
	return []pipeline.Stage{join.Stage(), classify.Stage(), report.Stage(), plan.Stage()}
}

func snapshotFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "snapshot", "", "snapshot directory (required)")
	cmd.MarkFlagRequired("snapshot")
}

func newJoinCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "join --snapshot DIR",
		Short: "Pair cloud users with AD users (sourceAnchor, on-premises UPN, UPN)",
		Long: `join reads ad_users.parquet and entra_users.parquet and writes joined.parquet:
one row per matched pair and one per unmatched user on either side, with
match_status matched, ambiguous, anchor_conflict, ad_only, cloud_only or
orphaned_synced.`,
		Example: `  syncgap join --snapshot snap/`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := runStage(cmd.Context(), dir, join.Stage(), nil)
			return err
		},
	}
	snapshotFlag(cmd, &dir)
	return cmd
}

func newClassifyCmd() *cobra.Command {
	var dir, region string
	cmd := &cobra.Command{
		Use:   "classify --snapshot DIR [--default-region CC]",
		Short: "Compare mobile and otherMobile per user and grade what enabling bypass would do",
		Long: `classify reads joined.parquet and tenant.parquet and writes gaps.parquet:
per user the mobile_state and other_mobile_state (in_sync, format_only,
missing_in_entra, missing_in_ad, mismatch, invalid, unverifiable,
not_applicable), the effect of enabling BypassDirSyncOverrides, a risk and a
reason. National-format numbers take the user's region from AD c, else the
cloud usageLocation, else --default-region.`,
		Example: `  syncgap classify --snapshot snap/ --default-region GB`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := runStage(cmd.Context(), dir, classify.Stage(), classifyParams(region))
			return err
		},
	}
	snapshotFlag(cmd, &dir)
	cmd.Flags().StringVar(&region, "default-region", "", "ISO 3166 region for national numbers of users with no region (e.g. US, GB)")
	return cmd
}

func classifyParams(region string) map[string]string {
	p := map[string]string{}
	if region != "" {
		p[classify.ParamDefaultRegion] = region
	}
	return p
}

func newReportCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "report --snapshot DIR",
		Short:   "Write the audit workbook report.xlsx from a classified snapshot",
		Example: `  syncgap report --snapshot snap/`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := runStage(cmd.Context(), dir, report.Stage(), nil); err != nil {
				return err
			}
			return printSummary(cmd, dir)
		},
	}
	snapshotFlag(cmd, &dir)
	return cmd
}

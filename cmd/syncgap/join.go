package main

import (
	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/join"
)

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
orphaned_synced (docs/rules.md, "Join").`,
		Example: `  syncgap join --snapshot snap/`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := runStage(cmd.Context(), pipeline.NewRunner(dir), join.Stage, join.Config{})
			return err
		},
	}
	snapshotFlag(cmd, &dir)
	return cmd
}

package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/approve"
)

func newApproveCmd() *cobra.Command {
	var dir string
	var cfg approve.Config
	cmd := &cobra.Command{
		Use:   "approve --snapshot DIR --workbook signed.xlsx",
		Short: "Read the signed change-board workbook into approvals.parquet",
		Long: `approve reads the Decision column of the Plan sheet(s) and the Sign-off
sheet of a workbook the change board filled in (in Excel, LibreOffice or
any other program) and writes approvals.parquet: action id, decision,
approver, comment and the workbook's SHA-256.

It refuses, naming the sheet and cell: a plan hash that is not this
snapshot's plan, an action id that is unknown or given twice, a decision
other than Approve or Reject, a missing approver. Rows left empty stay
undecided and are not applied.`,
		Example: `  syncgap approve --snapshot snap/ --workbook "plan signed 2026-11-23.xlsx"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runApprove(cmd.Context(), cmd.OutOrStdout(), dir, cfg)
		},
	}
	snapshotFlag(cmd, &dir)
	cmd.Flags().StringVar(&cfg.Workbook, "workbook", "", "the signed workbook (required)")
	cmd.Flags().BoolVar(&cfg.Replace, "replace", false, "read a new signed workbook over existing approvals")
	cmd.MarkFlagRequired("workbook")
	return cmd
}

func runApprove(ctx context.Context, w io.Writer, dir string, cfg approve.Config) error {
	s, err := runStage(ctx, pipeline.NewRunner(dir), approve.Stage, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Approvals for plan %s signed by %s and %s: %d approved, %d rejected, %d undecided\nWrote %s\n",
		s.PlanHash, s.Approver, s.SecondApprover, s.Approved, s.Rejected, s.Undecided,
		filepath.Join(dir, pipeline.FileName(pipeline.ApprovalsTable)))
	if s.ByGroup > 0 {
		fmt.Fprintf(w, "  %d of the decisions came from group rows\n", s.ByGroup)
	}
	fmt.Fprintf(w, "As decided, the switch would: lose %d cloud values, change %d, fill %d, reformat %d, clean %d; %d unchanged; %d unknown\n",
		s.Lost, s.Changed, s.Filled, s.Reformatted, s.Cleaned, s.Unchanged, s.Unknown)
	return nil
}

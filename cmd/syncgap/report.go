package main

import (
	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/report"
)

func newReportCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "report --snapshot DIR",
		Short:   "Write the audit workbook report.xlsx from a classified snapshot",
		Example: `  syncgap report --snapshot snap/`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := runStage(cmd.Context(), pipeline.NewRunner(dir), report.Stage, report.Config{}); err != nil {
				return err
			}
			return printSummary(cmd.OutOrStdout(), dir)
		},
	}
	snapshotFlag(cmd, &dir)
	return cmd
}

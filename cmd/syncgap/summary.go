package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"syncgap/stages/report"
)

// printSummary prints the counts of a classified snapshot and where its files are.
func printSummary(cmd *cobra.Command, dir string) error {
	s, err := report.Summarize(dir)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if err := s.WriteText(out); err != nil {
		return err
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(out, "\nSnapshot: %s (manifest.json, *.parquet)\nReport:   %s\n", abs, filepath.Join(abs, report.WorkbookFile))
	return nil
}

package main

import (
	"fmt"
	"io"
	"path/filepath"

	"syncgap/stages/report"
	"syncgap/workbook"
)

// printSummary prints the counts of a classified snapshot and where its files are.
func printSummary(out io.Writer, dir string) error {
	s, err := report.Summarize(dir)
	if err != nil {
		return err
	}
	if err := s.WriteText(out); err != nil {
		return err
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(out, "\nSnapshot: %s (manifest.json, *.parquet)\nReport:   %s\n", abs, filepath.Join(abs, workbook.File))
	return nil
}

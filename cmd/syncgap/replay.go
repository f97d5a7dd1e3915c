package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/classify"
	"syncgap/stages/join"
	"syncgap/stages/plan"
	"syncgap/stages/report"
)

// replayable lists the stages replay can run again from saved tables, in
// pipeline order; every other stage's outputs are checked in place.
var replayable = []pipeline.Replayer{join.Stage, classify.Stage, report.Stage, plan.Stage}

func newReplayCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "replay SNAPDIR",
		Short: "Re-run every stage after extraction from the saved tables and compare hashes",
		Long: `replay re-runs join, classify and report from the snapshot's saved extraction
tables with the parameters recorded in manifest.json, in a scratch directory
(the snapshot is not modified), and reports table by table whether each
output's SHA-256 matches the manifest. It also checks that the saved
extraction tables still have their recorded hashes. Exit status 3 when
anything differs or is missing.`,
		Example: `  syncgap replay snap/
  cp -r snap/ /archive/2026-11-snap && syncgap replay /archive/2026-11-snap`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			checks, err := pipeline.Replay(cmd.Context(), args[0], replayable)
			if len(checks) == 0 && err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STAGE\tFILE\tRESULT\tSHA-256 (recorded)\tSHA-256 (now)")
			bad := 0
			for _, c := range checks {
				verdict := string(c.Status)
				if c.Saved {
					verdict += " (saved input)"
				}
				if c.Status == pipeline.ReplayDiffers || c.Status == pipeline.ReplayMissing {
					bad++
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Stage, c.File, verdict, hashOrDash(c.Want), hashOrDash(c.Got))
			}
			tw.Flush()
			if err != nil {
				return err
			}
			if bad > 0 {
				return fmt.Errorf("replay: %d of %d files differ from the manifest: %w", bad, len(checks), pipeline.ErrReplayDiffers)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "replay: all %d files match the manifest\n", len(checks))
			return nil
		},
	}
}

func hashOrDash(sum string) string {
	if sum == "" {
		return "-"
	}
	return pipeline.ShortHash(sum)
}

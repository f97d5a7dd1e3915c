package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/apply"
	"syncgap/workbook"
)

func newRollbackCmd() *cobra.Command {
	var dir, out string
	cmd := &cobra.Command{
		Use:   "rollback --snapshot DIR --out ROLLBACKDIR",
		Short: "Build a reverse plan from an apply's journal, to approve and apply like any plan",
		Long: `rollback reads the snapshot's apply journal and writes, into a new
snapshot directory, a plan that restores the value every applied action
replaced: plan.parquet, report.xlsx (for the change board) and changes.ldif.
Each reverse action is itself compare-and-swap: it expects the value apply
wrote, so it refuses to undo over a later change. Approve and apply it with
the usual commands on ROLLBACKDIR.`,
		Example: `  syncgap rollback --snapshot snap/ --out snap-rollback/
  syncgap approve --snapshot snap-rollback/ --workbook rollback-signed.xlsx
  syncgap apply --snapshot snap-rollback/ --ldap ldaps://dc01.contoso.com … --execute`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			return runRollback(cmd.Context(), cmd.OutOrStdout(), out, apply.RollbackConfig{Source: src})
		},
	}
	snapshotFlag(cmd, &dir)
	cmd.Flags().StringVar(&out, "out", "", "new snapshot directory for the reverse plan (required)")
	cmd.MarkFlagRequired("out")
	return cmd
}

func runRollback(ctx context.Context, w io.Writer, out string, cfg apply.RollbackConfig) error {
	if entries, err := filepath.Glob(filepath.Join(out, "*")); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s already holds files: choose a new directory for the reverse plan", out)
	}
	s, err := runStage(ctx, pipeline.NewRunner(out), apply.RollbackStage, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Reverse plan %s: %d actions restore the values applied in %s\nWorkbook: %s\nNext: sign it, then syncgap approve --snapshot %s --workbook …\n",
		s.Hash, s.Write, cfg.Source, filepath.Join(out, workbook.File), argText(out))
	return nil
}

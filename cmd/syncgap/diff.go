package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/diff"
	"syncgap/workbook"
)

// diffConfig is a diff: the two snapshots and, optionally, the snapshot
// to write.
type diffConfig struct {
	before, after string
	out           string
	replace       bool
}

func newDiffCmd() *cobra.Command {
	var cfg diffConfig
	cmd := &cobra.Command{
		Use:   "diff BEFORE AFTER [--out DIR]",
		Short: "Compare two audits: per user, what changed in AD, in the cloud and in the verdict",
		Long: `diff compares two audited snapshots user by user, for example this week's
audit with last week's while a remediation runs. Users are paired by cloud
object id, then by DN, then by UPN, and for each it tells what changed: the
AD value, the cloud value (mobile and otherMobile), the verdict (mobile and
otherMobile state, what enabling BypassDirSyncOverridesEnabled would do), the
match, the UPN, the DN or the cloud account; and which users appeared or
disappeared. It prints a summary: users by kind of change, the most common
verdict changes, and every user by effect of enabling bypass, before and after.

BEFORE and AFTER are snapshot directories syncgap audit wrote; they are read,
never written. Without --out only the summary is printed and nothing is
written. With --out DIR, DIR becomes a new snapshot holding diff.parquet (one
row per user that changed, appeared or disappeared; docs/tables.md, "diff")
and diff.xlsx (a Summary in plain words and a Changes sheet, for the change
board; nothing in it is approved). DIR must be new or empty, or with --replace
an earlier syncgap snapshot; it appears only when the diff succeeded.

diff is a report, not a check: it exits 0 whatever changed, and 1 on an error
(a path that is no audited snapshot, a stale one, a DIR that is refused).`,
		Example: `  # this week against last week: the summary only
  syncgap diff snap-2026-11-24 snap-2026-12-01

  # the same, with diff.parquet and the workbook for the change board
  syncgap diff snap-2026-11-24 snap-2026-12-01 --out drift-week48

  # who had an AD number edited, with DuckDB
  duckdb -c "select upn, before_mobile_ad, after_mobile_ad from 'drift-week48/diff.parquet'
             where list_contains(changes, 'ad_changed')"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.before, cfg.after = args[0], args[1]
			return runDiff(cmd.Context(), cmd.OutOrStdout(), cfg)
		},
	}
	cmd.Flags().StringVar(&cfg.out, "out", "", "new snapshot directory for diff.parquet and diff.xlsx (default: print the summary only)")
	cmd.Flags().BoolVar(&cfg.replace, "replace", false, "replace an existing snapshot directory given as --out")
	return cmd
}

// runDiff compares the two snapshots and prints the summary; with an out
// directory, it writes the diff's snapshot in a transaction first.
func runDiff(ctx context.Context, w io.Writer, cfg diffConfig) error {
	if cfg.out == "" {
		if cfg.replace {
			return fmt.Errorf("--replace needs --out: without it nothing is written")
		}
		d, err := diff.Load(ctx, cfg.before, cfg.after)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := diff.WriteText(w, d.Book()); err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, "\nNothing was written: give --out DIR for diff.parquet and the workbook.")
		return err
	}
	if err := diff.CheckOut(cfg.out, cfg.before, cfg.after); err != nil {
		return err
	}
	var st diff.Config
	var err error
	if st.Before, err = filepath.Abs(cfg.before); err != nil {
		return err
	}
	if st.After, err = filepath.Abs(cfg.after); err != nil {
		return err
	}
	s, err := runInNewSnapshot(ctx, cfg.out, cfg.replace, diff.Stage, st)
	if err != nil {
		return err
	}
	if err := diff.WriteText(w, s.Book); err != nil {
		return err
	}
	abs, _ := filepath.Abs(cfg.out)
	_, err = fmt.Fprintf(w, "\nTable:    %s\nWorkbook: %s\n", filepath.Join(abs, pipeline.FileName(pipeline.DiffTable)), filepath.Join(abs, workbook.DiffFile))
	return err
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
)

// exportConfig is what export was asked for.
type exportConfig struct {
	dir, table, out string
	format          pipeline.ExportFormat
	replace         bool
}

func newExportCmd() *cobra.Command {
	var cfg exportConfig
	var format string
	cmd := &cobra.Command{
		Use:   "export --snapshot DIR --table TABLE [--format csv|json] [--out FILE]",
		Short: "Write one table of a snapshot as CSV or JSON, for Excel and PowerShell",
		Long: `export writes one table of the snapshot (gaps, plan, forecast, joined, or any
other table the snapshot holds) as text, every row and column as docs/tables.md
describes them, once the table is checked to be exactly what the stage that
wrote it recorded.

CSV (the default) is UTF-8 with a byte order mark and CRLF line ends, which
Excel and Windows PowerShell 5.1's Import-Csv read correctly. The gaps export
starts with the columns of ADSyncTools' Compare-ADSyncToolsDirSyncOverrides
CSV (UserPrincipalName, MobileInAD, MobileInEntra), so scripts written for
that file read this one. A list (otherMobile) is joined with ";"; an unknown
value (null) is an empty cell. A cell that a spreadsheet would run as a formula
(=, +, -, @ first) gets a leading apostrophe, except phone numbers.

JSON is an array of objects, one a line, in ASCII (other characters as \u
escapes), so any reader gets the same text whatever encoding it assumes;
unknown values are null and lists are arrays.

Without --out the table goes to standard output. --out names a new file
outside the snapshot; an existing file is replaced only with --replace.`,
		Example: `  syncgap export --snapshot snap/ --table gaps --out gaps.csv
  # PowerShell
  Import-Csv gaps.csv | Where-Object MobileInAD -ne $_.MobileInEntra
  syncgap export --snapshot snap/ --table plan --format json --out plan.json
  Get-Content plan.json -Raw | ConvertFrom-Json | Group-Object kind`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.format = pipeline.ExportFormat(strings.ToLower(format))
			return runExport(cmd.Context(), cmd.OutOrStdout(), cfg)
		},
	}
	snapshotFlag(cmd, &cfg.dir)
	cmd.Flags().StringVar(&cfg.table, "table", "", "the table: gaps, plan, forecast, joined, … (required)")
	cmd.MarkFlagRequired("table")
	cmd.Flags().StringVar(&format, "format", string(pipeline.ExportCSV), "csv or json")
	cmd.Flags().StringVar(&cfg.out, "out", "", "write to this file instead of standard output")
	cmd.Flags().BoolVar(&cfg.replace, "replace", false, "replace an existing --out file")
	return cmd
}

// runExport checks the table and writes it to w or cfg.out.
func runExport(_ context.Context, w io.Writer, cfg exportConfig) error {
	if cfg.format != pipeline.ExportCSV && cfg.format != pipeline.ExportJSON {
		return fmt.Errorf("--format %q: csv or json", cfg.format)
	}
	m, err := pipeline.LoadManifest(cfg.dir)
	if err != nil {
		return err
	}
	if len(m.Stages) == 0 {
		return fmt.Errorf("%s: not a syncgap snapshot (no manifest.json): give the directory an audit wrote", cfg.dir)
	}
	table := strings.TrimSuffix(strings.ToLower(cfg.table), ".parquet")
	file := pipeline.FileName(table)
	if _, o := m.Output(file); o == nil {
		return unknownTable(cfg.dir, m, table)
	}
	if err := pipeline.CheckFresh(cfg.dir, m, file); err != nil {
		return err
	}
	var lead []pipeline.LeadColumn
	if table == pipeline.GapsTable {
		lead = pipeline.CompareColumns
	}
	src := filepath.Join(cfg.dir, file)
	if cfg.out == "" {
		_, err := pipeline.ExportTable(w, src, cfg.format, lead)
		return err
	}
	if err := checkExportOut(cfg); err != nil {
		return err
	}
	af, err := pipeline.CreateAtomic(cfg.out)
	if err != nil {
		return err
	}
	defer af.Abort()
	n, err := pipeline.ExportTable(af, src, cfg.format, lead)
	if err != nil {
		return err
	}
	if err := af.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(w, "Wrote %d rows of %s to %s\n", n, table, cfg.out)
	return nil
}

// unknownTable names the tables the snapshot has, and the nearest one.
func unknownTable(dir string, m *pipeline.Manifest, table string) error {
	var tables []string
	for _, s := range m.Stages {
		for _, o := range s.Outputs {
			if t, ok := strings.CutSuffix(o.File, ".parquet"); ok {
				tables = append(tables, t)
			}
		}
	}
	slices.Sort(tables)
	tables = slices.Compact(tables)
	hint := ""
	if c := closest(table, tables); c != "" {
		hint = fmt.Sprintf("did you mean %q? ", c)
	}
	return fmt.Errorf("%s holds no table %q: %sits tables: %s", dir, table, hint, strings.Join(tables, ", "))
}

// checkExportOut refuses an --out inside the snapshot (syncgap writes there
// only what its stages own) and an existing file without --replace.
func checkExportOut(cfg exportConfig) error {
	snap, err := filepath.Abs(cfg.dir)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(cfg.out)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(snap, filepath.Dir(out)); err == nil && !strings.HasPrefix(rel, "..") {
		return fmt.Errorf("--out %s is inside the snapshot: write the export elsewhere (the snapshot holds only what its stages wrote)", cfg.out)
	}
	fi, err := os.Stat(cfg.out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("--out %s is %s, not a file", cfg.out, pipeline.FileKind(fi.Mode()))
	case !cfg.replace:
		return fmt.Errorf("--out %s already exists: choose another name, or pass --replace", cfg.out)
	}
	return nil
}

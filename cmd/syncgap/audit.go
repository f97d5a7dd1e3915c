package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/classify"
	"syncgap/stages/join"
	"syncgap/stages/report"
)

func newAuditCmd() *cobra.Command {
	var features, out, region string
	var src *adSourceFlags
	var replace bool
	var exports []string
	var g graphFlags
	cmd := &cobra.Command{
		Use:   "audit (--ldif FILE | --ldap URL --base DN) (--export PATH… [--tenant-features FILE] | --graph SIGN-IN [--export CSV]) --out SNAPDIR",
		Short: "Run the whole offline audit: extract, join, classify, report",
		Long: `audit runs extract-ad, extract-entra, join, classify and report into one
snapshot directory, then prints a summary: users per match status and gap
state, and what enabling BypassDirSyncOverridesEnabled would clear, overwrite
or fill. Nothing is written to AD or Entra ID. The AD side comes from an LDIF
export or, with --ldap, live from a domain controller (see extract-ad --help);
the Entra side from export files or, with --graph, live from Microsoft Graph
(see extract-entra --help).`,
		Example: `  syncgap audit --ldif ad.ldif --export graph-pages/ --export msol.csv \
      --tenant-features features.json --out snap/
  syncgap audit --ldif ad.ldif --export users.csv --default-region GB --out snap/
  syncgap audit --ldif ad.ldif --graph --tenant-id contoso.onmicrosoft.com --device-code \
      --export msol.csv --out snap/
  syncgap audit --ldap ldaps://dc01.contoso.com --base "DC=contoso,DC=com" \
      --bind-dn svc-syncgap@contoso.com --password-file ~/.syncgap-pw \
      --export graph-pages/ --export msol.csv --out snap/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			entra, entraParams, err := entraSource(&g, cmd.Flags(), exports, features)
			if err != nil {
				return err
			}
			adStage, adParams, err := src.stage(cmd)
			if err != nil {
				return err
			}
			steps := []struct {
				st     pipeline.Stage
				params map[string]string
			}{
				{adStage, adParams},
				{entra, entraParams},
				{join.Stage(), nil},
				{classify.Stage(), classifyParams(region)},
				{report.Stage(), nil},
			}
			// Stages run in a scratch directory beside out that replaces out
			// only when all of them succeed: a bad input leaves nothing behind.
			scratch, err := newScratch(out, replace)
			if err != nil {
				return err
			}
			defer os.RemoveAll(scratch)
			for _, s := range steps {
				if _, err := runStage(cmd.Context(), scratch, s.st, s.params); err != nil {
					return err
				}
			}
			if err := commitScratch(scratch, out); err != nil {
				return err
			}
			return printSummary(cmd, out)
		},
	}
	src = addADSourceFlags(cmd)
	cmd.Flags().StringArrayVar(&exports, "export", nil, "Entra export file or directory (repeatable; required without --graph)")
	cmd.Flags().StringVar(&features, "tenant-features", "", "JSON of GET /directory/onPremisesSynchronization")
	cmd.Flags().StringVar(&region, "default-region", "", "ISO 3166 region for national numbers of users with no region")
	cmd.Flags().StringVar(&out, "out", "", "snapshot directory to write (required)")
	cmd.Flags().BoolVar(&replace, "replace", false, "replace an existing snapshot directory (by default audit refuses to overwrite one)")
	g.register(cmd.Flags())
	cmd.MarkFlagRequired("out")
	return cmd
}

// newScratch makes the directory audit works in, beside out so the final
// rename stays on one file system. An existing non-empty out is refused
// unless replace: a snapshot is evidence and is not overwritten by accident.
func newScratch(out string, replace bool) (string, error) {
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 && !replace {
		return "", fmt.Errorf("%s already holds files: choose a new snapshot directory, or pass --replace", out)
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(out))+".tmp-")
}

// commitScratch puts the finished snapshot in place of out.
func commitScratch(scratch, out string) error {
	out = filepath.Clean(out)
	old := ""
	if _, err := os.Stat(out); err == nil {
		old = scratch + ".old"
		if err := os.Rename(out, old); err != nil {
			return fmt.Errorf("replace %s: %w", out, err)
		}
	}
	if err := os.Rename(scratch, out); err != nil {
		if old != "" {
			os.Rename(old, out)
		}
		return fmt.Errorf("move snapshot into %s: %w", out, err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/classify"
	"syncgap/stages/join"
	"syncgap/stages/report"
)

// auditConfig is an audit: the two extraction stages the flags chose, the
// classify options, and the snapshot to write.
type auditConfig struct {
	ad, entra pipeline.Stage
	classify  classify.Config
	out       string
	replace   bool
}

func newAuditCmd() *cobra.Command {
	var features string
	var cfg auditConfig
	var src *adSourceFlags
	var exports []string
	var g graphFlags
	cmd := &cobra.Command{
		Use:   "audit (--ldif FILE | --ldap URL [--base DN]) (--export PATH… [--tenant-features FILE] | --graph SIGN-IN [--export CSV]) --out SNAPDIR",
		Short: "Run the whole offline audit: extract, join, classify, report",
		Long: `audit runs extract-ad, extract-entra, join, classify and report into one
snapshot directory, then prints a summary: users per match status and gap
state, and what enabling BypassDirSyncOverridesEnabled would clear, overwrite
or fill. Nothing is written to AD or Entra ID. The AD side comes from an LDIF
export or, with --ldap, live from a domain controller (see extract-ad --help);
the Entra side from export files or, with --graph, live from Microsoft Graph
(see extract-entra --help). The snapshot appears only when every stage
succeeded.`,
		Example: `  syncgap audit --ldif ad.ldif --export graph-pages/ --export msol.csv \
      --tenant-features features.json --out snap/
  syncgap audit --ldif ad.ldif --export users.csv --default-region GB --out snap/
  syncgap audit --ldif ad.ldif --graph --tenant-id contoso.onmicrosoft.com --interactive \
      --export msol.csv --out snap/
  syncgap audit --ldap ldaps://dc01.contoso.com --base "DC=contoso,DC=com" \
      --bind-dn svc-syncgap@contoso.com --password-file ~/.syncgap-pw \
      --export graph-pages/ --export msol.csv --out snap/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if cfg.entra, err = entraSource(&g, cmd.Flags(), exports, features); err != nil {
				return err
			}
			if cfg.ad, err = src.stage(cmd); err != nil {
				return err
			}
			return runAudit(cmd.Context(), cmd.OutOrStdout(), cfg)
		},
	}
	src = addADSourceFlags(cmd)
	cmd.Flags().StringArrayVar(&exports, "export", nil, "Entra export file or directory (repeatable; required without --graph)")
	cmd.Flags().StringVar(&features, "tenant-features", "", "JSON of GET /directory/onPremisesSynchronization")
	regionFlag(cmd, &cfg.classify.DefaultRegion)
	cmd.Flags().StringVar(&cfg.out, "out", "", "snapshot directory to write (required)")
	cmd.Flags().BoolVar(&cfg.replace, "replace", false, "replace an existing snapshot directory (by default audit refuses to overwrite one)")
	g.register(cmd.Flags())
	cmd.MarkFlagRequired("out")
	return cmd
}

// runAudit runs every audit stage in a snapshot transaction: the stages
// write into a scratch directory that replaces cfg.out only when all of
// them succeed, so a bad input leaves nothing behind.
func runAudit(ctx context.Context, w io.Writer, cfg auditConfig) error {
	tx, err := pipeline.BeginSnapshot(cfg.out, cfg.replace)
	if err != nil {
		return err
	}
	defer tx.Abort()
	if err := runStages(ctx, pipeline.NewRunner(tx.Dir()),
		cfg.ad, cfg.entra,
		join.Stage.With(join.Config{}),
		classify.Stage.With(cfg.classify),
		report.Stage.With(report.Config{}),
	); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	logOf(ctx).writesTo(cfg.out)
	return printSummary(w, cfg.out)
}

package main

import (
	"github.com/spf13/cobra"

	"syncgap/pipeline"
)

func newExtractEntraCmd() *cobra.Command {
	var exports []string
	var features, out string
	var g graphFlags
	cmd := &cobra.Command{
		Use:   "extract-entra (--export PATH… [--tenant-features FILE] | --graph SIGN-IN [--export CSV]) --out SNAPDIR",
		Short: "Read Entra ID users from export files into entra_users.parquet and tenant.parquet",
		Long: `extract-entra reads Entra ID users from export files, detects each file's
format and says which it found:
  - Microsoft Graph REST pages ({"value":[…]} as saved by Graph Explorer or
    az rest), one file or a directory of page files, or JSON Lines;
  - Get-MgUser … | ConvertTo-Json (PowerShell 5.1 or 7 dates) and | Export-Csv;
  - the Entra admin center "Download users" CSV (no sync flag or immutable id:
    the join falls back to UPNs and the report says evidence is weaker);
  - MSOnline Get-MsolUser / ADSyncTools CSVs: the only source of the cloud
    AlternateMobilePhones (Graph does not expose it).
Give --export several times to combine: the first export is primary, later
ones fill what it lacks (typically a Graph export plus an MSOnline CSV).
--tenant-features is the JSON of GET /directory/onPremisesSynchronization;
without it the tenant flag is recorded as unknown.
` + graphHelp,
		Example: `  syncgap extract-entra --export graph-pages/ --export msol.csv \
      --tenant-features features.json --out snap/
  syncgap extract-entra --export users.jsonl --out snap/
  syncgap extract-entra --graph --interactive --tenant-id contoso.onmicrosoft.com \
      --client-id 11111111-2222-3333-4444-555555555555 --out snap/
  read -rs GRAPH_SECRET && export GRAPH_SECRET   # typed, not left in shell history
  syncgap extract-entra --graph --tenant-id contoso.onmicrosoft.com \
      --client-id 11111111-2222-3333-4444-555555555555 --client-secret-env GRAPH_SECRET \
      --export msol.csv --out snap/
  TOKEN=$(az account get-access-token --resource-type ms-graph --query accessToken -o tsv) \
      syncgap extract-entra --graph --access-token-env TOKEN --out snap/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := entraSource(&g, cmd.Flags(), exports, features)
			if err != nil {
				return err
			}
			return runStages(cmd.Context(), pipeline.NewRunner(out), st)
		},
	}
	cmd.Flags().StringArrayVar(&exports, "export", nil, "export file or directory (repeatable; required without --graph)")
	cmd.Flags().StringVar(&features, "tenant-features", "", "JSON of GET /directory/onPremisesSynchronization")
	cmd.Flags().StringVar(&out, "out", "", "snapshot directory to write (required)")
	g.register(cmd.Flags())
	cmd.MarkFlagRequired("out")
	return cmd
}

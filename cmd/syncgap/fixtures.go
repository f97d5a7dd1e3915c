package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"syncgap/fixtures/tenantgen"
)

func newFixturesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "fixtures",
		Short:   "Test data: synthetic tenants with ground truth",
		Example: `  syncgap fixtures generate --users 1000 --seed 1 --out /tmp/tenant`,
	}
	var users int
	var seed int64
	var out string
	gen := &cobra.Command{
		Use:   "generate --users N --seed S --out DIR",
		Short: "Write a synthetic hybrid tenant: LDIF, Graph pages, MSOnline CSV, tenant features, truth.csv",
		Long: `generate writes a deterministic synthetic tenant of N users into DIR:
ad.ldif (ldapsearch style), graph/ (Graph REST page files), msol.csv (the cloud
AlternateMobilePhones), tenant-features.json and truth.csv, the expected
match_status, mobile_state, other_mobile_state and effect of every joined row.
The same N and S always give byte-identical files.`,
		Example: `  syncgap fixtures generate --users 50000 --seed 7 --out /tmp/t50k
  syncgap audit --ldif /tmp/t50k/ad.ldif --export /tmp/t50k/graph --export /tmp/t50k/msol.csv \
      --tenant-features /tmp/t50k/tenant-features.json --out /tmp/t50k/snap`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if users <= 0 {
				return fmt.Errorf("--users must be positive")
			}
			s, err := tenantgen.Generate(tenantgen.Config{Users: users, Seed: seed}, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d AD users, %d cloud users, %d truth rows\n", out, s.ADUsers, s.CloudUsers, s.TruthRows)
			return nil
		},
	}
	gen.Flags().IntVar(&users, "users", 1000, "number of people in the tenant")
	gen.Flags().Int64Var(&seed, "seed", 1, "random seed")
	gen.Flags().StringVar(&out, "out", "", "directory to write (required)")
	gen.MarkFlagRequired("out")
	cmd.AddCommand(gen)
	return cmd
}

package main

import (
	"github.com/spf13/cobra"

	"syncgap/stages/plan"
)

func newReplanCmd() *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "replan --snapshot DIR [--policy …] [options]",
		Short: "Plan an already planned snapshot again, changing only the options given",
		Long: `replan re-runs plan on a snapshot that has a plan, from the saved tables
(nothing is extracted again). Options not given keep the previous plan's
values. The new plan has a new hash: approvals of the old plan no longer
apply, and the new workbook must be signed and approved again.`,
		Example: `  syncgap replan --snapshot snap/ --policy review
  syncgap replan --snapshot snap/ --exclude-file vips.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			prev, err := plan.Previous(f.dir)
			if err != nil {
				return err
			}
			o, err := f.options(cmd)
			if err != nil {
				return err
			}
			cfg, err := o.Apply(prev)
			if err != nil {
				return err
			}
			cfg.Replace = f.replace
			return runPlan(cmd.Context(), cmd.OutOrStdout(), f.dir, cfg)
		},
	}
	f.add(cmd, false)
	return cmd
}

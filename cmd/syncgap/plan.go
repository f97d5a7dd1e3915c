package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/planfile"
	"syncgap/stages/plan"
	"syncgap/workbook"
)

// planFlags are the options plan and replan share.
type planFlags struct {
	dir, policy, missing, onlyOU, exclude string
	normalize, enableBypass, replace      bool
}

func (f *planFlags) add(cmd *cobra.Command, policyRequired bool) {
	snapshotFlag(cmd, &f.dir)
	cmd.Flags().StringVar(&f.policy, "policy", "", "entra-wins, ad-wins or review")
	cmd.Flags().BoolVar(&f.normalize, "normalize", false, "also rewrite AD values that differ only in formatting, and write every value, in E.164")
	cmd.Flags().BoolVar(&f.enableBypass, "enable-bypass", false, "end the plan with the tenant action that enables BypassDirSyncOverrides")
	cmd.Flags().StringVar(&f.missing, "missing-in-entra", "", "entra-wins: AD values the cloud lacks: decide (default), keep-ad or clear-ad")
	cmd.Flags().StringVar(&f.onlyOU, "only-ou", "", "plan only users at or under this DN")
	cmd.Flags().StringVar(&f.exclude, "exclude-file", "", "file of users never to plan: one UPN, DN or object id per line, # comments")
	cmd.Flags().BoolVar(&f.replace, "replace", false, "plan again over an approved plan, discarding its approvals")
	if policyRequired {
		cmd.MarkFlagRequired("policy")
	}
}

// options are the plan options the user gave; the rest keep the base
// config's values (plan.Overrides.Apply).
func (f *planFlags) options(cmd *cobra.Command) (plan.Overrides, error) {
	var o plan.Overrides
	set := cmd.Flags().Changed
	if set("policy") {
		p := plan.Policy(f.policy)
		o.Policy = &p
	}
	if set("normalize") {
		o.Normalize = &f.normalize
	}
	if set("enable-bypass") {
		o.EnableBypass = &f.enableBypass
	}
	if set("missing-in-entra") {
		m := plan.MissingInEntra(f.missing)
		o.MissingInEntra = &m
	}
	if set("only-ou") {
		o.OnlyOU = &f.onlyOU
	}
	if set("exclude-file") {
		var list *plan.Exclusions
		if f.exclude != "" {
			file, _, in, err := pipeline.OpenInput(f.exclude, "an exclude file", maxExcludeFile)
			if err != nil {
				return o, fmt.Errorf("exclude file: %w", err)
			}
			defer file.Close()
			if list, err = plan.ReadExclusions(in, f.exclude); err != nil {
				return o, err
			}
		}
		o.Exclude, o.ExcludeFile = &list, filepath.Base(f.exclude)
	}
	return o, nil
}

// maxExcludeFile bounds --exclude-file: a million UPNs fit in 64 MiB.
const maxExcludeFile = 64 << 20

// runPlan plans the snapshot dir with cfg and says what it wrote.
func runPlan(ctx context.Context, w io.Writer, dir string, cfg plan.Config) error {
	s, err := runStage(ctx, pipeline.NewRunner(dir), plan.Stage, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Plan %s (policy %s)\n", s.Hash, cfg.Policy)
	fmt.Fprintf(w, "  to decide: %d proposed (write), %d left to the board (decide)\n", s.Write, s.Decide)
	fmt.Fprintf(w, "  not planned: %d for review, %d cloud values recorded as backup\n", s.Review, s.Record)
	fmt.Fprintf(w, "  if the switch is flipped now: %d cloud values lost, %d changed; after approving every proposed change: %d lost, %d changed\n",
		s.FlipLost, s.FlipChanged, s.ApproveLost, s.ApproveChange)
	if s.Unknown > 0 {
		fmt.Fprintf(w, "  unknown: %d cloud values cannot be read (AlternateMobilePhones: no supported API reads it since MSOnline's retirement; an old MSOnline export still shows it)\n", s.Unknown)
	}
	if s.Excluded != 0 || s.OutOfScope != 0 {
		fmt.Fprintf(w, "  left out: %d excluded by list, %d outside --only-ou\n", s.Excluded, s.OutOfScope)
	}
	fmt.Fprintf(w, "Workbook for the change board: %s\n", filepath.Join(dir, workbook.File))
	fmt.Fprintf(w, "LDIF of the proposed AD changes: %s\n", filepath.Join(dir, planfile.ChangesFile))
	fmt.Fprintf(w, "Next: the board fills in Decision and Sign-off, then\n  syncgap approve --snapshot %s --workbook signed.xlsx\n", argText(dir))
	return nil
}

func newPlanCmd() *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan --snapshot DIR --policy entra-wins|ad-wins|review [options]",
		Short: "Plan corrections under a policy: plan.parquet, the change-board workbook and changes.ldif",
		Long: `plan turns a classified snapshot into actions for a change board:
  entra-wins  write the cloud's value into AD wherever the numbers differ
              (Microsoft's path before enabling bypass). AD values the cloud
              lacks need a decision unless --missing-in-entra says otherwise.
  ad-wins     no AD writes: every cloud value enabling will overwrite or clear
              is recorded with its current value (the backup).
  review      every difference is a decision: Approve writes the cloud value
              into AD, Reject keeps AD's.
Ambiguous, anchor_conflict, invalid and unverifiable rows are never planned
as writes; they are listed for review with the reason. Every AD action
carries the values it expects to find, so apply can compare-and-swap.

It writes plan.parquet, report.xlsx (Summary, Plan with a Decision column,
Review, Gaps, Unmatched, Sign-off) and changes.ldif, and records the plan
hash in the manifest. Nothing is written to AD or Entra ID.`,
		Example: `  syncgap plan --snapshot snap/ --policy entra-wins
  syncgap plan --snapshot snap/ --policy entra-wins --normalize --enable-bypass \
      --missing-in-entra keep-ad --only-ou "OU=Sales,DC=contoso,DC=com" --exclude-file vips.txt
  syncgap plan --snapshot snap/ --policy ad-wins --enable-bypass`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := f.options(cmd)
			if err != nil {
				return err
			}
			cfg, err := o.Apply(plan.Config{})
			if err != nil {
				return err
			}
			cfg.Replace = f.replace
			return runPlan(cmd.Context(), cmd.OutOrStdout(), f.dir, cfg)
		},
	}
	f.add(cmd, true)
	return cmd
}

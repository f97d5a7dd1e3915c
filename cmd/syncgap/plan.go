package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/approve"
	"syncgap/stages/plan"
	"syncgap/stages/report"
)

// planFlags are the options plan and replan share.
type planFlags struct {
	dir, policy, missing, onlyOU, exclude string
	normalize, enableBypass               bool
}

func (f *planFlags) add(cmd *cobra.Command, policyRequired bool) {
	snapshotFlag(cmd, &f.dir)
	cmd.Flags().StringVar(&f.policy, "policy", "", "entra-wins, ad-wins or review")
	cmd.Flags().BoolVar(&f.normalize, "normalize", false, "also rewrite AD values that differ only in formatting, and write every value, in E.164")
	cmd.Flags().BoolVar(&f.enableBypass, "enable-bypass", false, "end the plan with the tenant action that enables BypassDirSyncOverrides")
	cmd.Flags().StringVar(&f.missing, "missing-in-entra", "", "entra-wins: AD values the cloud lacks: decide (default), keep-ad or clear-ad")
	cmd.Flags().StringVar(&f.onlyOU, "only-ou", "", "plan only users at or under this DN")
	cmd.Flags().StringVar(&f.exclude, "exclude-file", "", "file of users never to plan: one UPN, DN or object id per line, # comments")
	if policyRequired {
		cmd.MarkFlagRequired("policy")
	}
}

// config builds the plan parameters: base (a previous plan's, for replan)
// overridden by the flags the user set.
func (f *planFlags) params(cmd *cobra.Command, base map[string]string) (map[string]string, error) {
	cfg, err := plan.ConfigFrom(base)
	if base == nil {
		cfg, err = plan.Config{}, nil
	}
	if err != nil && cmd.Flags().Changed("policy") {
		err = nil // the flags below replace what was invalid
	}
	if err != nil {
		return nil, err
	}
	excludeFile := base[plan.ParamExcludeFile]
	set := cmd.Flags().Changed
	if set("policy") {
		cfg.Policy = plan.Policy(f.policy)
		if !set("missing-in-entra") && cfg.Policy != plan.EntraWins {
			cfg.MissingInEntra = ""
		}
		if !set("normalize") && cfg.Policy == plan.ADWins {
			cfg.Normalize = false
		}
	}
	if set("normalize") {
		cfg.Normalize = f.normalize
	}
	if set("enable-bypass") {
		cfg.EnableBypass = f.enableBypass
	}
	if set("missing-in-entra") {
		cfg.MissingInEntra = plan.MissingInEntra(f.missing)
	}
	if set("only-ou") {
		cfg.OnlyOU = f.onlyOU
	}
	if set("exclude-file") {
		cfg.Exclude, excludeFile = nil, ""
		if f.exclude != "" {
			in, err := os.Open(f.exclude)
			if err != nil {
				return nil, fmt.Errorf("exclude file: %w", err)
			}
			defer in.Close()
			if cfg.Exclude, err = plan.ReadExclusions(in, f.exclude); err != nil {
				return nil, err
			}
			excludeFile = filepath.Base(f.exclude)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return plan.Params(cfg, excludeFile), nil
}

func runPlan(cmd *cobra.Command, dir string, params map[string]string) error {
	rec, err := runStage(cmd.Context(), dir, plan.Stage(), params)
	if err != nil {
		return err
	}
	d := rec.Detail
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Plan %s (policy %s)\n", d[plan.DetailHash], params[plan.ParamPolicy])
	fmt.Fprintf(w, "  to decide: %s proposed (write), %s left to the board (decide)\n", d["actions_write"], d["actions_decide"])
	fmt.Fprintf(w, "  not planned: %s for review, %s cloud values recorded as backup\n", d["actions_review"], d["actions_record"])
	if d["excluded_rows"] != "0" || d["out_of_scope_rows"] != "0" {
		fmt.Fprintf(w, "  left out: %s excluded by list, %s outside --only-ou\n", d["excluded_rows"], d["out_of_scope_rows"])
	}
	fmt.Fprintf(w, "Workbook for the change board: %s\n", filepath.Join(dir, report.WorkbookFile))
	fmt.Fprintf(w, "LDIF of the proposed AD changes: %s\n", filepath.Join(dir, plan.ChangesFile))
	fmt.Fprintf(w, "Next: the board fills in Decision and Sign-off, then\n  syncgap approve --snapshot %s --workbook signed.xlsx\n", dir)
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
			params, err := f.params(cmd, nil)
			if err != nil {
				return err
			}
			return runPlan(cmd, f.dir, params)
		},
	}
	f.add(cmd, true)
	return cmd
}

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
			m, err := pipeline.LoadManifest(f.dir)
			if err != nil {
				return err
			}
			prev := m.Stage(plan.StageName)
			if prev == nil {
				return fmt.Errorf("%s: %w", f.dir, plan.ErrNoPlan)
			}
			params, err := f.params(cmd, prev.Parameters)
			if err != nil {
				return err
			}
			return runPlan(cmd, f.dir, params)
		},
	}
	f.add(cmd, false)
	return cmd
}

func newApproveCmd() *cobra.Command {
	var dir, workbook string
	cmd := &cobra.Command{
		Use:   "approve --snapshot DIR --workbook signed.xlsx",
		Short: "Read the signed change-board workbook into approvals.parquet",
		Long: `approve reads the Decision column of the Plan sheet(s) and the Sign-off
sheet of a workbook the change board filled in (in Excel, LibreOffice or
any other program) and writes approvals.parquet: action id, decision,
approver, comment and the workbook's SHA-256.

It refuses, naming the sheet and cell: a plan hash that is not this
snapshot's plan, an action id that is unknown or given twice, a decision
other than Approve or Reject, a missing approver. Rows left empty stay
undecided and are not applied.`,
		Example: `  syncgap approve --snapshot snap/ --workbook "plan signed 2026-11-23.xlsx"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rec, err := runStage(cmd.Context(), dir, approve.Stage(), map[string]string{approve.ParamWorkbook: workbook})
			if err != nil {
				return err
			}
			d := rec.Detail
			fmt.Fprintf(cmd.OutOrStdout(), "Approvals for plan %s signed by %s: %s approved, %s rejected, %s undecided\nWrote %s\n",
				d[plan.DetailHash], d["approver"], d["approved"], d["rejected"], d["undecided"],
				filepath.Join(dir, pipeline.FileName(pipeline.ApprovalsTable)))
			return nil
		},
	}
	snapshotFlag(cmd, &dir)
	cmd.Flags().StringVar(&workbook, "workbook", "", "the signed workbook (required)")
	cmd.MarkFlagRequired("workbook")
	return cmd
}

package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/apply"
	"syncgap/stages/extractentra/livegraph"
)

func newApplyCmd() *cobra.Command {
	var dir string
	var execute, approveAll bool
	var concurrency int
	var rate float64
	var g graphFlags
	var ldapF *ldapFlags
	cmd := &cobra.Command{
		Use:   "apply --snapshot DIR --ldap URL [bind options] [--execute]",
		Short: "Apply the approved AD changes (dry run unless --execute), then the tenant action",
		Long: `apply writes the approved actions of the snapshot's plan to AD. Without
--execute it only shows what it would do: counts per attribute and op, and
the first rows.

Each action is one LDAP modify in compare-and-swap form (delete the value the
plan expects, add the new one): a value that changed since the plan is
reported drifted and left alone. Every outcome goes to an append-only,
fsynced journal (apply.journal) before the next action, so a killed apply is
resumed by running the same command again: nothing is repeated or lost, and
an action that was in flight is checked against the directory.
apply_results.parquet summarises the outcomes; rollback reverses them.

The tenant action (enable BypassDirSyncOverrides, if planned and approved)
runs last, through Microsoft Graph (--graph and its sign-in flags), and only
when every approved AD action is applied; the flag is read back.

It refuses a plan whose hash does not match the manifest, approvals of
another plan, a snapshot whose tables changed, and a second apply running on
the same snapshot.` + ldapHelpTail,
		Example: `  syncgap apply --snapshot snap/ --ldap ldaps://dc01.contoso.com --bind-dn svc-syncgap@contoso.com \
      --password-env SYNCGAP_PW                      # dry run: what would be written
  syncgap apply --snapshot snap/ --ldap ldaps://dc01.contoso.com --bind-dn svc-syncgap@contoso.com \
      --password-env SYNCGAP_PW --execute --concurrency 4 --rate 20 \
      --graph --tenant-id contoso.onmicrosoft.com --client-id 1111… --client-secret-env SYNCGAP_GRAPH`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if concurrency < 1 || concurrency > 64 {
				return errors.New("--concurrency must be between 1 and 64")
			}
			if rate < 0 {
				return errors.New("--rate must not be negative")
			}
			ap, err := apply.LoadApproved(dir, approveAll)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if !execute {
				return printDryRun(w, dir, ap)
			}
			if ldapF.url == "" {
				return errors.New("--execute needs --ldap URL (and the bind options) of a domain controller")
			}
			cfg, err := ldapF.config()
			if err != nil {
				return err
			}
			var tenant apply.Tenant
			if g.live {
				gcfg, err := g.config(nil)
				if err != nil {
					return err
				}
				tenant = enableBypass(gcfg)
			} else if ap.Tenant != nil {
				fmt.Fprintln(w, "Note: the plan has an approved tenant action, but no --graph connection was given: it will be skipped.")
			}
			prog := newProgress()
			opts := apply.Options{Concurrency: concurrency, Rate: rate, Retries: 4, Dial: apply.DialLDAP(cfg)}
			if prog != nil {
				prog.Start("apply", "actions", int64(len(ap.AD)))
				opts.OnOutcome = func(pipeline.Outcome) { prog.Add(1) }
			}
			params := map[string]string{"ldap": cfg.Server(), "bind": cfg.BindMethod(), "concurrency": strconv.Itoa(concurrency),
				"rate": strconv.FormatFloat(rate, 'f', -1, 64), "approve_all": strconv.FormatBool(approveAll)}
			var sum *apply.Summary
			st := pipeline.Stage{Name: "apply", Run: func(ctx context.Context, dir string, _ map[string]string) (*pipeline.Result, error) {
				s, out, err := apply.Execute(ctx, dir, ap, opts, tenant)
				sum = s
				if err != nil {
					return nil, err
				}
				return &pipeline.Result{Inputs: ap.Inputs, Outputs: []pipeline.OutputRecord{out}, Detail: countsDetail(s)}, nil
			}}
			_, runErr := pipeline.RunStage(cmd.Context(), dir, st, params)
			if prog != nil {
				prog.Done()
			}
			if sum != nil {
				printOutcomes(w, dir, sum)
			}
			if runErr != nil {
				if errors.Is(runErr, context.Canceled) {
					return fmt.Errorf("interrupted: every write in flight was journaled; run the same command again to resume")
				}
				return runErr
			}
			if sum.Counts[pipeline.Failed] > 0 {
				return &exitError{code: 4, err: fmt.Errorf("%d actions failed: see %s", sum.Counts[pipeline.Failed], filepath.Join(dir, pipeline.FileName(pipeline.ApplyResultsTable)))}
			}
			return nil
		},
	}
	snapshotFlag(cmd, &dir)
	ldapF = addLDAPFlags(cmd)
	cmd.Flags().BoolVar(&execute, "execute", false, "write to AD (without it apply only shows what it would do)")
	cmd.Flags().BoolVar(&approveAll, "approve-all", false, "treat every write and decide action as approved, for automation without a signed workbook")
	cmd.Flags().IntVar(&concurrency, "concurrency", 2, "parallel writers, each with its own connection")
	cmd.Flags().Float64Var(&rate, "rate", 50, "at most this many writes per second over all writers (0: no limit)")
	g.register(cmd.Flags())
	return cmd
}

const ldapHelpTail = `

Bind as an account allowed to write mobile and otherMobile on the users in
scope. The password comes from --password-env, --password-file or a prompt,
never from a flag value.`

// enableBypass is the tenant action through Graph: find the
// onPremisesSynchronization object, set the flag, read it back.
func enableBypass(cfg livegraph.Config) apply.Tenant {
	return func(ctx context.Context) (bool, error) {
		c, err := livegraph.NewClient(cfg)
		if err != nil {
			return false, err
		}
		id, _, err := c.Features(ctx)
		if err != nil {
			return false, err
		}
		flag, err := c.SetBypass(ctx, id, true)
		if err != nil {
			return false, err
		}
		return flag.Enabled.IsTrue(), nil
	}
}

func countsDetail(s *apply.Summary) map[string]string {
	d := map[string]string{}
	for _, o := range []pipeline.Outcome{pipeline.Applied, pipeline.Drifted, pipeline.Failed, pipeline.Skipped} {
		d[string(o)] = strconv.Itoa(s.Counts[o])
	}
	if s.Tenant != "" {
		d["tenant"] = s.Tenant
	}
	return d
}

func printOutcomes(w interface{ Write([]byte) (int, error) }, dir string, s *apply.Summary) {
	fmt.Fprintf(w, "Applied %d, drifted %d (left alone), failed %d, not reached %d\n",
		s.Counts[pipeline.Applied], s.Counts[pipeline.Drifted], s.Counts[pipeline.Failed], s.Counts[pipeline.Skipped])
	if s.Tenant != "" {
		fmt.Fprintf(w, "Tenant action: %s\n", s.Tenant)
	}
	fmt.Fprintf(w, "Results: %s; journal: %s\n", filepath.Join(dir, pipeline.FileName(pipeline.ApplyResultsTable)), filepath.Join(dir, apply.JournalFile))
}

// dryRunRows is how many actions the dry run lists.
const dryRunRows = 10

func printDryRun(w interface{ Write([]byte) (int, error) }, dir string, ap *apply.Approved) error {
	done := map[string]bool{}
	if entries, err := apply.ReadJournal(filepath.Join(dir, apply.JournalFile)); err == nil {
		st, err := apply.Replay(entries)
		if err != nil {
			return err
		}
		for _, a := range ap.AD {
			if st.Final(a.ActionID) {
				done[a.ActionID] = true
			}
		}
	}
	counts := map[string]int{}
	var todo []pipeline.Action
	for _, a := range ap.AD {
		if !done[a.ActionID] {
			counts[a.Attribute+" "+string(a.Op)]++
			todo = append(todo, a)
		}
	}
	fmt.Fprintf(w, "Dry run (nothing is written; add --execute to apply). Plan %s\n", ap.PlanHash)
	fmt.Fprintf(w, "Approved AD actions: %d to apply", len(todo))
	if len(done) > 0 {
		fmt.Fprintf(w, ", %d already done by an earlier run", len(done))
	}
	fmt.Fprintf(w, "; %d rejected, %d undecided (not applied)\n", ap.Rejected, ap.Undecided)
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, k := range keys {
		fmt.Fprintf(tw, "  %s\t%d\n", k, counts[k])
	}
	tw.Flush()
	if len(todo) > 0 {
		fmt.Fprintf(w, "First %d:\n", min(dryRunRows, len(todo)))
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, a := range todo[:min(dryRunRows, len(todo))] {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s -> %s\n", a.ActionID, a.DN, a.Attribute, a.Op, quoteVals(a.Expected), quoteVals(a.Value))
		}
		tw.Flush()
	}
	if ap.Tenant != nil {
		fmt.Fprintln(w, "Then, if every approved AD action is applied: enable bypassDirSyncOverridesEnabled (needs --graph)")
	}
	return nil
}

func quoteVals(v []string) string {
	if len(v) == 0 {
		return "(none)"
	}
	q := make([]string, len(v))
	for i, s := range v {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

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
			if entries, err := filepath.Glob(filepath.Join(out, "*")); err == nil && len(entries) > 0 {
				return fmt.Errorf("%s already holds files: choose a new directory for the reverse plan", out)
			}
			rec, err := runStage(cmd.Context(), out, apply.RollbackStage(src), map[string]string{"source": src})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Reverse plan %s: %s actions restore the values applied in %s\nWorkbook: %s\nNext: sign it, then syncgap approve --snapshot %s --workbook …\n",
				rec.Detail["plan_hash"], rec.Detail["actions_write"], dir, filepath.Join(out, "report.xlsx"), out)
			return nil
		},
	}
	snapshotFlag(cmd, &dir)
	cmd.Flags().StringVar(&out, "out", "", "new snapshot directory for the reverse plan (required)")
	cmd.MarkFlagRequired("out")
	return cmd
}

func newVerifyCmd() *cobra.Command {
	var dir string
	var approveAll bool
	var verifyLDAP *ldapFlags
	cmd := &cobra.Command{
		Use:   "verify --snapshot DIR --ldap URL [bind options]",
		Short: "Re-read the users apply touched and compare with what they should hold",
		Long: `verify reads back, for every approved action apply journaled, the attribute
from AD and writes verify.parquet: the value the directory should hold (the
new value where applied; what apply found where it drifted or failed) against
what it holds now. It exits 5 when any differs.` + ldapHelpTail,
		Example: `  syncgap verify --snapshot snap/ --ldap ldaps://dc01.contoso.com --bind-dn svc-syncgap@contoso.com --password-env SYNCGAP_PW`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ap, err := apply.LoadApproved(dir, approveAll)
			if err != nil {
				return err
			}
			if verifyLDAP.url == "" {
				return errors.New("verify needs --ldap URL (and the bind options)")
			}
			cfg, err := verifyLDAP.config()
			if err != nil {
				return err
			}
			entries, err := apply.ReadJournal(filepath.Join(dir, apply.JournalFile))
			if err != nil {
				return fmt.Errorf("%w (has apply --execute run on this snapshot?)", err)
			}
			st, err := apply.Replay(entries)
			if err != nil {
				return err
			}
			var bad int
			stage := pipeline.Stage{Name: "verify", Run: func(ctx context.Context, dir string, _ map[string]string) (*pipeline.Result, error) {
				d, err := apply.DialLDAP(cfg)(ctx)
				if err != nil {
					return nil, err
				}
				defer d.Close()
				rows, err := apply.Verify(ctx, d, ap, st)
				if err != nil {
					return nil, err
				}
				for _, r := range rows {
					if !r.Matches.IsTrue() {
						bad++
					}
				}
				out, err := pipeline.WriteTable(dir, pipeline.VerifyTable, rows)
				if err != nil {
					return nil, err
				}
				return &pipeline.Result{Inputs: ap.Inputs, Outputs: []pipeline.OutputRecord{out},
					Detail: map[string]string{"checked": strconv.Itoa(len(rows)), "differ": strconv.Itoa(bad)}}, nil
			}}
			rec, err := runStage(cmd.Context(), dir, stage, map[string]string{"ldap": cfg.Server()})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Verified %s actions: %s differ from what they should hold\nWrote %s\n",
				rec.Detail["checked"], rec.Detail["differ"], filepath.Join(dir, pipeline.FileName(pipeline.VerifyTable)))
			if bad > 0 {
				return &exitError{code: 5, err: fmt.Errorf("%d values differ: see verify.parquet", bad)}
			}
			return nil
		},
	}
	snapshotFlag(cmd, &dir)
	verifyLDAP = addLDAPFlags(cmd)
	cmd.Flags().BoolVar(&approveAll, "approve-all", false, "the apply ran with --approve-all")
	return cmd
}

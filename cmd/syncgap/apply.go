package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
	"syncgap/stages/apply"
	"syncgap/stages/extractentra/livegraph"
)

// applyFlags are apply's options beside the LDAP and Graph flags.
type applyFlags struct {
	dir                 string
	execute, approveAll bool
	skipPreflight       bool
	concurrency         int
	rate                float64
}

func newApplyCmd() *cobra.Command {
	var f applyFlags
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

Right before it, the preflight re-reads both sides: AD (the audit's search,
through apply's connection) and the cloud users (live, through the same
sign-in), into the snapshot's preflight/ folder, and forecasts again what the
switch would do now. When it would lose or change any cloud value beyond the
forecast the change board approved (a cloud value edited since the audit, an
AD value changed since the plan, a user new since), apply leaves the flag
alone, lists those values in preflight.parquet, names the first users and
exits 1: audit and plan again. --skip-preflight enables the flag without the
check; it says so and the journal records it. The preflight takes about as
long as an audit's two extracts, and reads the users with User.Read.All.

The tenant action takes the delegated permission
OnPremDirectorySynchronization.ReadWrite.All and a Global Administrator
signed in, the only role Microsoft documents for it: sign in with
--interactive (or --device-code) as that person. The sign-in comes first,
before any AD write, and only when the plan has the tenant action approved;
the preflight and the flag reuse it, so it is asked once. App-only sign-ins
(--client-secret-env, --cert-file) are not documented to work for it.
extract-entra --help lists every Graph permission and what the app
registration needs.

It refuses a plan whose hash does not match the manifest, approvals of
another plan, a snapshot whose tables changed, and a second apply running on
the same snapshot.` + ldapHelpTail,
		Example: `  syncgap apply --snapshot snap/ --ldap ldaps://dc01.contoso.com --bind-dn svc-syncgap@contoso.com \
      --password-env SYNCGAP_PW                      # dry run: what would be written
  syncgap apply --snapshot snap/ --ldap ldaps://dc01.contoso.com --bind-dn svc-syncgap@contoso.com \
      --password-env SYNCGAP_PW --execute --concurrency 4 --rate 20 \
      --graph --tenant-id contoso.onmicrosoft.com --client-id 1111… --interactive
  syncgap export --snapshot snap/ --table preflight    # what a refused preflight found`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			if !f.execute {
				return apply.DryRun(w, f.dir, f.approveAll)
			}
			cfg, graph, err := f.config(ldapF, &g)
			if err != nil {
				return err
			}
			return runApply(cmd.Context(), w, f.dir, cfg, graph)
		},
	}
	snapshotFlag(cmd, &f.dir)
	ldapF = addLDAPFlags(cmd)
	cmd.Flags().BoolVar(&f.execute, "execute", false, "write to AD (without it apply only shows what it would do)")
	cmd.Flags().BoolVar(&f.approveAll, "approve-all", false, "treat every write and decide action as approved, for automation without a signed workbook")
	cmd.Flags().BoolVar(&f.skipPreflight, "skip-preflight", false,
		"enable the tenant flag without re-reading AD and the cloud first (the journal records that the check was skipped)")
	cmd.Flags().IntVar(&f.concurrency, "concurrency", 2, "parallel writers, each with its own connection")
	cmd.Flags().Float64Var(&f.rate, "rate", 50, "at most this many writes per second over all writers (0: no limit)")
	g.register(cmd.Flags())
	// apply writes the tenant flag; it reads no users.
	cmd.Flags().Lookup("graph").Usage = "enable BypassDirSyncOverridesEnabled through Microsoft Graph, when the plan has it approved"
	return cmd
}

// config turns the flags into an apply run, and with --graph the Graph
// connection to sign in with; it asks for the password.
func (f *applyFlags) config(ldapF *ldapFlags, g *graphFlags) (apply.Config, *livegraph.Config, error) {
	cfg := apply.Config{Concurrency: f.concurrency, Rate: f.rate, ApproveAll: f.approveAll}
	// The limits first: a typo there should not cost a password prompt.
	if err := cfg.CheckLimits(); err != nil {
		return cfg, nil, err
	}
	if ldapF.url == "" {
		return cfg, nil, errors.New("--execute needs --ldap URL (and the bind options) of a domain controller")
	}
	if !g.live && f.skipPreflight {
		return cfg, nil, errors.New("--skip-preflight is for the tenant action, which needs --graph")
	}
	var err error
	if cfg.LDAP, err = ldapF.config(); err != nil {
		return cfg, nil, err
	}
	if !g.live {
		return cfg, nil, nil
	}
	gcfg, err := g.config(nil)
	if err != nil {
		return cfg, nil, err
	}
	cfg.Flip = apply.Flip{Enable: enableBypass(gcfg), SkipPreflight: f.skipPreflight}
	return cfg, &gcfg, nil
}

// runApply applies the approved actions and prints the outcomes, also
// after an interruption. With an approved tenant action not yet done and
// a Graph sign-in, the person signs in first, once, before any AD write:
// the preflight and the flag then reuse that sign-in.
func runApply(ctx context.Context, w io.Writer, dir string, cfg apply.Config, graph *livegraph.Config) error {
	ap, err := apply.LoadApproved(dir, cfg.ApproveAll)
	if err != nil {
		return err
	}
	if cfg.Flip.Enable == nil && ap.Tenant != nil {
		fmt.Fprintln(w, "Note: the plan has an approved tenant action, but no --graph connection was given: it will be skipped.")
	}
	if graph != nil && !apply.TenantDone(dir, ap) {
		signed, err := livegraph.SignIn(ctx, *graph)
		if err != nil {
			return fmt.Errorf("%w (nothing was written: the sign-in comes before the AD writes)", err)
		}
		cfg.Flip.Enable = enableBypass(signed)
		cfg.Flip.Reread = preflightReread(dir, cfg.LDAP, signed)
	}
	if prog := newProgress(); prog != nil {
		prog.Start("apply", "actions", int64(len(ap.AD)))
		cfg.OnOutcome = func(pipeline.Outcome) { prog.Add(1) }
		defer prog.Done()
	}
	logOf(ctx).writesTo(dir)
	sum, err := apply.Run(ctx, dir, cfg)
	if sum != nil {
		sum.Print(w, dir)
	}
	return err
}

const ldapHelpTail = `

Bind as an account allowed to write mobile and otherMobile on the users in
scope. The password comes from --password-env, --password-file or a prompt,
never from a flag value.`

// verifyBindHelp is verify's: it only reads.
const verifyBindHelp = `

verify only reads: any account that can read mobile and otherMobile of the
users in scope will do (the one that ran extract-ad, say). The password comes
from --password-env, --password-file or a prompt, never from a flag value.`

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

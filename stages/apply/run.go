package apply

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"syncgap/ldapconn"
	"syncgap/pipeline"
)

// Config is an apply run: where to write, how fast, and the tenant action.
// LDAP carries the password, so the manifest records the run through
// applyRecord, never the struct itself.
type Config struct {
	LDAP        ldapconn.Config
	Concurrency int     // parallel writers, each with its own connection
	Rate        float64 // writes per second over all writers; 0: no limit
	// ApproveAll treats every decidable action as approved (automation
	// without a signed workbook).
	ApproveAll bool
	// Flip enables the tenant flag after the preflight; a nil Flip.Enable
	// skips the tenant action, which is journaled as skipped. Given by the
	// caller, so this package does not depend on the Graph client.
	Flip Flip
	// OnOutcome is called after each journaled outcome (a progress bar).
	OnOutcome func(pipeline.Outcome)
}

type applyRecord struct {
	Server      string  `param:"ldap"`
	Bind        string  `param:"bind"`
	Concurrency int     `param:"concurrency"`
	Rate        float64 `param:"rate"`
	ApproveAll  bool    `param:"approve_all"`
	SkipPre     bool    `param:"skip_preflight,omitempty"`
}

func (c Config) record() any {
	return applyRecord{Server: c.LDAP.Server(), Bind: c.LDAP.BindMethod(), Concurrency: c.Concurrency, Rate: c.Rate, ApproveAll: c.ApproveAll, SkipPre: c.Flip.SkipPreflight}
}

// CheckLimits refuses settings that would hammer a domain controller.
func (c *Config) CheckLimits() error {
	if c.Concurrency < 1 || c.Concurrency > 64 {
		return fmt.Errorf("--concurrency must be between 1 and 64")
	}
	if c.Rate < 0 {
		return fmt.Errorf("--rate must not be negative")
	}
	return nil
}

// Validate checks the limits and the connection settings.
func (c *Config) Validate() error {
	if err := c.CheckLimits(); err != nil {
		return err
	}
	return c.LDAP.Validate()
}

// approvedReads are the files an apply or verify acts on.
func approvedReads(approveAll bool) []string {
	if approveAll {
		return []string{pipeline.FileName(pipeline.PlanTable)}
	}
	return []string{pipeline.FileName(pipeline.PlanTable), pipeline.FileName(pipeline.ApprovalsTable)}
}

// Stage applies the approved actions of the snapshot's plan
// (docs/rules.md, "Apply"). The runner takes the snapshot's lock first,
// then it checks the plan and approvals, then acts.
var Stage = pipeline.Def[Config, *Summary]{
	Name:     "apply",
	Record:   Config.record,
	Reads:    func(c Config) []string { return approvedReads(c.ApproveAll) },
	Writes:   []string{pipeline.FileName(pipeline.ApplyResultsTable)},
	MayWrite: []string{pipeline.FileName(pipeline.PreflightTable)},
	// The results of a stopped apply say which writes it made.
	KeepOutputsOnError: true,
	Do: func(ctx context.Context, env *pipeline.Env, cfg Config) (*Summary, error) {
		ap, err := LoadApproved(env.Dir, cfg.ApproveAll)
		if err != nil {
			return nil, err
		}
		opts := Options{Concurrency: cfg.Concurrency, Rate: cfg.Rate, Retries: 4, Dial: DialLDAP(cfg.LDAP), OnOutcome: cfg.OnOutcome}
		sum, outs, err := Execute(ctx, env.Dir, ap, opts, cfg.Flip)
		for _, out := range outs {
			env.AddOutput(out)
		}
		return sum, err
	},
}

// Run applies the snapshot's approved actions with cfg and records the run.
// The summary comes back also when the run stopped early (interrupted:
// every write in flight was journaled); an error wrapping
// pipeline.ErrActionsFailed says some actions failed.
func Run(ctx context.Context, dir string, cfg Config) (*Summary, error) {
	sum, _, err := Stage.Run(ctx, pipeline.NewRunner(dir), cfg)
	if err != nil {
		if ctx.Err() != nil {
			return sum, fmt.Errorf("interrupted: every write in flight was journaled; run the same command again to resume")
		}
		return sum, err
	}
	if sum.Refused != "" {
		return sum, fmt.Errorf("%w: %s", ErrPreflightRefused, sum.Refused)
	}
	if sum.Failed > 0 {
		return sum, fmt.Errorf("%d actions failed: see %s: %w", sum.Failed, filepath.Join(dir, pipeline.FileName(pipeline.ApplyResultsTable)), pipeline.ErrActionsFailed)
	}
	return sum, nil
}

// Print writes the outcome counts and where the results are.
func (s *Summary) Print(w io.Writer, dir string) {
	fmt.Fprintf(w, "Applied %d, drifted %d (left alone), failed %d, not reached %d\n", s.Applied, s.Drifted, s.Failed, s.Skipped)
	if s.Preflight != "" {
		fmt.Fprintf(w, "Preflight: %s\n", s.Preflight)
	}
	if s.Tenant != "" {
		fmt.Fprintf(w, "Tenant action: %s\n", s.Tenant)
	}
	fmt.Fprintf(w, "Results: %s; journal: %s\n", filepath.Join(dir, pipeline.FileName(pipeline.ApplyResultsTable)), filepath.Join(dir, JournalFile))
}

// VerifyConfig is a verify run.
type VerifyConfig struct {
	LDAP       ldapconn.Config
	ApproveAll bool // the apply ran with --approve-all
}

type verifyRecord struct {
	Server string `param:"ldap"`
}

func (c VerifyConfig) record() any { return verifyRecord{Server: c.LDAP.Server()} }

// VerifySummary is what verify records.
type VerifySummary struct {
	Checked int `param:"checked"`
	Differ  int `param:"differ"`
}

// VerifyStage re-reads every approved action apply journaled and writes
// verify.parquet.
var VerifyStage = pipeline.Def[VerifyConfig, VerifySummary]{
	Name:   "verify",
	Record: VerifyConfig.record,
	Reads:  func(c VerifyConfig) []string { return approvedReads(c.ApproveAll) },
	Writes: []string{pipeline.FileName(pipeline.VerifyTable)},
	Do: func(ctx context.Context, env *pipeline.Env, cfg VerifyConfig) (VerifySummary, error) {
		var sum VerifySummary
		ap, err := LoadApproved(env.Dir, cfg.ApproveAll)
		if err != nil {
			return sum, err
		}
		entries, err := ReadJournal(env.Path(JournalFile))
		if err != nil {
			return sum, fmt.Errorf("%w (has apply --execute run on this snapshot?)", err)
		}
		led, err := NewLedger(entries)
		if err != nil {
			return sum, err
		}
		d, err := DialLDAP(cfg.LDAP)(ctx)
		if err != nil {
			return sum, err
		}
		defer d.Close()
		rows, err := Verify(ctx, d, ap, led)
		if err != nil {
			return sum, err
		}
		for _, r := range rows {
			if !r.Matches.IsTrue() {
				sum.Differ++
			}
		}
		sum.Checked = len(rows)
		out, err := pipeline.WriteTable(env.Dir, pipeline.VerifyTable, rows)
		if err != nil {
			return sum, err
		}
		env.AddOutput(out)
		return sum, nil
	},
}

// RunVerify runs verify and returns an error wrapping
// pipeline.ErrDirectoryDiffers when any value differs.
func RunVerify(ctx context.Context, dir string, cfg VerifyConfig) (VerifySummary, error) {
	sum, _, err := VerifyStage.Run(ctx, pipeline.NewRunner(dir), cfg)
	if err != nil {
		return sum, err
	}
	if sum.Differ > 0 {
		return sum, fmt.Errorf("%d values differ: see verify.parquet: %w", sum.Differ, pipeline.ErrDirectoryDiffers)
	}
	return sum, nil
}

// Command syncgap audits and corrects Entra ID DirSyncOverrides: mobile and
// otherMobile values that stopped syncing from Active Directory.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// exitError carries a specific exit code (e.g. replay differences) without printing twice.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// defaultMemoryLimit keeps a million-user run under 1.5 GiB of RSS: the
// stages' live heaps stay below ~1 GiB, and without a limit the garbage
// collector lets the heap grow to twice the live size. GOMEMLIMIT overrides it.
const defaultMemoryLimit = 1200 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := newRoot()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "syncgap: error:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(1)
}

func newRoot() *cobra.Command {
	var verbose bool
	var cpuprofile string
	var stopProfile func()
	root := &cobra.Command{
		Use:   "syncgap",
		Short: "Audit and fix Entra ID DirSyncOverrides on mobile and otherMobile",
		Long: `syncgap compares the mobile and otherMobile numbers in Active Directory with
MobilePhone and AlternateMobilePhones in Entra ID, tells what enabling the tenant
feature BypassDirSyncOverridesEnabled would clear, overwrite or fill, and writes
an Excel workbook for the change board.

Every stage reads and writes Parquet tables in a snapshot directory, with a
manifest.json recording inputs, parameters and hashes, so any stage can be
replayed later with byte-identical results.`,
		Example: `  # the whole offline audit
  syncgap audit --ldif ad.ldif --export graph-pages/ --export msol.csv \
      --tenant-features features.json --out snap/

  # one user, both sides and the verdict
  syncgap show john.smith@contoso.com --snapshot snap/

  # prove the saved snapshot still gives the same results
  syncgap replay snap/`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
			if cpuprofile != "" {
				f, err := os.Create(cpuprofile)
				if err == nil && pprof.StartCPUProfile(f) == nil {
					stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
				}
			}
		},
		PersistentPostRun: func(*cobra.Command, []string) {
			if stopProfile != nil {
				stopProfile()
			}
		},
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log debug detail")
	root.PersistentFlags().StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile (for performance work)")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.AddCommand(
		newExtractADCmd(), newExtractEntraCmd(), newJoinCmd(), newClassifyCmd(), newReportCmd(),
		newAuditCmd(), newPlanCmd(), newReplanCmd(), newApproveCmd(), newApplyCmd(), newRollbackCmd(), newVerifyCmd(),
		newReplayCmd(), newShowCmd(), newFixturesCmd(), newVersionCmd(),
	)
	return root
}

// A Samba AD DC's self-made certificate may carry a negative serial number,
// which Go refuses since 1.23 even with verification off; the certificate is
// otherwise sound, and the DC is the user's own (docs/dependencies.md,
// "crypto/x509").

//go:debug x509negativeserial=1

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
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
)

// Exit statuses, mapped from error kinds in exitCode only.
const exitCodes = `Exit status:
  0  success
  1  an error: bad input, a refused or stale snapshot, a failed connection
  2  wrong usage: an unknown command or flag
  3  replay: an output differs from the manifest
  4  apply: some actions failed (see apply_results.parquet)
  5  verify, verify-cloud: AD or the cloud holds other values than it should`

// exitCode maps an error to the process exit status listed in exitCodes.
func exitCode(err error) int {
	switch {
	case errors.Is(err, pipeline.ErrReplayDiffers):
		return 3
	case errors.Is(err, pipeline.ErrActionsFailed):
		return 4
	case errors.Is(err, pipeline.ErrDirectoryDiffers):
		return 5
	case isUsageError(err):
		return 2
	}
	return 1
}

// isUsageError tells cobra's own complaints about the command line.
func isUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "required flag", "accepts ", "invalid argument", "flag needs an argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// defaultMemoryLimit is memoryLimit of the default --memory: without a
// limit the garbage collector lets the heap grow to twice the live size.
// GOMEMLIMIT overrides it.
var defaultMemoryLimit = memoryLimit(pipeline.DefaultMemory)

// memoryLimit is the garbage collector's soft limit for a --memory budget:
// a sixteenth above it, since the stages size their buffers within it. The
// collector lets the heap grow to the limit between cycles, and the
// process's RSS is the limit plus what the runtime does not count (the
// binary's pages, freed spans not yet returned): at an eighth above, join
// alone on 10M users peaked at 1,203-1,240 MiB with a live heap of at most
// 810 MiB (docs/architecture.md, "Memory").
func memoryLimit(budget int64) int64 { return budget + budget/16 }

// parseMemory reads a --memory value: a number of bytes with an optional
// unit (KiB, MiB, GiB, or K, M, G as the same powers of two).
func parseMemory(s string) (int64, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToLower(strings.TrimSpace(t[len(num):]))
	mult := map[string]int64{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
		"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || mult == 0 || n <= 0 || n > 1<<50/mult {
		return 0, fmt.Errorf("--memory %q: give a size such as 512MiB or 2GiB", s)
	}
	if n*mult < 64<<10 {
		return 0, fmt.Errorf("--memory %q: at least 64KiB", s)
	}
	return n * mult, nil
}

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	// Ctrl-C and SIGTERM (a service manager, a closed terminal, kill) cancel
	// the context: stages stop at their next check and remove what they had
	// not committed, and apply journals the writes in flight. A second
	// signal ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	logs := newCommandLog(os.Args[1:])
	root := newRoot()
	err := root.ExecuteContext(withCommandLog(ctx, logs))
	if lerr := logs.finish(err); lerr != nil {
		slog.Warn("the snapshot's log was not written", "error", lerr)
	}
	if err == nil {
		return
	}
	if ctx.Err() != nil && err.Error() == context.Canceled.Error() {
		// A stage that stopped at a signal says no more than that.
		err = errors.New("interrupted (Ctrl-C or SIGTERM): what was not finished was not kept")
	}
	fmt.Fprintln(os.Stderr, "syncgap: error:", pipeline.TerminalText(err.Error()))
	os.Exit(exitCode(err))
}

func newRoot() *cobra.Command {
	var verbose bool
	var cpuprofile, memprofile, memory string
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
replayed later with byte-identical results. docs/architecture.md in the
source tree describes the stages and the tables between them.

` + exitCodes,
		Example: `  # the whole offline audit
  syncgap audit --ldif ad.ldif --export graph-pages/ --export msol.csv \
      --tenant-features features.json --out snap/

  # one user, both sides and the verdict
  syncgap show john.smith@contoso.com --snapshot snap/

  # prove the saved snapshot still gives the same results
  syncgap replay snap/`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			budget, err := parseMemory(memory)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("memory") && os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(memoryLimit(budget))
			}
			cmd.SetContext(pipeline.WithMemory(cmd.Context(), budget))
			logs := logOf(cmd.Context())
			if logs == nil { // run in-process by a test
				logs = newCommandLog(nil)
			}
			if verbose {
				logs.setVerbose()
			}
			slog.SetDefault(slog.New(logs.handler()))
			if cpuprofile != "" {
				f, err := os.Create(cpuprofile)
				if err == nil && pprof.StartCPUProfile(f) == nil {
					stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
				}
			}
			return nil
		},
		PersistentPostRun: func(*cobra.Command, []string) {
			if stopProfile != nil {
				stopProfile()
			}
			if memprofile != "" {
				if f, err := os.Create(memprofile); err == nil {
					pprof.Lookup("allocs").WriteTo(f, 0)
					f.Close()
				}
			}
		},
	}
	root.SetFlagErrorFunc(flagError)
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log what each stage does on stderr, with debug detail (it always goes to the snapshot's syncgap.log)")
	root.PersistentFlags().StringVar(&memory, "memory", "1GiB",
		"memory the command may use, e.g. 512MiB or 2GiB: stages that sort spill to disk beside their outputs beyond it")
	root.PersistentFlags().StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile (for performance work)")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentFlags().StringVar(&memprofile, "memprofile", "", "write an allocation profile (for performance work)")
	root.PersistentFlags().MarkHidden("memprofile")
	root.AddCommand(
		newExtractADCmd(), newExtractEntraCmd(), newJoinCmd(), newClassifyCmd(), newReportCmd(),
		newAuditCmd(), newPlanCmd(), newReplanCmd(), newApproveCmd(), newApplyCmd(), newRollbackCmd(), newVerifyCmd(),
		newVerifyCloudCmd(), newRestorePlanCmd(), newReplayCmd(), newShowCmd(), newExportCmd(), newFixturesCmd(), newVersionCmd(),
		newDiffCmd(),
	)
	return root
}

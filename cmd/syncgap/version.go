package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"syncgap/pipeline"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the tool version",
		Example: `  syncgap version`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return nil
		},
	}
}

// versionLine is what version and --version print: the tool version (the
// one manifests record) and the Go toolchain and platform it was built for.
func versionLine() string {
	return fmt.Sprintf("%s (%s, %s/%s)", pipeline.ToolVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

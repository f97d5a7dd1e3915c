package main

import (
	"fmt"

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
			fmt.Fprintln(cmd.OutOrStdout(), pipeline.ToolVersion())
			return nil
		},
	}
}

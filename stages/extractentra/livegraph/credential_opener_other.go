//go:build !linux

package livegraph

// browserOpener: Windows (ShellExecute) and macOS (open) open the default
// browser themselves; elsewhere github.com/pkg/browser's own error names
// what is missing.
func browserOpener() (string, error) { return "", nil }

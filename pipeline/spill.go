package pipeline

import (
	"fmt"
	"os"
)

// SpillDir is a stage's scratch directory, `.syncgap-spill-*` inside the
// directory the stage writes, made when first asked for and removed by
// Remove, which the stage defers so that it goes on success, error or
// Ctrl-C (docs/architecture.md, "Memory"). A process killed outright
// leaves it; nothing reads it again.
type SpillDir struct {
	parent string
	dir    string
}

// NewSpillDir returns a spill directory to be made under parent.
func NewSpillDir(parent string) *SpillDir { return &SpillDir{parent: parent} }

// Path is the directory, made on the first call.
func (d *SpillDir) Path() (string, error) {
	if d.dir == "" {
		dir, err := os.MkdirTemp(d.parent, ".syncgap-spill-")
		if err != nil {
			return "", fmt.Errorf("spill directory: %w", err)
		}
		d.dir = dir
	}
	return d.dir, nil
}

// Remove removes the directory and everything in it, if it was made.
func (d *SpillDir) Remove() error {
	if d.dir == "" {
		return nil
	}
	err := os.RemoveAll(d.dir)
	d.dir = ""
	return err
}

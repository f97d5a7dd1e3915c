package pipeline

import (
	"errors"
	"fmt"
)

// ParseError is bad input in a text file: it names the file and the position,
// so every bad input is reported as one line a person can act on.
type ParseError struct {
	File   string // as the user named it
	Line   int    // 1-based; 0 when unknown (e.g. an empty file)
	Column int    // 1-based; 0 when not meaningful
	Err    error
}

func (e *ParseError) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	case e.Column == 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	default:
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	}
}

func (e *ParseError) Unwrap() error { return e.Err }

// CellError is bad input in a workbook: it names the file, sheet and cell.
type CellError struct {
	File  string
	Sheet string
	Cell  string // A1 style
	Err   error
}

func (e *CellError) Error() string {
	return fmt.Sprintf("%s: sheet %q cell %s: %v", e.File, e.Sheet, e.Cell, e.Err)
}

func (e *CellError) Unwrap() error { return e.Err }

// Sentinel errors that callers match with errors.Is.
var (
	// ErrEmptyInput is an input file or directory holding no records at all.
	ErrEmptyInput = errors.New("no records found")
	// ErrStale is a snapshot whose recorded inputs no longer match the files on disk.
	ErrStale = errors.New("snapshot is stale")
)

// Errors that end a run with a particular exit status (cmd/syncgap maps
// them in one place, and `syncgap --help` lists the codes).
var (
	// ErrReplayDiffers is a replay whose outputs differ from the manifest (exit 3).
	ErrReplayDiffers = errors.New("replay differs from the manifest")
	// ErrActionsFailed is an apply in which some actions failed (exit 4).
	ErrActionsFailed = errors.New("some actions failed")
	// ErrDirectoryDiffers is a verify that found values other than the
	// plan says the directory should hold (exit 5).
	ErrDirectoryDiffers = errors.New("the directory differs from what it should hold")
)

// Package diff compares two audited snapshots user by user: what changed
// on the AD side, on the cloud side and in the verdict, and which users
// appeared or disappeared (docs/rules.md, "Diff"). It writes diff.parquet
// and the diff workbook into a new snapshot, or only counts for the
// terminal.
//
//	d, err := diff.Load(ctx, "snap-2026-11-24", "snap-2026-12-01")
//	if err != nil { … }
//	defer d.Close()
//	diff.WriteText(os.Stdout, d.Book())
package diff

import (
	"context"
	"fmt"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// Config names the two snapshots compared.
type Config struct {
	Before string `param:"before"` // absolute path of the earlier snapshot
	After  string `param:"after"`  // absolute path of the later snapshot
}

// Summary is what diff records, and the whole book for the caller.
type Summary struct {
	Before      int `param:"before_users"`
	After       int `param:"after_users"`
	Changed     int `param:"changed"`
	Unchanged   int `param:"unchanged"`
	Appeared    int `param:"appeared"`
	Disappeared int `param:"disappeared"`
	// Book is what the terminal summary prints, without the rows: they
	// are read from the snapshots' tables, released when the stage returns.
	Book *workbook.DiffBook `param:"-"`
}

// Files are what diff writes into its snapshot.
var Files = []string{pipeline.FileName(pipeline.DiffTable), workbook.DiffFile}

// Stage compares the snapshots cfg names, which lie outside the one it
// writes: diff.parquet and diff.xlsx.
var Stage = pipeline.Def[Config, Summary]{
	Name:   "diff",
	Writes: Files,
	Do:     run,
}

func run(ctx context.Context, env *pipeline.Env, cfg Config) (Summary, error) {
	d, err := Load(ctx, cfg.Before, cfg.After)
	if err != nil {
		return Summary{}, err
	}
	defer d.Close()
	env.AddInput(d.before.Input)
	env.AddInput(d.after.Input)
	out, err := d.writeTable(ctx, env.Dir)
	if err != nil {
		return Summary{}, err
	}
	env.AddOutput(out)
	book := d.Book()
	if err := workbook.WriteDiff(ctx, env.Path(workbook.DiffFile), book); err != nil {
		return Summary{}, err
	}
	sum, _, err := pipeline.HashFile(env.Path(workbook.DiffFile))
	if err != nil {
		return Summary{}, err
	}
	env.AddOutput(pipeline.OutputRecord{File: workbook.DiffFile, Rows: out.Rows, SHA256: sum})
	book.Rows = nil
	c := &book.Counts
	return Summary{
		Before: c.Before, After: c.After, Changed: c.Changed, Unchanged: c.Unchanged(),
		Appeared: c.ByKind[pipeline.Appeared], Disappeared: c.ByKind[pipeline.Disappeared],
		Book: book,
	}, nil
}

// Diff is two snapshots open and compared.
type Diff struct {
	before, after *Snapshot
	res           *Result
}

// Load opens both snapshots (refusing what is no audited snapshot) and
// compares them; Close releases them.
func Load(ctx context.Context, before, after string) (*Diff, error) {
	b, err := Open(before, "before")
	if err != nil {
		return nil, err
	}
	a, err := Open(after, "after")
	if err != nil {
		b.Close()
		return nil, err
	}
	res, err := Compare(ctx, b.Gaps, a.Gaps)
	if err != nil {
		b.Close()
		a.Close()
		return nil, err
	}
	return &Diff{before: b, after: a, res: res}, nil
}

// Close releases both snapshots' tables; the book's rows go with them.
func (d *Diff) Close() {
	d.before.Close()
	d.after.Close()
}

// Book is the diff as the workbook and the terminal show it.
func (d *Diff) Book() *workbook.DiffBook {
	return &workbook.DiffBook{
		Before: d.before.Info, After: d.after.Info, ToolVersion: pipeline.ToolVersion(),
		Counts: d.res.Counts, Rows: d.res,
	}
}

// writeTable writes diff.parquet into dir.
func (d *Diff) writeTable(ctx context.Context, dir string) (pipeline.OutputRecord, error) {
	w, err := pipeline.CreateTable[pipeline.DiffRow](dir, pipeline.DiffTable)
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	for n, row := range d.res.All() {
		if err := stopped(ctx, n); err != nil {
			w.Abort()
			return pipeline.OutputRecord{}, err
		}
		if err := w.Write(row); err != nil {
			w.Abort()
			return pipeline.OutputRecord{}, fmt.Errorf("write %s: %w", pipeline.FileName(pipeline.DiffTable), err)
		}
	}
	return w.Commit()
}

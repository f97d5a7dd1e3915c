// Package report is the stage that turns a classified snapshot into the
// audit workbook (the workbook itself is package workbook), and the view
// of one user that syncgap show prints.
package report

import (
	"context"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// Config is report's configuration: none.
type Config struct{}

// Summary is what report records.
type Summary struct {
	Rows int64 `param:"rows"`
}

// Stage reads gaps and tenant (and the manifest's input records) and
// writes report.xlsx.
var Stage = pipeline.Def[Config, Summary]{
	Name: "report",
	Reads: func(Config) []string {
		return []string{pipeline.FileName(pipeline.GapsTable), pipeline.FileName(pipeline.TenantTable)}
	},
	Writes: []string{workbook.File},
	Do:     run,
}

func run(ctx context.Context, env *pipeline.Env, _ Config) (Summary, error) {
	a, err := workbook.LoadAudit(env.Dir, env.Manifest)
	if err != nil {
		return Summary{}, err
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	if err := workbook.WriteAudit(ctx, env.Path(workbook.File), a); err != nil {
		return Summary{}, err
	}
	out, err := workbook.Output(env.Dir, int64(a.Gaps.Len()))
	if err != nil {
		return Summary{}, err
	}
	env.AddOutput(out)
	return Summary{Rows: out.Rows}, nil
}

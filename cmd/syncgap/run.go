package main

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"time"

	"syncgap/pipeline"
)

// withProgress gives the stages a progress bar when stderr is a terminal.
func withProgress(ctx context.Context) context.Context {
	if p := newProgress(); p != nil {
		return pipeline.WithProgress(ctx, p)
	}
	return ctx
}

// runStage runs one stage through r and logs what it wrote.
func runStage[C, S any](ctx context.Context, r *pipeline.Runner, def pipeline.Def[C, S], cfg C) (S, error) {
	logOf(ctx).writesTo(r.Dir())
	start := time.Now()
	sum, rec, err := def.Run(withProgress(ctx), r, cfg)
	if err == nil {
		logRecord(rec, start)
	}
	return sum, err
}

// logRecord logs a stage's outputs and its summary, one line each.
func logRecord(rec *pipeline.StageRecord, start time.Time) {
	for _, o := range rec.Outputs {
		slog.Info("wrote", "stage", rec.Stage, "file", o.File, "rows", o.Rows, "elapsed", time.Since(start).Round(time.Millisecond))
	}
	if len(rec.Detail) > 0 {
		// One line, keys in order: a map's own order changes run to run.
		args := []any{"stage", rec.Stage}
		for _, k := range slices.Sorted(maps.Keys(rec.Detail)) {
			args = append(args, k, rec.Detail[k])
		}
		slog.Info("detail", args...)
	}
}

// runInNewSnapshot runs one stage into a new snapshot out, under audit's
// rules for --out, which takes out's place only when the stage succeeded.
func runInNewSnapshot[C, S any](ctx context.Context, out string, replace bool, def pipeline.Def[C, S], cfg C) (S, error) {
	var none S
	tx, err := pipeline.BeginSnapshot(out, replace)
	if err != nil {
		return none, err
	}
	defer tx.Abort()
	s, err := runStage(ctx, pipeline.NewRunner(tx.Dir()), def, cfg)
	if err != nil {
		return s, err
	}
	if err := tx.Commit(); err != nil {
		return s, err
	}
	logOf(ctx).writesTo(out)
	return s, nil
}

// runStages runs bound stages through r in order and logs each.
func runStages(ctx context.Context, r *pipeline.Runner, stages ...pipeline.Stage) error {
	logOf(ctx).writesTo(r.Dir())
	for _, st := range stages {
		start := time.Now()
		rec, _, err := r.Run(withProgress(ctx), st)
		if err != nil {
			return err
		}
		logRecord(rec, start)
	}
	return nil
}

package main

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"time"

	"syncgap/pipeline"
)

// runStage runs one stage on a snapshot and logs what it wrote.
func runStage(ctx context.Context, dir string, st pipeline.Stage, params map[string]string) (*pipeline.StageRecord, error) {
	start := time.Now()
	if p := newProgress(); p != nil {
		ctx = pipeline.WithProgress(ctx, p)
	}
	rec, err := pipeline.RunStage(ctx, dir, st, params)
	if err != nil {
		return nil, err
	}
	for _, o := range rec.Outputs {
		slog.Info("wrote", "stage", st.Name, "file", o.File, "rows", o.Rows, "elapsed", time.Since(start).Round(time.Millisecond))
	}
	if len(rec.Detail) > 0 {
		// One line, keys in order: a map's own order changes run to run.
		args := []any{"stage", st.Name}
		for _, k := range slices.Sorted(maps.Keys(rec.Detail)) {
			args = append(args, k, rec.Detail[k])
		}
		slog.Info("detail", args...)
	}
	return rec, nil
}

package join

import (
	"context"
	"log/slog"

	"syncgap/pipeline"
)

// Config is join's configuration: the rules take no options
// (docs/rules.md, "Join").
type Config struct{}

// Summary is what join records: rows by match status.
type Summary struct {
	Rows int64 `param:"rows"`
}

// Stage reads ad_users and entra_users and writes joined.
var Stage = pipeline.Def[Config, Summary]{
	Name: "join",
	Reads: func(Config) []string {
		return []string{pipeline.FileName(pipeline.ADUsersTable), pipeline.FileName(pipeline.EntraUsersTable)}
	},
	Writes: []string{pipeline.FileName(pipeline.JoinedTable)},
	Do:     run,
}

func run(ctx context.Context, env *pipeline.Env, _ Config) (Summary, error) {
	src := tableFiles{ad: env.Path(pipeline.FileName(pipeline.ADUsersTable)), cloud: env.Path(pipeline.FileName(pipeline.EntraUsersTable))}
	w, err := pipeline.CreateTable[pipeline.Joined](env.Dir, pipeline.JoinedTable)
	if err != nil {
		return Summary{}, err
	}
	prog := pipeline.ProgressFrom(ctx)
	prog.Start("join", "rows", 0)
	budget := pipeline.MemoryFrom(ctx)
	st, err := joinRows(ctx, src, budget, env.Dir, func(j *pipeline.Joined) error {
		if w.Rows()%4096 == 0 {
			prog.Add(4096)
		}
		return w.Write(j)
	})
	prog.Done()
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		w.Abort()
		return Summary{}, err
	}
	if st.Spilled() {
		slog.Info("joined within the memory budget, spilling to disk", "key_chunks", st.Chunks, "edge_runs", st.EdgeRuns,
			"pair_runs", st.PairRuns, "budget", pipeline.SizeText(budget))
	}
	out, err := w.Commit()
	if err != nil {
		return Summary{}, err
	}
	env.AddOutput(out)
	return Summary{Rows: out.Rows}, nil
}

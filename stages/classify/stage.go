package classify

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"

	"syncgap/phone"
	"syncgap/pipeline"
)

// Summary is what classify records.
type Summary struct {
	Rows int64 `param:"rows"`
}

// Stage reads joined and tenant and writes gaps.
var Stage = pipeline.Def[Config, Summary]{
	Name: "classify",
	Reads: func(Config) []string {
		return []string{pipeline.FileName(pipeline.JoinedTable), pipeline.FileName(pipeline.TenantTable)}
	},
	Writes: []string{pipeline.FileName(pipeline.GapsTable)},
	Do:     run,
}

// batchRows rows are read, classified in parallel and written in order.
const batchRows = 8192

func run(ctx context.Context, env *pipeline.Env, cfg Config) (Summary, error) {
	flags, err := pipeline.ReadRows[pipeline.TenantFlag](env.Path(pipeline.FileName(pipeline.TenantTable)))
	if err != nil {
		return Summary{}, err
	}
	for _, f := range flags {
		if f.Feature == pipeline.BypassFeature {
			cfg.BypassEnabled = f.Enabled.IsTrue()
		}
	}
	r, err := pipeline.OpenReader[joinedRow](env.Path(pipeline.FileName(pipeline.JoinedTable)))
	if err != nil {
		return Summary{}, err
	}
	defer r.Close()
	w, err := pipeline.CreateTable[pipeline.Gap](env.Dir, pipeline.GapsTable)
	if err != nil {
		return Summary{}, err
	}
	if err := cfg.stream(ctx, r, w); err != nil {
		w.Abort()
		return Summary{}, err
	}
	out, err := w.Commit()
	if err != nil {
		return Summary{}, err
	}
	env.AddOutput(out)
	return Summary{Rows: out.Rows}, nil
}

// stream classifies every row of r into w, in order, on all cores.
func (c Config) stream(ctx context.Context, r *pipeline.Reader[joinedRow], w *pipeline.Writer[pipeline.Gap]) error {
	prog := pipeline.ProgressFrom(ctx)
	prog.Start("classify", "rows", r.NumRows())
	defer prog.Done()
	workers := runtime.GOMAXPROCS(0)
	parsers := make([]*phone.Parser, workers)
	for i := range parsers {
		parsers[i] = phone.NewParser()
	}
	in := make([]pipeline.Joined, batchRows)
	out := make([]pipeline.Gap, batchRows)
	var row joinedRow
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := 0
		for ; n < batchRows; n++ {
			err := r.Next(&row)
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			in[n] = row.joined()
		}
		if n == 0 {
			return nil
		}
		var wg sync.WaitGroup
		per := (n + workers - 1) / workers
		for k := 0; k < workers; k++ {
			lo, hi := k*per, min((k+1)*per, n)
			if lo >= hi {
				break
			}
			wg.Add(1)
			go func(p *phone.Parser) {
				defer wg.Done()
				for i := lo; i < hi; i++ {
					out[i] = c.Row(&in[i], p)
				}
			}(parsers[k])
		}
		wg.Wait()
		prog.Add(int64(n))
		for i := 0; i < n; i++ {
			if err := w.Write(&out[i]); err != nil {
				return fmt.Errorf("write gaps: %w", err)
			}
		}
		if n < batchRows {
			return nil
		}
	}
}

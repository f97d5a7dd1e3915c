package classify

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"syncgap/pipeline"
)

// ParamDefaultRegion is the manifest parameter for Config.DefaultRegion.
const ParamDefaultRegion = "default_region"

// Stage reads joined and tenant from a snapshot and writes gaps.
func Stage() pipeline.Stage {
	return pipeline.Stage{Name: "classify", Replayable: true, Run: run}
}

// batchRows rows are read, classified in parallel and written in order.
const batchRows = 8192

func run(ctx context.Context, dir string, params map[string]string) (*pipeline.Result, error) {
	cfg := Config{DefaultRegion: strings.ToUpper(params[ParamDefaultRegion])}
	var res pipeline.Result
	for _, t := range []string{pipeline.JoinedTable, pipeline.TenantTable} {
		in, err := pipeline.TableInput(dir, t)
		if err != nil {
			return nil, err
		}
		res.Inputs = append(res.Inputs, in)
	}
	flags, err := pipeline.ReadTable[pipeline.TenantFlag](filepath.Join(dir, pipeline.FileName(pipeline.TenantTable)))
	if err != nil {
		return nil, err
	}
	for _, f := range flags {
		if f.Feature == pipeline.BypassFeature {
			cfg.BypassEnabled = f.Enabled.IsTrue()
		}
	}
	r, err := pipeline.OpenTable[pipeline.Joined](filepath.Join(dir, pipeline.FileName(pipeline.JoinedTable)))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	w, err := pipeline.CreateTable[pipeline.Gap](dir, pipeline.GapsTable)
	if err != nil {
		return nil, err
	}
	if err := cfg.stream(ctx, r, w); err != nil {
		w.Abort()
		return nil, err
	}
	out, err := w.Commit()
	if err != nil {
		return nil, err
	}
	res.Outputs = []pipeline.OutputRecord{out}
	return &res, nil
}

// stream classifies every row of r into w, in order, on all cores.
func (c Config) stream(ctx context.Context, r *pipeline.Reader[pipeline.Joined], w *pipeline.Writer[pipeline.Gap]) error {
	prog := pipeline.ProgressFrom(ctx)
	prog.Start("classify", "rows", r.NumRows())
	defer prog.Done()
	workers := runtime.GOMAXPROCS(0)
	parsers := make([]*parser, workers)
	for i := range parsers {
		parsers[i] = newParser()
	}
	in := make([]pipeline.Joined, batchRows)
	out := make([]pipeline.Gap, batchRows)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := 0
		for ; n < batchRows; n++ {
			err := r.Next(&in[n])
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
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
			go func(p *parser) {
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

package join

import (
	"context"
	"path/filepath"

	"syncgap/pipeline"
)

// Stage reads ad_users and entra_users from a snapshot and writes joined.
func Stage() pipeline.Stage {
	return pipeline.Stage{Name: "join", Replayable: true, Run: run}
}

func run(ctx context.Context, dir string, _ map[string]string) (*pipeline.Result, error) {
	var res pipeline.Result
	for _, t := range []string{pipeline.ADUsersTable, pipeline.EntraUsersTable} {
		in, err := pipeline.TableInput(dir, t)
		if err != nil {
			return nil, err
		}
		res.Inputs = append(res.Inputs, in)
	}
	ad, err := pipeline.ReadTable[pipeline.ADUser](filepath.Join(dir, pipeline.FileName(pipeline.ADUsersTable)))
	if err != nil {
		return nil, err
	}
	cloud, err := pipeline.ReadTable[pipeline.EntraUser](filepath.Join(dir, pipeline.FileName(pipeline.EntraUsersTable)))
	if err != nil {
		return nil, err
	}
	w, err := pipeline.CreateTable[pipeline.Joined](dir, pipeline.JoinedTable)
	if err != nil {
		return nil, err
	}
	counts := map[pipeline.MatchStatus]int{}
	err = Compute(ad, cloud).Emit(func(j *pipeline.Joined) error {
		counts[j.MatchStatus]++
		return w.Write(j)
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
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

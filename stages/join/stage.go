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
	adPath := filepath.Join(dir, pipeline.FileName(pipeline.ADUsersTable))
	keys, err := pipeline.ReadTable[ADKey](adPath)
	if err != nil {
		return nil, err
	}
	cloud, err := pipeline.LoadTable[pipeline.EntraUser](filepath.Join(dir, pipeline.FileName(pipeline.EntraUsersTable)))
	if err != nil {
		return nil, err
	}
	defer cloud.Release()
	plan := Compute(keys, cloud)
	adRows, err := pipeline.OpenTable[pipeline.ADUser](adPath)
	if err != nil {
		return nil, err
	}
	defer adRows.Close()
	w, err := pipeline.CreateTable[pipeline.Joined](dir, pipeline.JoinedTable)
	if err != nil {
		return nil, err
	}
	prog := pipeline.ProgressFrom(ctx)
	prog.Start("join", "rows", 0)
	err = plan.Emit(adRows.Next, func(j *pipeline.Joined) error {
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
		return nil, err
	}
	out, err := w.Commit()
	if err != nil {
		return nil, err
	}
	res.Outputs = []pipeline.OutputRecord{out}
	return &res, nil
}

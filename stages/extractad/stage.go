package extractad

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"syncgap/pipeline"
)

// ParamLDIF is the manifest parameter naming the LDIF file.
const ParamLDIF = "ldif"

// Stage reads the LDIF file named by the ldif parameter and writes ad_users.
// Rows are sorted by DN so that the table does not depend on the order the
// directory or the export tool happened to return entries in.
func Stage() pipeline.Stage {
	return pipeline.Stage{Name: "extract-ad", Run: run}
}

func run(ctx context.Context, dir string, params map[string]string) (*pipeline.Result, error) {
	path := params[ParamLDIF]
	if path == "" {
		return nil, fmt.Errorf("extract-ad: no LDIF file given")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open ldif: %w", err)
	}
	defer f.Close()
	prog := pipeline.ProgressFrom(ctx)
	if info, err := f.Stat(); err == nil {
		prog.Start("extract-ad", "bytes", info.Size())
	}
	defer prog.Done()
	hr := pipeline.NewHashingReader(pipeline.ProgressReader{R: f, P: prog})
	var users userChunks
	if _, err := ReadLDIF(hr, path, func(u *pipeline.ADUser) error {
		users.add(u)
		return ctx.Err()
	}); err != nil {
		return nil, err
	}
	out, err := writeUsers(dir, &users)
	if err != nil {
		return nil, err
	}
	return &pipeline.Result{
		Inputs:  []pipeline.InputRecord{hr.Record(path)},
		Outputs: []pipeline.OutputRecord{out},
	}, nil
}

// writeUsers writes the collected users as ad_users in table order. Both
// sources call it only once everything is read, so a failed read leaves no table.
func writeUsers(dir string, users *userChunks) (pipeline.OutputRecord, error) {
	w, err := pipeline.CreateTable[pipeline.ADUser](dir, pipeline.ADUsersTable)
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	for _, u := range users.sorted() {
		if err := w.Write(u); err != nil {
			w.Abort()
			return pipeline.OutputRecord{}, err
		}
	}
	return w.Commit()
}

// userChunks collects users in fixed-size blocks: one growing slice of a
// million structs would be copied at every doubling, each copy a long
// non-preemptible memmove that stalls the garbage collector.
type userChunks struct {
	blocks [][]pipeline.ADUser
}

const chunkUsers = 8192

func (c *userChunks) add(u *pipeline.ADUser) {
	if n := len(c.blocks); n == 0 || len(c.blocks[n-1]) == chunkUsers {
		c.blocks = append(c.blocks, make([]pipeline.ADUser, 0, chunkUsers))
	}
	last := &c.blocks[len(c.blocks)-1]
	*last = append(*last, *u)
}

// sorted returns the users in table order: by DN case-insensitively, then
// exactly. Keys are lower-cased once, not per comparison.
func (c *userChunks) sorted() []*pipeline.ADUser {
	type key struct {
		fold string
		u    *pipeline.ADUser
	}
	n := 0
	for _, b := range c.blocks {
		n += len(b)
	}
	keys := make([]key, 0, n)
	for b := range c.blocks {
		for i := range c.blocks[b] {
			u := &c.blocks[b][i]
			keys = append(keys, key{strings.ToLower(u.DN), u})
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.fold, b.fold); c != 0 {
			return c
		}
		return strings.Compare(a.u.DN, b.u.DN)
	})
	out := make([]*pipeline.ADUser, len(keys))
	for i, k := range keys {
		out[i] = k.u
	}
	return out
}

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
	hr := pipeline.NewHashingReader(f)
	var users []pipeline.ADUser
	if _, err := ReadLDIF(hr, path, func(u *pipeline.ADUser) error {
		users = append(users, *u)
		return ctx.Err()
	}); err != nil {
		return nil, err
	}
	SortUsers(users)
	out, err := pipeline.WriteTable(dir, pipeline.ADUsersTable, users)
	if err != nil {
		return nil, err
	}
	return &pipeline.Result{
		Inputs:  []pipeline.InputRecord{hr.Record(path)},
		Outputs: []pipeline.OutputRecord{out},
	}, nil
}

// SortUsers puts AD users in table order: by DN, case-insensitively, then
// exactly. Keys are lower-cased once, not per comparison: at 1M users the
// difference is seconds.
func SortUsers(users []pipeline.ADUser) {
	type key struct {
		fold string
		i    int32
	}
	keys := make([]key, len(users))
	for i := range users {
		keys[i] = key{strings.ToLower(users[i].DN), int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.fold, b.fold); c != 0 {
			return c
		}
		return strings.Compare(users[a.i].DN, users[b.i].DN)
	})
	sorted := make([]pipeline.ADUser, len(users))
	for i, k := range keys {
		sorted[i] = users[k.i]
	}
	copy(users, sorted)
}

package extractad

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"syncgap/pipeline"
)

// LDIFConfig is extract-ad reading an LDIF export.
type LDIFConfig struct {
	// LDIF is the export's path, as the user gave it.
	LDIF string `param:"ldif"`
	// AllowMissingAttributes reads an export in which no user carries
	// mobile or otherMobile, objectGUID or userPrincipalName, for a
	// directory that truly has none; by default that is refused, since an
	// attribute list that left them out would make every cloud value look
	// like one AD lacks (see coverage).
	AllowMissingAttributes bool `param:"allow_missing_attributes,omitempty"`
}

// Validate refuses a config without a file.
func (c *LDIFConfig) Validate() error {
	if c.LDIF == "" {
		return fmt.Errorf("extract-ad: no LDIF file given")
	}
	return nil
}

// LDIFSummary is what extract-ad records of an LDIF run.
type LDIFSummary struct {
	Users int `param:"users"`
	// MissingAttributes names what no user carried, when that was allowed.
	MissingAttributes string `param:"missing_attributes,omitempty"`
}

// adUsersFile is the table both sources write.
var adUsersFile = []string{pipeline.FileName(pipeline.ADUsersTable)}

// LDIFStage reads the LDIF file and writes ad_users. Rows are sorted by DN
// so that the table does not depend on the order the directory or the
// export tool happened to return entries in (docs/tables.md, "ad_users").
var LDIFStage = pipeline.Def[LDIFConfig, LDIFSummary]{
	Name:   "extract-ad",
	Writes: adUsersFile,
	Do:     runLDIF,
}

func runLDIF(ctx context.Context, env *pipeline.Env, cfg LDIFConfig) (LDIFSummary, error) {
	path := cfg.LDIF
	f, size, src, err := openLDIF(path)
	if err != nil {
		return LDIFSummary{}, err
	}
	defer f.Close()
	prog := pipeline.ProgressFrom(ctx)
	prog.Start("extract-ad", "bytes", size)
	defer prog.Done()
	hr := pipeline.NewHashingReader(pipeline.ProgressReader{R: src, P: prog})
	var users userChunks
	var cov coverage
	n, err := ReadLDIF(hr, path, func(u *pipeline.ADUser) error {
		users.add(u)
		cov.add(u)
		return ctx.Err()
	})
	if err != nil {
		return LDIFSummary{}, err
	}
	sum := LDIFSummary{Users: n}
	if missing := cov.missing(); len(missing) > 0 {
		if !cfg.AllowMissingAttributes {
			return LDIFSummary{}, cov.missingError(path, missing)
		}
		sum.MissingAttributes = strings.Join(missing, ", ")
	}
	out, err := writeUsers(env.Dir, &users)
	if err != nil {
		return LDIFSummary{}, err
	}
	env.AddInput(hr.Record(path))
	env.AddOutput(out)
	return sum, nil
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

package extractentra

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"syncgap/pipeline"
)

// Config is extract-entra reading export files.
type Config struct {
	// Exports are the export paths; the first is primary and defines the
	// users, later ones only fill what it lacks (docs/inputs.md, "Entra
	// side"; Merge).
	Exports []string `param:"export,numbered"`
	// TenantFeatures names the JSON of GET /directory/onPremisesSynchronization.
	TenantFeatures string `param:"tenant_features,omitempty"`
}

// Validate refuses a config without an export.
func (c *Config) Validate() error {
	if len(c.Exports) == 0 {
		return fmt.Errorf("extract-entra: no export given")
	}
	return nil
}

// Files are the tables extract-entra writes, from any source.
var Files = []string{pipeline.FileName(pipeline.EntraUsersTable), pipeline.FileName(pipeline.TenantTable)}

// Stage reads the exports and tenant features and writes entra_users and
// tenant; both appear together or not at all.
var Stage = pipeline.Def[Config, pipeline.EntraSummary]{
	Name:   "extract-entra",
	Writes: Files,
	Do:     run,
}

func run(ctx context.Context, env *pipeline.Env, cfg Config) (pipeline.EntraSummary, error) {
	set, err := ReadExports(ctx, cfg.Exports)
	if err != nil {
		return pipeline.EntraSummary{}, err
	}
	users, err := Merge(set.Exports)
	if err != nil {
		return pipeline.EntraSummary{}, err
	}
	for _, in := range set.Inputs {
		env.AddInput(in)
	}
	var flags []pipeline.TenantFlag
	if fp := cfg.TenantFeatures; fp != "" {
		var in pipeline.InputRecord
		if flags, in, err = readTenantFeatures(fp); err != nil {
			return pipeline.EntraSummary{}, err
		}
		env.AddInput(in)
	} else {
		flags = UnknownTenant("not provided (pass --tenant-features with the JSON of GET /directory/onPremisesSynchronization)")
	}
	if err := WriteTables(env, users, flags); err != nil {
		return pipeline.EntraSummary{}, err
	}
	return set.Summary(), nil
}

// ExportSet is a list of exports as read, with what the manifest records
// about them.
type ExportSet struct {
	Exports []*Export
	Inputs  []pipeline.InputRecord // every file read, hashed
	// Weak is true when the primary export lacks sync flags or immutable
	// ids; a weak later one (e.g. an MSOnline CSV adding otherMobile) does
	// not weaken the anchors and flags the primary brings.
	Weak bool
}

// ReadExports reads and hashes each export in order.
func ReadExports(ctx context.Context, paths []string) (*ExportSet, error) {
	set := &ExportSet{}
	if err := set.Read(ctx, paths); err != nil {
		return nil, err
	}
	return set, nil
}

// Read reads and hashes each export in order, after those already in the
// set. The live Graph stage reads its secondary exports (an MSOnline CSV
// for AlternateMobilePhones) through it too, so both paths describe their
// inputs the same way.
//
// Two exports are read at a time: the CSV reader is one goroutine, and
// with the Graph pages read beside it both cores stay busy. Results are
// taken in order, so the error is the first export's that has one (the
// primary's refusal by checkPrimary before any later export's) whatever
// finishes first.
func (s *ExportSet) Read(ctx context.Context, paths []string) error {
	results := make([]chan hashedExport, len(paths))
	for i := range results {
		results[i] = make(chan hashedExport, 1)
	}
	slots := make(chan struct{}, 2)
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(done); wg.Wait() }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, p := range paths {
			select {
			case slots <- struct{}{}:
			case <-done:
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				results[i] <- readHashed(p)
			}()
		}
	}()
	for i := range paths {
		r := <-results[i]
		if r.err != nil {
			return r.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(s.Exports) == 0 {
			// Say so before the rest's errors, not after.
			if err := checkPrimary(r.e); err != nil {
				return err
			}
		}
		s.Add(r.e)
		s.Inputs = append(s.Inputs, r.inputs...)
	}
	return nil
}

// hashedExport is an export as read, with its files' input records.
type hashedExport struct {
	e      *Export
	inputs []pipeline.InputRecord
	err    error
}

// readHashed reads the export at p and hashes its files, unless it hashed
// them as they were parsed.
func readHashed(p string) hashedExport {
	e, err := ReadExport(p)
	if err != nil {
		return hashedExport{err: err}
	}
	if len(e.inputs) == len(e.Files) {
		return hashedExport{e: e, inputs: e.inputs}
	}
	r := hashedExport{e: e}
	for _, f := range e.Files {
		in, err := pipeline.HashInput(f)
		if err != nil {
			return hashedExport{err: err}
		}
		r.inputs = append(r.inputs, in)
	}
	return r
}

// Add appends an export that has no files to hash, such as users read
// live from Graph.
func (s *ExportSet) Add(e *Export) {
	s.Exports = append(s.Exports, e)
	s.Weak = s.Weak || (len(s.Exports) == 1 && e.WeakEvidence)
}

// Summary is what the manifest records of the set: the formats, what was
// detected in each export, whether the evidence for the join is weak, and
// (once Merge has run) how many rows of the secondary exports matched no
// user, with the first few of their UPNs across all of them.
func (s *ExportSet) Summary() pipeline.EntraSummary {
	var formats, detected, examples []string
	unmatched := 0
	for i, e := range s.Exports {
		formats = append(formats, string(e.Format))
		detected = append(detected, e.String())
		if i == 0 {
			continue // the primary defines the users; nothing of it is unmatched
		}
		unmatched += e.Unmatched
		for _, upn := range e.UnmatchedUPNs {
			if len(examples) < unmatchedExamples {
				examples = append(examples, upn)
			}
		}
	}
	return pipeline.EntraSummary{Formats: strings.Join(formats, ", "), Detected: strings.Join(detected, "; "), WeakEvidence: s.Weak,
		Unmatched: unmatched, UnmatchedExamples: strings.Join(examples, ", ")}
}

// WriteTables writes entra_users and tenant into the stage's snapshot and
// records them. Neither file appears unless both were written in full;
// every path that produces these tables goes through here, so they are
// laid out the same whatever the source.
func WriteTables(env *pipeline.Env, users []pipeline.EntraUser, flags []pipeline.TenantFlag) error {
	uw, err := pipeline.CreateTable[pipeline.EntraUser](env.Dir, pipeline.EntraUsersTable)
	if err != nil {
		return err
	}
	defer uw.Abort()
	tw, err := pipeline.CreateTable[pipeline.TenantFlag](env.Dir, pipeline.TenantTable)
	if err != nil {
		return err
	}
	defer tw.Abort()
	for i := range users {
		if err := uw.Write(&users[i]); err != nil {
			return err
		}
	}
	for i := range flags {
		if err := tw.Write(&flags[i]); err != nil {
			return err
		}
	}
	for _, w := range []interface {
		Commit() (pipeline.OutputRecord, error)
	}{uw, tw} {
		out, err := w.Commit()
		if err != nil {
			return err
		}
		env.AddOutput(out)
	}
	return nil
}

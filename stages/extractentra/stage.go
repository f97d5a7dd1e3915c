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
	set := &ExportSet{}
	defer set.Close()
	g := newGauge(ctx, env.Dir, len(cfg.Exports))
	if err := set.read(ctx, cfg.Exports, g); err != nil {
		return pipeline.EntraSummary{}, err
	}
	return set.write(ctx, env, g, func() ([]pipeline.TenantFlag, error) {
		fp := cfg.TenantFeatures
		if fp == "" {
			return UnknownTenant("not provided (pass --tenant-features with the JSON of GET /directory/onPremisesSynchronization)"), nil
		}
		flags, in, err := readTenantFeatures(fp)
		if err != nil {
			return nil, err
		}
		env.AddInput(in)
		return flags, nil
	})
}

// write merges the set's exports and writes the tables; flags are the
// tenant's, asked for once the users are merged, after the set's inputs
// are recorded.
func (s *ExportSet) write(ctx context.Context, env *pipeline.Env, g *gauge, flags func() ([]pipeline.TenantFlag, error)) (pipeline.EntraSummary, error) {
	withInputs := func() ([]pipeline.TenantFlag, error) {
		for _, in := range s.Inputs {
			env.AddInput(in)
		}
		return flags()
	}
	if s.spooled() {
		// Too many users for memory: merged by streaming passes over the
		// spools, written as they come (docs/architecture.md, "Memory").
		err := writeTables(env, func(write func(*pipeline.EntraUser) error) error {
			return s.mergeSpooled(ctx, g, write)
		}, withInputs)
		if err != nil {
			return pipeline.EntraSummary{}, err
		}
		return s.Summary(), nil
	}
	users, err := Merge(s.Exports)
	if err != nil {
		return pipeline.EntraSummary{}, err
	}
	fl, err := withInputs()
	if err != nil {
		return pipeline.EntraSummary{}, err
	}
	if err := WriteTables(env, users, fl); err != nil {
		return pipeline.EntraSummary{}, err
	}
	return s.Summary(), nil
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
	return s.read(ctx, paths, nil)
}

// read is Read with the users going to spools once g says they will not
// fit in memory (spool.go); a nil g keeps them in memory. Close the set to
// remove the spools.
func (s *ExportSet) read(ctx context.Context, paths []string, g *gauge) error {
	first := len(s.Exports)
	results := make([]chan hashedExport, len(paths))
	for i := range results {
		results[i] = make(chan hashedExport, 1)
	}
	slots := make(chan struct{}, 2)
	done := make(chan struct{})
	var wg sync.WaitGroup
	taken := 0
	defer func() {
		close(done)
		wg.Wait()
		// Exports read but never taken, after an error, hold spools too.
		for _, c := range results[taken:] {
			select {
			case r := <-c:
				r.close()
			default:
			}
		}
	}()
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
				results[i] <- readHashed(p, g.collector(first+i, p))
			}()
		}
	}()
	for i := range paths {
		r := <-results[i]
		taken = i + 1
		if r.err != nil {
			// Duplicates of an earlier export come first, as they do when
			// each export is checked as it is read.
			if err := s.checkSpooled(ctx); err != nil {
				return err
			}
			return r.err
		}
		if err := ctx.Err(); err != nil {
			r.close()
			return err
		}
		s.Add(r.e)
		s.Inputs = append(s.Inputs, r.inputs...)
		if len(s.Exports) == 1 {
			// Say so before the rest's errors, not after.
			if err := checkPrimary(r.e); err != nil {
				if dup := s.checkSpooled(ctx); dup != nil {
					return dup
				}
				return err
			}
		}
	}
	if g != nil && g.spooling.Load() {
		// The exports read in full before the gauge said to spool go too:
		// the merge streams every export. They were checked in memory.
		for _, e := range s.Exports {
			if e.sp == nil {
				if err := e.spoolUsers(g, true); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkSpooled runs the duplicate check of the spooled exports, in order,
// for an error that must come after theirs.
func (s *ExportSet) checkSpooled(ctx context.Context) error {
	for _, e := range s.Exports {
		if e.sp != nil {
			if err := e.sp.checkSpooled(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// spooled reports whether the users are in spools rather than in memory.
func (s *ExportSet) spooled() bool {
	for _, e := range s.Exports {
		if e.sp != nil {
			return true
		}
	}
	return false
}

// Close removes what the exports spilled to disk, if anything.
func (s *ExportSet) Close() error {
	var err error
	for _, e := range s.Exports {
		if e.sp != nil {
			if c := e.sp.Close(); err == nil {
				err = c
			}
		}
	}
	return err
}

// hashedExport is an export as read, with its files' input records.
type hashedExport struct {
	e      *Export
	inputs []pipeline.InputRecord
	err    error
}

// close removes what an export not taken into the set spooled.
func (r hashedExport) close() {
	if r.e != nil && r.e.sp != nil {
		r.e.sp.Close()
	}
}

// readHashed reads the export at p into col and hashes its files, unless
// it hashed them as they were parsed.
func readHashed(p string, col *collector) hashedExport {
	e, err := readExport(p, col)
	if err != nil {
		if col.spooling() {
			col.sp.Close()
		}
		return hashedExport{err: err}
	}
	if len(e.inputs) == len(e.Files) {
		return hashedExport{e: e, inputs: e.inputs}
	}
	r := hashedExport{e: e}
	for _, f := range e.Files {
		in, err := pipeline.HashInput(f)
		if err != nil {
			r.close()
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
	return writeTables(env, func(write func(*pipeline.EntraUser) error) error {
		for i := range users {
			if err := write(&users[i]); err != nil {
				return err
			}
		}
		return nil
	}, func() ([]pipeline.TenantFlag, error) { return flags, nil })
}

// writeTables is WriteTables with the users coming from a function that
// writes them in table order, and the tenant flags asked for once they
// all came (an error of either leaves no table).
func writeTables(env *pipeline.Env, users func(write func(*pipeline.EntraUser) error) error,
	tenant func() ([]pipeline.TenantFlag, error)) error {
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
	if err := users(uw.Write); err != nil {
		return err
	}
	flags, err := tenant()
	if err != nil {
		return err
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

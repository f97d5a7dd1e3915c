package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"slices"
)

// Stage is one step of the pipeline bound to its configuration, ready for a
// Runner: what it is called, what it reads from and writes into the
// snapshot, the parameters the manifest records, and the work. Only Def
// makes Stages, so every stage is run, checked and recorded the same way.
type Stage interface {
	// Name is the stage's name in the manifest.
	Name() string
	// Params is the stage's Config as the manifest records it.
	Params() (map[string]string, error)
	// Reads names the snapshot files the stage reads. The runner refuses
	// to run when one of them is not what the manifest says (CheckFresh),
	// and records each as an input.
	Reads() []string
	// Writes names the files the stage writes into the snapshot.
	Writes() []string

	keepsOutputsOnError() bool
	mayWrite() []string
	run(ctx context.Context, env *Env) (summary any, err error)
}

// Def defines a stage whose parameters are the Config struct C and whose
// summary (the manifest's detail) is the struct S; see EncodeParams for
// the tags both use.
type Def[C, S any] struct {
	Name string
	// Record is what the manifest records of cfg when that is not cfg
	// itself: a source whose config carries a password records where and
	// as whom it read, never with what. nil: cfg, by its param tags.
	Record func(cfg C) any
	// Reads returns the snapshot files the stage reads under cfg; nil: none.
	Reads func(cfg C) []string
	// Writes are the files the stage writes into the snapshot. When the
	// stage fails the runner puts them back as they were, all of them,
	// unless KeepOutputsOnError.
	Writes []string
	// MayWrite are files the stage writes only in some runs (apply's
	// preflight table, when the tenant action got that far); the runner
	// treats them like Writes, but does not require them.
	MayWrite []string
	// KeepOutputsOnError keeps what a failed run wrote: apply's results
	// record the writes it made in the directory before it stopped.
	KeepOutputsOnError bool
	// Do does the work: it reads what Reads declared from env.Dir, records
	// anything it read from outside the snapshot with env.AddInput, and
	// each file it wrote with env.AddOutput.
	Do func(ctx context.Context, env *Env, cfg C) (S, error)
}

// Env is what a running stage gets from the runner.
type Env struct {
	Dir      string
	Manifest *Manifest         // as it was before the stage started
	Params   map[string]string // the stage's parameters as the manifest records them
	// Inputs are the declared reads, checked and hashed, in Reads order,
	// then whatever the stage added.
	Inputs  []InputRecord
	Outputs []OutputRecord
	discard []string
}

// Discard removes files other stages wrote that the stage's run makes
// meaningless (a new plan discards the approvals of the old one). The
// runner drops them from the manifest when the stage succeeded, saves it,
// and only then deletes the files: a crash in between leaves files no
// manifest vouches for, which every reader refuses, never the reverse.
func (e *Env) Discard(files ...string) { e.discard = append(e.discard, files...) }

// Path is the path of a file in the snapshot.
func (e *Env) Path(file string) string { return filepath.Join(e.Dir, file) }

// AddInput records a file the stage read from outside the snapshot.
func (e *Env) AddInput(in InputRecord) { e.Inputs = append(e.Inputs, in) }

// AddOutput records a file the stage wrote into the snapshot.
func (e *Env) AddOutput(out OutputRecord) { e.Outputs = append(e.Outputs, out) }

// With binds cfg: the stage ready to run.
func (d Def[C, S]) With(cfg C) Stage { return bound[C, S]{d, cfg} }

// Run runs the stage with cfg through r and returns its typed summary and
// its manifest record. A stage that fails may still return a summary of
// how far it got.
func (d Def[C, S]) Run(ctx context.Context, r *Runner, cfg C) (S, *StageRecord, error) {
	rec, sum, err := r.Run(ctx, d.With(cfg))
	s, _ := sum.(S) // also on error: how far the stage got, if it says
	return s, rec, err
}

// StageName is the name the stage is recorded under.
func (d Def[C, S]) StageName() string { return d.Name }

// FromParams binds the Config a manifest recorded, for replay.
func (d Def[C, S]) FromParams(p map[string]string) (Stage, error) {
	var cfg C
	if err := DecodeParams(p, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	return d.With(cfg), nil
}

// Summary decodes the summary a manifest recorded for this stage.
func (d Def[C, S]) Summary(rec *StageRecord) (S, error) {
	var s S
	err := DecodeParams(rec.Detail, &s)
	return s, err
}

// Replayer is a stage definition replay can bind from recorded parameters.
type Replayer interface {
	StageName() string
	FromParams(map[string]string) (Stage, error)
}

type bound[C, S any] struct {
	def Def[C, S]
	cfg C
}

func (b bound[C, S]) Name() string { return b.def.Name }

// Params validates the config first: Validate may fill in defaults, and
// the manifest must record the config the stage runs with.
func (b bound[C, S]) Params() (map[string]string, error) {
	cfg := b.cfg
	if v, ok := any(&cfg).(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	if b.def.Record != nil {
		return EncodeParams(b.def.Record(cfg))
	}
	return EncodeParams(cfg)
}

func (b bound[C, S]) Reads() []string {
	if b.def.Reads == nil {
		return nil
	}
	return b.def.Reads(b.cfg)
}

func (b bound[C, S]) Writes() []string { return b.def.Writes }

func (b bound[C, S]) keepsOutputsOnError() bool { return b.def.KeepOutputsOnError }

func (b bound[C, S]) mayWrite() []string { return b.def.MayWrite }

func (b bound[C, S]) run(ctx context.Context, env *Env) (any, error) {
	if v, ok := any(&b.cfg).(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return b.def.Do(ctx, env, b.cfg)
}

// checkWrites makes sure a stage wrote exactly the files it declared,
// each of Writes and none but those and MayWrite: the manifest, replay and
// the snapshot rules rely on the declaration.
func checkWrites(st Stage, outs []OutputRecord) error {
	var got, want []string
	for _, o := range outs {
		if !slices.Contains(st.mayWrite(), o.File) {
			got = append(got, o.File)
		}
	}
	want = slices.Clone(st.Writes())
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("stage %s wrote %v, but declares %v", st.Name(), got, want)
	}
	return nil
}

// stampedVersion is the release version `make release` links in
// (-ldflags "-X syncgap/pipeline.stampedVersion=…", git describe of the
// commit built). Release builds carry no VCS stamp (-buildvcs=false keeps
// them byte-identical for one commit), so this is what they record.
var stampedVersion string

// ToolVersion names the build: the release version when stamped, else the
// module version and VCS revision when known.
func ToolVersion() string {
	if stampedVersion != "" {
		return "syncgap " + stampedVersion
	}
	v := "syncgap (devel)"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = "syncgap " + bi.Main.Version
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " " + rev + dirty
	}
	return v
}

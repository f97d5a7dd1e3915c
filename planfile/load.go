package planfile

import (
	"errors"
	"fmt"
	"path/filepath"

	"syncgap/pipeline"
)

// Summary is what the manifest records of a stage that wrote a plan (plan,
// rollback, restore): the plan hash and the actions by kind.
type Summary struct {
	Hash       string `param:"plan_hash"`
	Write      int    `param:"actions_write"`
	Decide     int    `param:"actions_decide"`
	Review     int    `param:"actions_review"`
	Record     int    `param:"actions_record"`
	Excluded   int    `param:"excluded_rows"`
	OutOfScope int    `param:"out_of_scope_rows"`
	// SourcePlanHash is the plan a reverse plan undoes; empty otherwise.
	SourcePlanHash string `param:"source_plan_hash,omitempty"`
	// Values the switch loses and changes under flip_now and approve_all
	// (the forecast; zero for plans without one).
	FlipLost      int `param:"flip_now_lost,omitempty"`
	FlipChanged   int `param:"flip_now_changed,omitempty"`
	ApproveLost   int `param:"approve_all_lost,omitempty"`
	ApproveChange int `param:"approve_all_changed,omitempty"`
	Unknown       int `param:"unknown_values,omitempty"`
	// What a restore plan left out: values AD changed after the plan,
	// values unknown before the flip, users gone from the later audit.
	RestoreChangedSince int `param:"not_restored_changed_since,omitempty"`
	RestoreUnknown      int `param:"not_restored_unknown,omitempty"`
	RestoreMissing      int `param:"not_restored_missing,omitempty"`
}

// Forecast fills the forecast totals from counts by scenario and outcome.
func (s *Summary) Forecast(f map[pipeline.Scenario]map[pipeline.CloudOutcome]int) {
	s.FlipLost, s.FlipChanged = f[pipeline.FlipNow][pipeline.Lost], f[pipeline.FlipNow][pipeline.Changed]
	s.ApproveLost, s.ApproveChange = f[pipeline.ApproveAll][pipeline.Lost], f[pipeline.ApproveAll][pipeline.Changed]
	s.Unknown = f[pipeline.FlipNow][pipeline.UnknownOutcome]
}

// Count fills the counts by kind from actions.
func (s *Summary) Count(actions []pipeline.Action) {
	for i := range actions {
		s.Add(&actions[i])
	}
}

// Add counts one action by kind.
func (s *Summary) Add(a *pipeline.Action) {
	switch a.Kind {
	case pipeline.KindWrite:
		s.Write++
	case pipeline.KindDecide:
		s.Decide++
	case pipeline.KindReview:
		s.Review++
	case pipeline.KindRecord:
		s.Record++
	}
}

// ErrNoPlan is a snapshot without a plan.
var ErrNoPlan = errors.New("no plan in this snapshot: run syncgap plan first")

// Plan is a saved plan as loaded from a snapshot.
type Plan struct {
	Actions []pipeline.Action
	Hash    string
	Record  *pipeline.StageRecord // the stage that wrote it
	File    string                // plan.parquet's path
}

// Load reads a snapshot's plan after checking it is current: plan.parquet is
// what its stage wrote, from the tables now in the snapshot, and it hashes
// to the plan hash the manifest records. A plan that no longer matches is
// refused (pipeline.ErrStale), never patched up.
func Load(dir string) (*Plan, error) {
	p, sum, err := record(dir)
	if err != nil {
		return nil, err
	}
	actions, err := pipeline.ReadRows[pipeline.Action](p.File)
	if err != nil {
		return nil, err
	}
	if err := checkHash(Hash(p.Record.Inputs, p.Record.Parameters, actions), sum); err != nil {
		return nil, err
	}
	p.Actions = actions
	return p, nil
}

// Scan is Load without holding the actions: it checks the plan as Load
// does, handing each action to fn in plan order as it is hashed (valid
// during the call, as pipeline.ScanRows gives it), and returns the Plan
// with no Actions. Scan's refusal of a plan that does not match comes
// after the last action: what fn made of it is for the caller to drop. A
// plan of ten million users is gigabytes held (docs/architecture.md,
// "Memory").
func Scan(dir string, fn func(*pipeline.Action) error) (*Plan, error) {
	p, sum, err := record(dir)
	if err != nil {
		return nil, err
	}
	h := NewHasher(p.Record.Inputs, p.Record.Parameters)
	err = pipeline.ScanRows(p.File, func(a *pipeline.Action) error {
		h.Add(a)
		return fn(a)
	})
	if err != nil {
		return nil, err
	}
	if err := checkHash(h.Sum(), sum); err != nil {
		return nil, err
	}
	return p, nil
}

// record is the plan's manifest record, after checking the plan is fresh,
// and the hash it records.
func record(dir string) (*Plan, string, error) {
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return nil, "", err
	}
	file := pipeline.FileName(pipeline.PlanTable)
	rec, _ := m.Output(file)
	if rec == nil {
		return nil, "", fmt.Errorf("%s: %w", dir, ErrNoPlan)
	}
	if err := pipeline.CheckFresh(dir, m, file); err != nil {
		return nil, "", err
	}
	var sum Summary
	if err := pipeline.DecodeParams(rec.Detail, &sum); err != nil {
		return nil, "", fmt.Errorf("%s: the %s record: %w", dir, rec.Stage, err)
	}
	return &Plan{Hash: sum.Hash, Record: rec, File: filepath.Join(dir, file)}, sum.Hash, nil
}

func checkHash(got, want string) error {
	if got != want {
		return fmt.Errorf("plan.parquet hashes to %s, the manifest records %s: %w", pipeline.ShortHash(got), pipeline.ShortHash(want), pipeline.ErrStale)
	}
	return nil
}

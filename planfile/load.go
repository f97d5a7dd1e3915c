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
}

// Load reads a snapshot's plan after checking it is current: plan.parquet is
// what its stage wrote, from the tables now in the snapshot, and it hashes
// to the plan hash the manifest records. A plan that no longer matches is
// refused (pipeline.ErrStale), never patched up.
func Load(dir string) (*Plan, error) {
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return nil, err
	}
	file := pipeline.FileName(pipeline.PlanTable)
	rec, _ := m.Output(file)
	if rec == nil {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoPlan)
	}
	if err := pipeline.CheckFresh(dir, m, file); err != nil {
		return nil, err
	}
	var sum Summary
	if err := pipeline.DecodeParams(rec.Detail, &sum); err != nil {
		return nil, fmt.Errorf("%s: the %s record: %w", dir, rec.Stage, err)
	}
	actions, err := pipeline.ReadRows[pipeline.Action](filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	if got := Hash(rec.Inputs, rec.Parameters, actions); got != sum.Hash {
		return nil, fmt.Errorf("plan.parquet hashes to %s, the manifest records %s: %w", pipeline.ShortHash(got), pipeline.ShortHash(sum.Hash), pipeline.ErrStale)
	}
	return &Plan{Actions: actions, Hash: sum.Hash, Record: rec}, nil
}

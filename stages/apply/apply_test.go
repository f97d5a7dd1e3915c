package apply

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"syncgap/pipeline"
)

// memDir is an in-memory directory with LDAP's modify semantics for the
// engine's unit tests (the integration tests use a real Samba AD DC).
type memDir struct {
	mu     sync.Mutex
	vals   map[string][]string // dn|attr -> values
	swaps  int
	loseAt int // the swap with this number lands but reports a transport error
}

func (m *memDir) key(dn, attr string) string { return dn + "|" + attr }

func (m *memDir) Values(_ context.Context, dn, attr string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.vals[m.key(dn, attr)]), nil
}

func (m *memDir) Swap(_ context.Context, dn, attr string, old, new []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.key(dn, attr)
	cur := slices.Clone(m.vals[k])
	for _, o := range old {
		i := slices.Index(cur, o)
		if i < 0 {
			return &ServerError{Code: codeNoSuchAttribute, Message: "no such value"}
		}
		cur = slices.Delete(cur, i, i+1)
	}
	for _, n := range new {
		if slices.Contains(cur, n) || (attr == "mobile" && len(cur) > 0) {
			return &ServerError{Code: codeValueExists, Message: "value exists"}
		}
		cur = append(cur, n)
	}
	m.vals[k] = cur
	m.swaps++
	if m.swaps == m.loseAt {
		return errors.New("connection reset by peer")
	}
	return nil
}

func (m *memDir) Close() error { return nil }

func act(id, dn, attr string, expected, value []string) pipeline.Action {
	return pipeline.Action{ActionID: id, Kind: pipeline.KindWrite, Target: pipeline.TargetAD, DN: dn, Attribute: attr,
		Op: pipeline.OpReplace, Expected: expected, Value: value}
}

func engine(t *testing.T, d Directory, path string, conc int) (*Engine, *Ledger) {
	t.Helper()
	j, entries, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	st, err := NewLedger(entries)
	if err != nil {
		t.Fatal(err)
	}
	return NewEngine(j, Options{Concurrency: conc, Retries: 2, Backoff: 1,
		Dial: func(context.Context) (Directory, error) { return d, nil }}), st
}

func outcomes(t *testing.T, path string) map[string]pipeline.Outcome {
	t.Helper()
	entries, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewLedger(entries)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]pipeline.Outcome{}
	for id, e := range st.Outcomes {
		out[id] = e.Outcome
	}
	return out
}

func TestEngineOutcomes(t *testing.T) {
	d := &memDir{vals: map[string][]string{
		"A|mobile":      {"+1 1"},
		"B|mobile":      {"+1 changed"},
		"C|otherMobile": {"+1 3", "+1 4", "+1 extra"},
		"D|otherMobile": {"+1 5"},
		"E|mobile":      nil,
	}}
	acts := []pipeline.Action{
		act("a", "A", "mobile", []string{"+1 1"}, []string{"+1 10"}),
		act("b", "B", "mobile", []string{"+1 2"}, []string{"+1 20"}),
		act("c", "C", "otherMobile", []string{"+1 3", "+1 4"}, []string{"+1 30"}),
		act("d", "D", "otherMobile", []string{"+1 5"}, []string{"+1 5", "+1 50"}),
		act("e", "E", "mobile", []string{}, []string{"+1 60"}),
	}
	path := filepath.Join(t.TempDir(), JournalFile)
	e, st := engine(t, d, path, 3)
	if err := e.Run(context.Background(), "h", acts, st); err != nil {
		t.Fatal(err)
	}
	want := map[string]pipeline.Outcome{"a": pipeline.Applied, "b": pipeline.Drifted, "c": pipeline.Drifted, "d": pipeline.Applied, "e": pipeline.Applied}
	if got := outcomes(t, path); !equalMaps(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	if !slices.Equal(d.vals["B|mobile"], []string{"+1 changed"}) || len(d.vals["C|otherMobile"]) != 3 {
		t.Errorf("a drifted value was touched: %v", d.vals)
	}
	if !sameSet(d.vals["D|otherMobile"], []string{"+1 5", "+1 50"}) || !slices.Equal(d.vals["E|mobile"], []string{"+1 60"}) {
		t.Errorf("values after apply: %v", d.vals)
	}

	// A second run repeats nothing.
	swaps := d.swaps
	e, st = engine(t, d, path, 1)
	if err := e.Run(context.Background(), "h", acts, st); err != nil {
		t.Fatal(err)
	}
	if d.swaps != swaps {
		t.Errorf("a rerun wrote %d more times", d.swaps-swaps)
	}
}

func equalMaps(a, b map[string]pipeline.Outcome) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestEngineSettlesInFlight: a journal ending in intents (the process was
// killed mid-write, the last line torn) resumes by reading the directory.
func TestEngineSettlesInFlight(t *testing.T) {
	d := &memDir{vals: map[string][]string{
		"A|mobile": {"+1 10"},      // the killed write had landed
		"B|mobile": {"+1 2"},       // it had not
		"C|mobile": {"+1 someone"}, // someone else changed it meanwhile
	}}
	acts := []pipeline.Action{
		act("a", "A", "mobile", []string{"+1 1"}, []string{"+1 10"}),
		act("b", "B", "mobile", []string{"+1 2"}, []string{"+1 20"}),
		act("c", "C", "mobile", []string{"+1 3"}, []string{"+1 30"}),
	}
	path := filepath.Join(t.TempDir(), JournalFile)
	journal := `{"event":"begin","plan_hash":"h"}
{"event":"intent","action_id":"a"}
{"event":"intent","action_id":"b"}
{"event":"intent","action_id":"c"}
{"event":"outco`
	if err := os.WriteFile(path, []byte(journal), 0o644); err != nil {
		t.Fatal(err)
	}
	e, st := engine(t, d, path, 2)
	if len(st.InFlight) != 3 {
		t.Fatalf("in flight %v", st.InFlight)
	}
	if err := e.Run(context.Background(), "h", acts, st); err != nil {
		t.Fatal(err)
	}
	want := map[string]pipeline.Outcome{"a": pipeline.Applied, "b": pipeline.Applied, "c": pipeline.Drifted}
	if got := outcomes(t, path); !equalMaps(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	if d.swaps != 1 {
		t.Errorf("%d writes, want 1 (only b)", d.swaps)
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), `"outco`+"\n") || !strings.HasSuffix(string(b), "\n") {
		t.Errorf("torn line kept:\n%s", b)
	}
}

// TestEngineLostAnswer: the write lands but its answer is lost; the engine
// reads back and records it applied, once.
func TestEngineLostAnswer(t *testing.T) {
	d := &memDir{vals: map[string][]string{"A|mobile": {"+1 1"}}, loseAt: 1}
	path := filepath.Join(t.TempDir(), JournalFile)
	e, st := engine(t, d, path, 1)
	if err := e.Run(context.Background(), "h", []pipeline.Action{act("a", "A", "mobile", []string{"+1 1"}, []string{"+1 10"})}, st); err != nil {
		t.Fatal(err)
	}
	if got := outcomes(t, path); got["a"] != pipeline.Applied || d.swaps != 1 {
		t.Errorf("outcome %v after %d writes", got, d.swaps)
	}
}

func TestReplayRefusesTwoPlans(t *testing.T) {
	_, err := NewLedger([]JournalEntry{{Event: EventBegin, PlanHash: "one"}, {Event: EventBegin, PlanHash: "two"}})
	if err == nil {
		t.Error("a journal of two plans was accepted")
	}
}

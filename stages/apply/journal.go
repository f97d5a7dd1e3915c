package apply

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"syncgap/pipeline"
)

// JournalFile is the apply journal's name in a snapshot.
const JournalFile = "apply.journal"

// JournalEntry is one journal line. An action's life is an intent (written and
// fsynced before the directory is touched) and then an outcome; an intent
// without an outcome is an action that was in flight when apply died.
type JournalEntry struct {
	Time     time.Time        `json:"time"`
	Event    string           `json:"event"` // begin, intent, outcome, preflight, end
	PlanHash string           `json:"plan_hash,omitempty"`
	ActionID string           `json:"action_id,omitempty"`
	Outcome  pipeline.Outcome `json:"outcome,omitempty"`
	LDAPCode int              `json:"ldap_code,omitempty"`
	Message  string           `json:"message,omitempty"`
	Before   []string         `json:"before,omitempty"`
	After    []string         `json:"after,omitempty"`
	// Preflight is the preflight's numbers (event preflight).
	Preflight *PreflightCounts `json:"preflight,omitempty"`
}

// Journal events.
const (
	EventBegin   = "begin"
	EventIntent  = "intent"
	EventOutcome = "outcome"
	EventEnd     = "end"
	// EventPreflight files the preflight's numbers, or that it was
	// skipped, before the tenant action's intent.
	EventPreflight = "preflight"
)

// Journal is the append-only record of an apply. Every Append is written
// and fsynced before it returns, so what the journal says happened did
// happen, or was at least about to.
type Journal struct {
	f *os.File
}

// OpenJournal opens (creating) path for appending and returns what it
// already holds. A torn last line — the process died mid-write — is cut
// off: its action was not journaled, so it is treated as never started
// (an intent) or still in flight (an outcome), both of which resume safely.
func OpenJournal(path string) (*Journal, []JournalEntry, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("open journal: %w", err)
	}
	entries, good, err := readJournal(f, path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal %s: cut torn tail: %w", path, err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return &Journal{f: f}, entries, nil
}

// ReadJournal reads a journal without opening it for writing.
func ReadJournal(path string) ([]JournalEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	defer f.Close()
	entries, _, err := readJournal(f, path)
	return entries, err
}

func readJournal(r io.Reader, path string) (entries []JournalEntry, good int64, err error) {
	br := bufio.NewReader(r)
	line := 0
	for {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return entries, good, nil // a line without its newline is torn: ignored
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read journal %s: %w", path, err)
		}
		line++
		var e JournalEntry
		if err := json.Unmarshal(b, &e); err != nil {
			// Complete lines are written whole by one write call; a bad one
			// in the middle means the file was damaged, not torn.
			return nil, 0, &pipeline.ParseError{File: path, Line: line, Err: fmt.Errorf("damaged journal line: %w", err)}
		}
		entries = append(entries, e)
		good += int64(len(b))
	}
}

// Append writes e as one line and fsyncs.
func (j *Journal) Append(e JournalEntry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync journal: %w", err)
	}
	return nil
}

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }

// Ledger is what a journal says about each action: its last outcome, and
// whether an intent is still open.
type Ledger struct {
	Outcomes map[string]JournalEntry // action id -> last outcome
	InFlight map[string]bool         // intent written, no outcome after it
	PlanHash string                  // of the first begin; all begins must agree
}

// NewLedger folds journal entries into a Ledger.
func NewLedger(entries []JournalEntry) (*Ledger, error) {
	s := &Ledger{Outcomes: map[string]JournalEntry{}, InFlight: map[string]bool{}}
	for _, e := range entries {
		if err := s.apply(e); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// apply folds one entry into the state.
func (s *Ledger) apply(e JournalEntry) error {
	switch e.Event {
	case EventBegin:
		if s.PlanHash == "" {
			s.PlanHash = e.PlanHash
		} else if e.PlanHash != s.PlanHash {
			return fmt.Errorf("the journal holds runs of two plans (%s and %s)", pipeline.ShortHash(s.PlanHash), pipeline.ShortHash(e.PlanHash))
		}
	case EventIntent:
		s.InFlight[e.ActionID] = true
	case EventOutcome:
		delete(s.InFlight, e.ActionID)
		s.Outcomes[e.ActionID] = e
	}
	return nil
}

// Final reports whether an action needs no further attempt: applied or
// drifted. Failed and skipped actions are tried again on the next run;
// compare-and-swap makes a retry safe.
func (s *Ledger) Final(id string) bool {
	e, ok := s.Outcomes[id]
	return ok && (e.Outcome == pipeline.Applied || e.Outcome == pipeline.Drifted)
}

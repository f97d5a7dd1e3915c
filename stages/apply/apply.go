// Package apply writes approved plan actions to AD (docs/rules.md, "Plan"): each as one
// compare-and-swap modify, each outcome journaled and fsynced before the
// next, resumable after a crash, reversible through rollback.
package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"syncgap/pipeline"
)

// Directory is what apply needs of AD. Implementations reconnect by
// themselves after a dropped connection.
type Directory interface {
	// Values returns attr's values on dn; an absent attribute is an empty list.
	Values(ctx context.Context, dn, attr string) ([]string, error)
	// Swap deletes the values old and adds the values new of attr on dn in
	// one modify: the server refuses it unless every old value is there.
	Swap(ctx context.Context, dn, attr string, old, new []string) error
	Close() error
}

// ServerError is the directory's verdict on a request (an LDAP result code
// other than success), as opposed to a transport failure whose effect is
// unknown.
type ServerError struct {
	Code    int
	Message string
}

func (e *ServerError) Error() string { return fmt.Sprintf("LDAP result %d: %s", e.Code, e.Message) }

// LDAP result codes a compare-and-swap conflict comes back as: the expected
// value is gone (noSuchAttribute), the value to add is already there, or a
// single-valued attribute already has a value.
const (
	codeConstraintViolation = 19
	codeNoSuchAttribute     = 16
	codeValueExists         = 20
)

// Options tune a run.
type Options struct {
	Concurrency int           // parallel writers; each has its own connection
	Rate        float64       // writes per second over all writers; 0: unlimited
	Retries     int           // attempts after a transport failure, per action
	Backoff     time.Duration // first wait between those attempts; doubles
	Log         *slog.Logger
	// Dial opens one directory connection; called once per writer.
	Dial func(ctx context.Context) (Directory, error)
	// OnOutcome, if set, is called after each journaled outcome (progress).
	OnOutcome func(pipeline.Outcome)
}

// Engine applies actions against a directory, journaling as it goes.
type Engine struct {
	opts    Options
	journal *Journal
	mu      sync.Mutex // serialises journal appends and updates of st
	st      *Ledger    // the journal's state, kept current with every append
	limiter *limiter
}

// NewEngine returns an engine writing to journal.
func NewEngine(j *Journal, opts Options) *Engine {
	if opts.Concurrency < 1 {
		opts.Concurrency = 1
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Backoff == 0 {
		opts.Backoff = 500 * time.Millisecond
	}
	return &Engine{opts: opts, journal: j, limiter: newLimiter(opts.Rate)}
}

func (e *Engine) append(en JournalEntry) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.journal.Append(en); err != nil {
		return err
	}
	return e.st.apply(en)
}

func (e *Engine) outcome(a *pipeline.Action, o pipeline.Outcome, code int, msg string, before []string) error {
	err := e.append(JournalEntry{Event: EventOutcome, ActionID: a.ActionID, Outcome: o, LDAPCode: code, Message: msg, Before: before, After: a.Value})
	if err == nil && e.opts.OnOutcome != nil {
		e.opts.OnOutcome(o)
	}
	return err
}

// Run applies the actions that st does not record as final. In-flight
// actions of an interrupted run are first settled by reading the directory:
// if it holds the new values the action happened; if it still holds the
// expected ones it is done again; otherwise it drifted. Run returns when all
// are journaled, or, after ctx is cancelled, when the writes in flight are.
// st is the journal's state as read; Run keeps it current, so afterwards it
// describes the journal on disk.
func (e *Engine) Run(ctx context.Context, planHash string, actions []pipeline.Action, st *Ledger) error {
	e.st = st
	if err := e.append(JournalEntry{Event: EventBegin, PlanHash: planHash}); err != nil {
		return err
	}
	var todo []*pipeline.Action
	var unsettled []*pipeline.Action
	for i := range actions {
		a := &actions[i]
		switch {
		case st.Final(a.ActionID):
		case st.InFlight[a.ActionID]:
			unsettled = append(unsettled, a)
		default:
			todo = append(todo, a)
		}
	}
	if len(unsettled) > 0 {
		d, err := e.opts.Dial(ctx)
		if err != nil {
			return err
		}
		for _, a := range unsettled {
			redo, err := e.settle(ctx, d, a)
			if err != nil {
				d.Close()
				return err
			}
			if redo {
				todo = append(todo, a)
			}
		}
		d.Close()
	}
	// Plan order, whatever order the settled ones came back in.
	order := make(map[string]int, len(actions))
	for i := range actions {
		order[actions[i].ActionID] = i
	}
	slices.SortFunc(todo, func(x, y *pipeline.Action) int { return order[x.ActionID] - order[y.ActionID] })

	work := make(chan *pipeline.Action)
	errs := make(chan error, e.opts.Concurrency)
	var wg sync.WaitGroup
	for w := 0; w < e.opts.Concurrency; w++ {
		d, err := e.opts.Dial(ctx)
		if err != nil {
			close(work)
			wg.Wait()
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer d.Close()
			for a := range work {
				// The write itself is not cancelled: once its intent is
				// journaled, its outcome must be too.
				if err := e.one(context.WithoutCancel(ctx), d, a); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var stopErr error
feed:
	for _, a := range todo {
		if err := e.limiter.wait(ctx); err != nil {
			stopErr = err
			break
		}
		select {
		case work <- a:
		case <-ctx.Done():
			stopErr = ctx.Err()
			break feed
		case err := <-errs:
			stopErr = err
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if stopErr == nil || errors.Is(stopErr, context.Canceled) {
			stopErr = err
		}
	}
	if stopErr != nil {
		return stopErr
	}
	return e.append(JournalEntry{Event: EventEnd, PlanHash: planHash})
}

// settle decides what became of an action whose outcome was never
// journaled. redo: the directory still holds the expected values.
func (e *Engine) settle(ctx context.Context, d Directory, a *pipeline.Action) (redo bool, err error) {
	cur, err := e.read(ctx, d, a)
	if err != nil {
		return false, err
	}
	switch {
	case sameSet(cur, a.Value):
		e.opts.Log.Info("interrupted action had been applied", "action", a.ActionID, "dn", a.DN)
		return false, e.outcome(a, pipeline.Applied, 0, "applied before an interruption; confirmed by reading it back", a.Expected)
	case sameSet(cur, a.Expected):
		return true, nil
	}
	return false, e.outcome(a, pipeline.Drifted, 0, fmt.Sprintf("found %s, expected %s", pipeline.QuoteValues(cur), pipeline.QuoteValues(a.Expected)), cur)
}

// read reads an action's attribute, retrying transport failures.
func (e *Engine) read(ctx context.Context, d Directory, a *pipeline.Action) ([]string, error) {
	var cur []string
	err := e.retry(ctx, func() error {
		var err error
		cur, err = d.Values(ctx, a.DN, a.Attribute)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", a.Attribute, a.DN, err)
	}
	return cur, nil
}

// retry runs f until it succeeds, the directory gives a verdict, or the
// attempts are spent.
func (e *Engine) retry(ctx context.Context, f func() error) error {
	wait := e.opts.Backoff
	for attempt := 0; ; attempt++ {
		err := f()
		var se *ServerError
		if err == nil || errors.As(err, &se) || attempt >= e.opts.Retries {
			return err
		}
		e.opts.Log.Warn("directory request failed; retrying", "attempt", attempt+1, "wait", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
		wait *= 2
	}
}

// one applies a single action: intent, write, outcome.
func (e *Engine) one(ctx context.Context, d Directory, a *pipeline.Action) error {
	if err := e.append(JournalEntry{Event: EventIntent, ActionID: a.ActionID}); err != nil {
		return err
	}
	// Deleting the expected values proves they are there, but not that no
	// other value is: for a multi-valued attribute, or an add to an empty
	// one, read first.
	if a.Attribute != "mobile" || len(a.Expected) == 0 {
		cur, err := e.read(ctx, d, a)
		if err != nil {
			return e.outcome(a, pipeline.Failed, 0, err.Error(), nil)
		}
		switch {
		case sameSet(cur, a.Expected):
		case sameSet(cur, a.Value):
			return e.outcome(a, pipeline.Applied, 0, "the directory already held the new value", a.Expected)
		default:
			return e.outcome(a, pipeline.Drifted, 0, fmt.Sprintf("found %s, expected %s", pipeline.QuoteValues(cur), pipeline.QuoteValues(a.Expected)), cur)
		}
	}
	err := e.swap(ctx, d, a)
	var se *ServerError
	switch {
	case err == nil:
		return e.outcome(a, pipeline.Applied, 0, "", a.Expected)
	case errors.As(err, &se) && (se.Code == codeNoSuchAttribute || se.Code == codeValueExists || se.Code == codeConstraintViolation):
		// A conflict, or a constraint of another kind: the values decide.
		cur, rerr := e.read(ctx, d, a)
		if rerr == nil && sameSet(cur, a.Value) {
			// An earlier attempt whose answer was lost landed after all.
			return e.outcome(a, pipeline.Applied, 0, "the directory already held the new value", a.Expected)
		}
		if rerr == nil && !sameSet(cur, a.Expected) {
			return e.outcome(a, pipeline.Drifted, se.Code, fmt.Sprintf("found %s, expected %s", pipeline.QuoteValues(cur), pipeline.QuoteValues(a.Expected)), cur)
		}
		return e.outcome(a, pipeline.Failed, se.Code, se.Message, nil)
	case errors.As(err, &se):
		return e.outcome(a, pipeline.Failed, se.Code, se.Message, nil)
	}
	return e.outcome(a, pipeline.Failed, 0, err.Error(), nil)
}

// swap writes an action, and after a transport failure reads back to learn
// whether the write happened before trying again: it never writes twice.
func (e *Engine) swap(ctx context.Context, d Directory, a *pipeline.Action) error {
	wait := e.opts.Backoff
	for attempt := 0; ; attempt++ {
		err := d.Swap(ctx, a.DN, a.Attribute, a.Expected, a.Value)
		var se *ServerError
		if err == nil || errors.As(err, &se) || attempt >= e.opts.Retries {
			return err
		}
		e.opts.Log.Warn("write failed in transit; checking the directory", "action", a.ActionID, "attempt", attempt+1, "err", err)
		time.Sleep(wait)
		wait *= 2
		cur, rerr := d.Values(ctx, a.DN, a.Attribute)
		if rerr != nil {
			continue // still down; the next Swap attempt reconnects
		}
		switch {
		case sameSet(cur, a.Value):
			return nil // the write had landed
		case !sameSet(cur, a.Expected):
			return &ServerError{Code: codeNoSuchAttribute, Message: "changed while the connection was down"}
		}
	}
}

// sameSet compares attribute values as sets, the way LDAP stores them.
func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// limiter spaces writes to a rate over all writers.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return &limiter{}
	}
	return &limiter{interval: time.Duration(float64(time.Second) / rate)}
}

func (l *limiter) wait(ctx context.Context) error {
	if l.interval == 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(l.interval)
	l.mu.Unlock()
	select {
	case <-time.After(time.Until(at)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

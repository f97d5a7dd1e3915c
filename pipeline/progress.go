package pipeline

import (
	"context"
	"io"
)

// Progress receives counts from long-running stages. The CLI draws a bar
// from it on a terminal; elsewhere there is none and stages log only.
type Progress interface {
	// Start begins a task of total units (bytes or rows; 0 if unknown).
	Start(task, unit string, total int64)
	// Add reports n more units done.
	Add(n int64)
	// Done ends the task.
	Done()
}

type progressKey struct{}

// WithProgress returns a context that carries p to the stages.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// ProgressFrom returns the context's Progress, or one that does nothing.
func ProgressFrom(ctx context.Context) Progress {
	if p, ok := ctx.Value(progressKey{}).(Progress); ok {
		return p
	}
	return noProgress{}
}

type noProgress struct{}

func (noProgress) Start(string, string, int64) {}
func (noProgress) Add(int64)                   {}
func (noProgress) Done()                       {}

// ProgressReader reports bytes read through it.
type ProgressReader struct {
	R io.Reader
	P Progress
}

func (r ProgressReader) Read(b []byte) (int, error) {
	n, err := r.R.Read(b)
	r.P.Add(int64(n))
	return n, err
}

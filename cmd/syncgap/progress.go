package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"syncgap/pipeline"
)

// bar draws one progress line on a terminal, at most five times a second.
type bar struct {
	w     io.Writer
	mu    sync.Mutex
	task  string
	unit  string
	total int64
	done  int64
	last  time.Time
}

// newProgress returns a bar when stderr is a terminal and nil otherwise:
// logs that go to files or CI stay plain and greppable.
func newProgress() pipeline.Progress {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	return &bar{w: os.Stderr}
}

func (b *bar) Start(task, unit string, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.task, b.unit, b.total, b.done, b.last = task, unit, total, 0, time.Time{}
}

func (b *bar) Add(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if time.Since(b.last) < 200*time.Millisecond {
		return
	}
	b.last = time.Now()
	b.draw()
}

func (b *bar) draw() {
	if b.total <= 0 {
		fmt.Fprintf(b.w, "\r%-14s %s\033[K", b.task, b.amount(b.done))
		return
	}
	const width = 30
	frac := min(float64(b.done)/float64(b.total), 1)
	filled := int(frac * width)
	fmt.Fprintf(b.w, "\r%-14s [%-*s] %3.0f%% %s / %s\033[K", b.task, width, repeat('#', filled), frac*100, b.amount(b.done), b.amount(b.total))
}

func (b *bar) amount(n int64) string {
	if b.unit == "bytes" {
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d %s", n, b.unit)
}

func (b *bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprint(b.w, "\r\033[K")
}

func repeat(c byte, n int) string {
	s := make([]byte, n)
	for i := range s {
		s[i] = c
	}
	return string(s)
}

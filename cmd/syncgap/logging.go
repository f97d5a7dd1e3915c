package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"syncgap/pipeline"
)

// LogFile is the log each command that writes a snapshot appends to it:
// what it ran, what it wrote, warnings, and how it ended
// (docs/architecture.md, "Logs").
const LogFile = "syncgap.log"

// maxLogBuffer bounds what one command keeps for the snapshot's log; a
// debug run of a big directory may say more, and the rest is counted.
const maxLogBuffer = 1 << 20

// logTime is the time format of slog's text handler, for the lines the
// log adds itself.
const logTime = "2006-01-02T15:04:05.000Z07:00"

// commandLog sends slog records to stderr at the terminal's level (warnings
// and errors, everything with -v) and keeps them at INFO (DEBUG with -v)
// for the snapshot's log file. It writes that file only when the command
// ends, and only into a snapshot (a directory with a manifest): a refused
// or failed first run then leaves no directory behind just for its log,
// and an audit's log lands in the snapshot, not in its scratch directory.
type commandLog struct {
	stderr   slog.Handler
	fileLvl  slog.Level
	mu       sync.Mutex
	buf      bytes.Buffer
	dropped  int
	target   string // the snapshot the command writes, once known
	command  string
	started  time.Time
	finished bool
}

type commandLogKey struct{}

// newCommandLog makes the log of one command run: args are its arguments
// (never secrets: no flag holds one).
func newCommandLog(args []string) *commandLog {
	return &commandLog{
		stderr:  slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}),
		fileLvl: slog.LevelInfo,
		command: commandLine(args),
		started: time.Now(),
	}
}

// commandLine is the command as the log records it. No flag holds a
// secret, but a URL given by mistake with a password in it (which the
// command then refuses) must not reach the snapshot: user information in
// any URL is cut out.
func commandLine(args []string) string {
	words := []string{"syncgap"}
	for _, a := range args {
		if i := strings.Index(a, "://"); i >= 0 {
			if at := strings.LastIndex(a, "@"); at > i {
				a = a[:i+3] + "…" + a[at:]
			}
		}
		words = append(words, a)
	}
	return pipeline.TerminalText(strings.Join(words, " "))
}

// withCommandLog puts l where the commands find it.
func withCommandLog(ctx context.Context, l *commandLog) context.Context {
	return context.WithValue(ctx, commandLogKey{}, l)
}

// logOf returns the command's log, or nil when the command was not started
// by main (tests that run the root command in-process).
func logOf(ctx context.Context) *commandLog {
	l, _ := ctx.Value(commandLogKey{}).(*commandLog)
	return l
}

// setVerbose sends everything to stderr too, and keeps debug lines for the file.
func (l *commandLog) setVerbose() {
	l.stderr = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
	l.fileLvl = slog.LevelDebug
}

// writesTo names the snapshot the command writes; the last one named is
// where the log goes.
func (l *commandLog) writesTo(dir string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.target = dir
	l.mu.Unlock()
}

// handler is the slog handler that feeds l.
func (l *commandLog) handler() slog.Handler { return &teeHandler{log: l} }

// finish appends the command, its log lines and how it ended to the
// snapshot's log file. A command refused because another one holds the
// snapshot writes nothing there.
func (l *commandLog) finish(runErr error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.finished || l.target == "" || errors.Is(runErr, pipeline.ErrLocked) || !pipeline.IsSnapshot(l.target) {
		return nil
	}
	l.finished = true
	var b bytes.Buffer
	fmt.Fprintf(&b, "time=%s command=%q\n", l.started.UTC().Format(logTime), l.command)
	b.Write(l.buf.Bytes())
	if l.dropped > 0 {
		fmt.Fprintf(&b, "dropped=%d (more than %s of log lines)\n", l.dropped, pipeline.SizeText(maxLogBuffer))
	}
	end := "ok"
	if runErr != nil {
		end = "error: " + pipeline.TerminalText(runErr.Error())
	}
	fmt.Fprintf(&b, "time=%s result=%q\n", time.Now().UTC().Format(logTime), end)
	f, err := os.OpenFile(filepath.Join(l.target, LogFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	// One write: appends from two processes do not interleave mid-run.
	_, err = f.Write(b.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("log %s: %w", filepath.Join(l.target, LogFile), err)
	}
	return nil
}

// teeHandler is slog's handler for a commandLog. Attributes and groups
// added with With are kept as operations and replayed on both handlers,
// so the file handler can be one text handler over l.buf.
type teeHandler struct {
	log *commandLog
	ops []func(slog.Handler) slog.Handler
}

func (h *teeHandler) Enabled(ctx context.Context, lvl slog.Level) bool {
	return lvl >= h.log.fileLvl || h.log.stderr.Enabled(ctx, lvl)
}

func (h *teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.log.stderr.Enabled(ctx, r.Level) {
		err = h.apply(h.log.stderr).Handle(ctx, r)
	}
	if r.Level >= h.log.fileLvl {
		h.log.mu.Lock()
		defer h.log.mu.Unlock()
		if h.log.buf.Len() >= maxLogBuffer {
			h.log.dropped++
			return err
		}
		fh := h.apply(slog.NewTextHandler(&h.log.buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if ferr := fh.Handle(ctx, r); err == nil {
			err = ferr
		}
	}
	return err
}

func (h *teeHandler) apply(base slog.Handler) slog.Handler {
	for _, op := range h.ops {
		base = op(base)
	}
	return base
}

func (h *teeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &teeHandler{log: h.log, ops: append(h.ops[:len(h.ops):len(h.ops)], func(b slog.Handler) slog.Handler { return b.WithAttrs(attrs) })}
}

func (h *teeHandler) WithGroup(name string) slog.Handler {
	return &teeHandler{log: h.log, ops: append(h.ops[:len(h.ops):len(h.ops)], func(b slog.Handler) slog.Handler { return b.WithGroup(name) })}
}

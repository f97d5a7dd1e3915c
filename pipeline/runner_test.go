package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type toyConfig struct {
	Text string `param:"text"`
}

type toySummary struct {
	Bytes int `param:"bytes"`
}

// toyStage writes its text into file, after reading every file it declares.
func toyStage(name, file string, reads ...string) Def[toyConfig, toySummary] {
	return Def[toyConfig, toySummary]{
		Name:   name,
		Reads:  func(toyConfig) []string { return reads },
		Writes: []string{file},
		Do: func(_ context.Context, env *Env, cfg toyConfig) (toySummary, error) {
			text := cfg.Text
			for _, r := range reads {
				b, err := os.ReadFile(env.Path(r))
				if err != nil {
					return toySummary{}, err
				}
				text += string(b)
			}
			f, err := CreateAtomic(env.Path(file))
			if err != nil {
				return toySummary{}, err
			}
			f.Write([]byte(text))
			if err := f.Commit(); err != nil {
				return toySummary{}, err
			}
			env.AddOutput(OutputRecord{File: file, Rows: 1, SHA256: f.SHA256()})
			return toySummary{Bytes: len(text)}, nil
		},
	}
}

func TestRunnerRecordsAndRefusesStale(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first, second := toyStage("first", "a.txt"), toyStage("second", "b.txt", "a.txt")
	r := NewRunner(dir)
	if _, _, err := first.Run(ctx, r, toyConfig{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	sum, rec, err := second.Run(ctx, r, toyConfig{Text: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Bytes != 6 || rec.Parameters["text"] != "two" || rec.Detail["bytes"] != "6" ||
		len(rec.Inputs) != 1 || rec.Inputs[0].Path != "a.txt" || !rec.Inputs[0].Snapshot || len(rec.Inputs[0].SHA256) != 64 {
		t.Errorf("summary %+v, record %+v", sum, rec)
	}
	m, err := LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := second.Summary(m.Stage("second")); err != nil || got != sum {
		t.Errorf("summary read back %+v (%v), want %+v", got, err, sum)
	}

	// An input edited after its stage wrote it is refused by a new runner
	// (nothing remembered) and by the same one (it sees the new mtime/size).
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, rr := range []*Runner{r, NewRunner(dir)} {
		if _, _, err := second.Run(ctx, rr, toyConfig{}); !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "a.txt was changed after first wrote it") {
			t.Errorf("stale input: %v", err)
		}
	}
	// Re-running the producer makes the consumer's own output stale for a
	// third stage that reads it.
	third := toyStage("third", "c.txt", "b.txt")
	if _, _, err := first.Run(ctx, r, toyConfig{Text: "new"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := third.Run(ctx, r, toyConfig{}); !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "re-run second") {
		t.Errorf("stale chain: %v", err)
	}
}

func TestRunnerChecksDeclaredWrites(t *testing.T) {
	dir := t.TempDir()
	liar := toyStage("liar", "a.txt")
	liar.Writes = []string{"other.txt"}
	if _, _, err := liar.Run(context.Background(), NewRunner(dir), toyConfig{}); err == nil || !strings.Contains(err.Error(), "declares") {
		t.Errorf("undeclared write: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
		t.Error("a stage that broke its declaration was recorded")
	}
	missing := toyStage("reader", "b.txt", "nothing.txt")
	if _, _, err := missing.Run(context.Background(), NewRunner(dir), toyConfig{}); err == nil || !strings.Contains(err.Error(), "run the stage that writes it first") {
		t.Errorf("missing input: %v", err)
	}
}

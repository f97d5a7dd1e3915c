package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pairStage writes a.txt, then b.txt; it fails after a.txt when its text
// is "fail", the way a plan fails on a full disk after its table.
func pairStage(keep bool) Def[toyConfig, toySummary] {
	return Def[toyConfig, toySummary]{
		Name:               "pair",
		Writes:             []string{"a.txt", "b.txt"},
		KeepOutputsOnError: keep,
		Do: func(_ context.Context, env *Env, cfg toyConfig) (toySummary, error) {
			for _, f := range []string{"a.txt", "b.txt"} {
				if f == "b.txt" && cfg.Text == "fail" {
					return toySummary{}, errors.New("no space left on device")
				}
				af, err := CreateAtomic(env.Path(f))
				if err != nil {
					return toySummary{}, err
				}
				af.Write([]byte(cfg.Text + " " + f))
				if err := af.Commit(); err != nil {
					return toySummary{}, err
				}
				env.AddOutput(OutputRecord{File: f, SHA256: af.SHA256()})
			}
			return toySummary{}, nil
		},
	}
}

func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		got[e.Name()] = string(b)
	}
	return got
}

// A stage that fails halfway leaves the snapshot as it was: on a first
// run no output at all, on a re-run the earlier outputs, byte for byte,
// and no kept copies.
func TestRunnerAllOrNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := NewRunner(dir)
	st := pairStage(false)
	if _, _, err := st.Run(ctx, r, toyConfig{Text: "fail"}); err == nil {
		t.Fatal("the failing stage succeeded")
	}
	if got := dirFiles(t, dir); len(got) != 0 {
		t.Fatalf("after a failed first run the snapshot holds %v", keys(got))
	}
	// Nor is a directory made for it left behind.
	fresh := filepath.Join(dir, "new")
	if _, _, err := st.Run(ctx, NewRunner(fresh), toyConfig{Text: "fail"}); err == nil {
		t.Fatal("the failing stage succeeded")
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Fatal("a failed first run left its new directory")
	}
	if _, _, err := st.Run(ctx, r, toyConfig{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, dir)
	if _, _, err := st.Run(ctx, r, toyConfig{Text: "fail"}); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("re-run: %v", err)
	}
	after := dirFiles(t, dir)
	if len(after) != len(before) {
		t.Fatalf("files before %v, after %v", keys(before), keys(after))
	}
	for f, b := range before {
		if after[f] != b {
			t.Errorf("%s changed by a failed run: %q, was %q", f, after[f], b)
		}
	}
	if err := CheckFresh(dir, mustManifest(t, dir), "a.txt"); err != nil {
		t.Errorf("after the failed run the manifest no longer vouches for a.txt: %v", err)
	}
}

// Apply keeps what it wrote when it stops: its results say how far it got.
func TestRunnerKeepsOutputsOnError(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := pairStage(true).Run(context.Background(), NewRunner(dir), toyConfig{Text: "fail"}); err == nil {
		t.Fatal("the failing stage succeeded")
	}
	if got := dirFiles(t, dir); got["a.txt"] != "fail a.txt" {
		t.Errorf("a stage that keeps its outputs lost a.txt: %v", keys(got))
	}
}

// A second writer is refused at once while one holds the snapshot, and
// nothing it would have written appears.
func TestRunnerRefusesSecondWriter(t *testing.T) {
	dir := t.TempDir()
	unlock, err := LockSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = pairStage(false).Run(context.Background(), NewRunner(dir), toyConfig{Text: "one"})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "another syncgap command is writing this snapshot") {
		t.Fatalf("second writer: %v", err)
	}
	if got := dirFiles(t, dir); !equalKeys(got, LockFile) {
		t.Errorf("a refused writer wrote %v", keys(got))
	}
	unlock()
	if _, _, err := pairStage(false).Run(context.Background(), NewRunner(dir), toyConfig{Text: "one"}); err != nil {
		t.Fatalf("after the lock was released: %v", err)
	}
}

// audit --replace locks the snapshot it replaces: no stage runs on it
// meanwhile, and a snapshot another command is writing is not replaced.
func TestReplaceLocksTheOldSnapshot(t *testing.T) {
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "snap")
	if _, _, err := pairStage(false).Run(ctx, NewRunner(out), toyConfig{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	tx, err := BeginSnapshot(out, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pairStage(false).Run(ctx, NewRunner(out), toyConfig{Text: "two"}); !errors.Is(err, ErrLocked) {
		t.Errorf("a stage ran on a snapshot being replaced: %v", err)
	}
	if _, err := BeginSnapshot(out, true); !errors.Is(err, ErrLocked) {
		t.Errorf("two replaces of one snapshot at once: %v", err)
	}
	if _, _, err := pairStage(false).Run(ctx, NewRunner(tx.Dir()), toyConfig{Text: "new"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := dirFiles(t, out); got["a.txt"] != "new a.txt" {
		t.Errorf("replaced snapshot holds %v", got)
	}
	unlock, err := LockSnapshot(out)
	if err != nil {
		t.Fatalf("the new snapshot stayed locked: %v", err)
	}
	unlock()

	// Abort lets go of the lock too.
	tx, err = BeginSnapshot(out, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.Abort()
	tx, err = BeginSnapshot(out, true)
	if err != nil {
		t.Fatalf("after Abort: %v", err)
	}
	tx.Abort() // Windows cannot remove a lock file still open
}

func mustManifest(t *testing.T, dir string) *Manifest {
	t.Helper()
	m, err := LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func keys(m map[string]string) []string {
	var k []string
	for f := range m {
		k = append(k, f)
	}
	slices.Sort(k)
	return k
}

func equalKeys(m map[string]string, want ...string) bool {
	slices.Sort(want)
	return slices.Equal(keys(m), want)
}

// A directory holding only a lock file (left by a killed run) counts as
// empty: an audit may write its snapshot there.
func TestOnlyLockCountsAsEmpty(t *testing.T) {
	out := filepath.Join(t.TempDir(), "snap")
	os.Mkdir(out, 0o755)
	os.WriteFile(filepath.Join(out, LockFile), nil, 0o644)
	tx, err := BeginSnapshot(out, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pairStage(false).Run(context.Background(), NewRunner(tx.Dir()), toyConfig{Text: "one"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := dirFiles(t, out); got["a.txt"] != "one a.txt" {
		t.Errorf("snapshot holds %v", keys(got))
	}
	os.WriteFile(filepath.Join(out, "other.txt"), nil, 0o644)
	if _, err := BeginSnapshot(filepath.Join(out, "x", ".."), false); err == nil {
		t.Error("a directory with files was taken without --replace")
	}
}

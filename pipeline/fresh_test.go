package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chain writes a.txt (stage one) and b.txt (stage two, from a.txt) and records both.
func chain(t *testing.T) (string, *Manifest) {
	t.Helper()
	dir := t.TempDir()
	m := &Manifest{Format: ManifestFormat}
	write := func(name, body string) OutputRecord {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		sum, _, err := HashFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return OutputRecord{File: name, SHA256: sum}
	}
	a := write("a.txt", "one")
	m.Put(StageRecord{Stage: "one", Outputs: []OutputRecord{a}})
	b := write("b.txt", "two")
	m.Put(StageRecord{Stage: "two", Inputs: []InputRecord{{Path: "a.txt", SHA256: a.SHA256, Snapshot: true}}, Outputs: []OutputRecord{b}})
	return dir, m
}

func TestCheckFresh(t *testing.T) {
	dir, m := chain(t)
	if err := CheckFresh(dir, m, "b.txt"); err != nil {
		t.Fatalf("fresh chain: %v", err)
	}

	// Stage one ran again and wrote something else: b.txt is stale.
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("ONE"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, _, _ := HashFile(filepath.Join(dir, "a.txt"))
	m.Put(StageRecord{Stage: "one", Outputs: []OutputRecord{{File: "a.txt", SHA256: sum}}})
	err := CheckFresh(dir, m, "b.txt")
	if !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "re-run two") {
		t.Errorf("re-run upstream: %v", err)
	}

	// A file edited behind the manifest's back.
	dir, m = chain(t)
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("edited"), 0o644)
	if err := CheckFresh(dir, m, "b.txt"); !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "a.txt was changed after one wrote it") {
		t.Errorf("edited input: %v", err)
	}
	if err := CheckFresh(dir, m, "c.txt"); !errors.Is(err, ErrStale) {
		t.Errorf("unrecorded file: %v", err)
	}
}

func TestPutSupersedesAFileOfAnotherStage(t *testing.T) {
	m := &Manifest{Format: ManifestFormat}
	m.Put(StageRecord{Stage: "report", Outputs: []OutputRecord{{File: "report.xlsx", SHA256: "1"}}})
	m.Put(StageRecord{Stage: "classify", Outputs: []OutputRecord{{File: "gaps.parquet", SHA256: "2"}}})
	m.Put(StageRecord{Stage: "plan", Outputs: []OutputRecord{{File: "plan.parquet"}, {File: "report.xlsx", SHA256: "3"}}})
	if m.Stage("report") != nil {
		t.Error("report, whose only output plan rewrote, is still recorded")
	}
	if m.Stage("classify") == nil {
		t.Error("classify was dropped")
	}
	if rec, out := m.Output("report.xlsx"); rec == nil || rec.Stage != "plan" || out.SHA256 != "3" {
		t.Errorf("report.xlsx recorded as %+v %+v", rec, out)
	}
}

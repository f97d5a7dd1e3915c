package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/pipeline"
	"syncgap/stages/diff"

	"github.com/xuri/excelize/v2"
)

// diffSnapshots audits the demo tenant twice, the second time without the
// MSOnline export: the cloud's otherMobile becomes unknown for most users.
func diffSnapshots(t *testing.T) (before, after string) {
	t.Helper()
	root := t.TempDir()
	before, after = filepath.Join(root, "snap-week47"), filepath.Join(root, "snap-week48")
	mustAudit(t, demoArgs(t, before))
	args := demoArgs(t, after)
	for i := range args {
		if strings.HasSuffix(args[i], "msol.csv") {
			args = append(args[:i-1], args[i+1:]...)
			break
		}
	}
	mustAudit(t, args)
	return before, after
}

func sameTree(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := treeHashes(t, dir)
	if len(got) != len(want) {
		t.Errorf("%s holds %d files, had %d", dir, len(got), len(want))
	}
	for f, sum := range want {
		if got[f] != sum {
			t.Errorf("%s/%s was changed by diff", dir, f)
		}
	}
}

// TestDiffDeterministicAndReadOnly: the same two snapshots give the same
// bytes twice, the snapshots compared are never written, a diff snapshot
// replays, and --out follows audit's rules.
func TestDiffDeterministicAndReadOnly(t *testing.T) {
	before, after := diffSnapshots(t)
	hb, ha := treeHashes(t, before), treeHashes(t, after)

	stdout := mustRun(t, "diff", before, after)
	for _, want := range []string{"Before snap-week47", "After  snap-week48", "state_changed", "EFFECT OF ENABLING BYPASS", "other_mobile_state in_sync", "Nothing was written"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	d1, d2 := filepath.Join(t.TempDir(), "drift"), filepath.Join(t.TempDir(), "drift")
	mustRun(t, "diff", before, after, "--out", d1)
	mustRun(t, "diff", before, after, "--out", d2)
	for _, f := range diff.Files {
		b1, err1 := os.ReadFile(filepath.Join(d1, f))
		b2, err2 := os.ReadFile(filepath.Join(d2, f))
		if err1 != nil || err2 != nil || !bytes.Equal(b1, b2) {
			t.Errorf("%s differs between two identical diffs (%v %v)", f, err1, err2)
		}
	}
	sameTree(t, before, hb)
	sameTree(t, after, ha)

	rows, err := pipeline.ReadRows[pipeline.DiffRow](filepath.Join(d1, "diff.parquet"))
	if err != nil || len(rows) == 0 {
		t.Fatalf("diff.parquet: %d rows, %v", len(rows), err)
	}
	for i := range rows {
		if !rows[i].Has(pipeline.StateChanged) || rows[i].After.OtherMobileState != pipeline.Unverifiable {
			t.Errorf("row %s: %v, other_mobile_state %s: dropping the MSOnline export changes only otherMobile's state",
				rows[i].UPN, rows[i].Changes, rows[i].After.OtherMobileState)
		}
	}
	book, err := excelize.OpenFile(filepath.Join(d1, "diff.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	listed, err := book.GetRows("Changes")
	book.Close()
	if err != nil || len(listed) != len(rows)+1 || len(listed) < 2 || listed[1][0] != rows[0].UPN {
		t.Errorf("the Changes sheet lists %d rows for %d diff rows (%v)", len(listed)-1, len(rows), err)
	}
	if out, stderr, code := syncgap(t, "replay", d1); code != 0 || !strings.Contains(out, "all 2 files match") {
		t.Errorf("replay of a diff snapshot: exit %d\n%s%s", code, out, stderr)
	}

	// --out is a new snapshot: refused when it holds one, replaced with --replace.
	if _, stderr, code := syncgap(t, "diff", before, after, "--out", d1); code != 1 || !strings.Contains(stderr, "already holds files") {
		t.Errorf("diff into an existing snapshot: exit %d %s", code, stderr)
	}
	mustRun(t, "diff", after, before, "--out", d1, "--replace")
	if m, _ := pipeline.LoadManifest(d1); m.Stage("diff") == nil || !strings.HasSuffix(m.Stage("diff").Parameters["before"], "snap-week48") {
		t.Errorf("--replace did not write the new diff: %+v", m)
	}
}

// TestDiffRefuses: what is no audited snapshot, and an --out that would
// write into one, are refused in one line, and nothing is written.
func TestDiffRefuses(t *testing.T) {
	before, after := diffSnapshots(t)
	root := t.TempDir()
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	file := filepath.Join(root, "notes.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	drift := filepath.Join(root, "drift")
	mustRun(t, "diff", before, after, "--out", drift)
	stale := filepath.Join(root, "stale")
	if err := os.CopyFS(stale, os.DirFS(before)); err != nil {
		t.Fatal(err)
	}
	joined, _ := os.ReadFile(filepath.Join(stale, "joined.parquet"))
	os.WriteFile(filepath.Join(stale, "gaps.parquet"), joined, 0o644)
	hb := treeHashes(t, before)

	// OUT stands for a new directory of each case's own, which a refused
	// diff must not leave behind.
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing", []string{before, filepath.Join(root, "nope"), "--out", "OUT"}, 1, "after snapshot " + filepath.Join(root, "nope") + ": no such directory"},
		{"file", []string{file, after, "--out", "OUT"}, 1, "before snapshot " + file + ": is a file, not a snapshot directory"},
		{"no manifest", []string{before, empty, "--out", "OUT"}, 1, "not a syncgap snapshot (no manifest.json)"},
		{"no audit", []string{drift, after, "--out", "OUT"}, 1, "holds no audit (no stage in its manifest wrote gaps.parquet; it records diff)"},
		{"stale", []string{stale, after, "--out", "OUT"}, 1, "gaps.parquet was changed after classify wrote it"},
		{"stale, no out", []string{stale, after}, 1, "gaps.parquet was changed after classify wrote it"},
		{"out is a snapshot compared", []string{before, after, "--out", before, "--replace"}, 1, "overlaps the snapshot"},
		{"out inside a snapshot", []string{before, after, "--out", filepath.Join(after, "drift")}, 1, "overlaps the snapshot"},
		{"replace without out", []string{before, after, "--replace"}, 1, "--replace needs --out"},
		{"one snapshot", []string{before}, 2, "accepts 2 arg(s)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(root, "out-"+strings.ReplaceAll(tt.name, " ", "-"))
			args := []string{"diff"}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "OUT", out))
			}
			stdout, stderr, code := syncgap(t, args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q", code, tt.code, stderr, tt.want)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; tt.code == 1 && lines != 1 {
				t.Errorf("the error takes %d lines:\n%s", lines, stderr)
			}
			if tt.code == 1 && stdout != "" {
				t.Errorf("a refused diff printed:\n%s", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a refused diff left %s", out)
			}
		})
	}
	sameTree(t, before, hb)
	if _, err := os.Stat(filepath.Join(after, "drift")); err == nil {
		t.Error("a refused diff wrote into the snapshot it compares")
	}
}

// diffColumns is the diff table's contract (docs/tables.md, "diff") as
// DuckDB reports it.
var diffColumns = "upn VARCHAR, dn VARCHAR, entra_id VARCHAR, match_key VARCHAR, changes VARCHAR[], " +
	prefixed("before_", diffSideColumns) + ", " + prefixed("after_", diffSideColumns)

const diffSideColumns = "upn VARCHAR, dn VARCHAR, entra_id VARCHAR, match_status VARCHAR, mobile_state VARCHAR, other_mobile_state VARCHAR, " +
	"mobile_ad VARCHAR, mobile_entra VARCHAR, other_mobile_ad VARCHAR[], other_mobile_entra VARCHAR[], effect VARCHAR"

func TestDuckDBReadsDiff(t *testing.T) {
	before, after := diffSnapshots(t)
	d := filepath.Join(t.TempDir(), "drift")
	mustRun(t, "diff", before, after, "--out", d)
	got := describeWithDuckDB(t, d)
	g, ok := got["diff"]
	if !ok {
		t.Fatalf("DuckDB did not read diff.parquet: %v", got)
	}
	var cols []string
	for _, c := range g.Columns {
		cols = append(cols, c.Name+" "+c.Type)
	}
	if strings.Join(cols, ", ") != diffColumns {
		t.Errorf("diff columns:\n got %s\nwant %s", strings.Join(cols, ", "), diffColumns)
	}
	m, _ := pipeline.LoadManifest(d)
	if _, rec := m.Output("diff.parquet"); rec == nil || rec.Rows != g.Rows || g.Rows == 0 {
		t.Errorf("DuckDB counts %d rows, manifest %+v", g.Rows, rec)
	}
}

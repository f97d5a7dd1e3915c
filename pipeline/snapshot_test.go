package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBeginSnapshotRefusals(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ad.ldif")
	os.WriteFile(file, []byte("dn: x\n"), 0o644)
	other := filepath.Join(dir, "pages")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "page1.json"), []byte("{}"), 0o644)
	for _, tc := range []struct {
		out     string
		replace bool
		want    string
	}{
		{file, true, "is a file"},
		{other, false, "already holds files"},
		{other, true, "not a syncgap snapshot"},
	} {
		if _, err := BeginSnapshot(tc.out, tc.replace); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("BeginSnapshot(%s, %v): %v, want %q", tc.out, tc.replace, err, tc.want)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "dn: x\n" {
		t.Error("the file was touched")
	}
	if _, err := os.Stat(filepath.Join(other, "page1.json")); err != nil {
		t.Error("the directory was touched")
	}
	// A snapshot may be replaced.
	snap := filepath.Join(dir, "snap")
	os.Mkdir(snap, 0o755)
	(&Manifest{Format: ManifestFormat, Stages: []StageRecord{{Stage: "extract-ad", Outputs: []OutputRecord{{File: "ad_users.parquet"}}}}}).Save(snap)
	tx, err := BeginSnapshot(snap, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.Abort()
}

func TestManifestPathsArePlainNames(t *testing.T) {
	for _, bad := range []string{"../victim.txt", "/etc/passwd", "a/b.parquet", `..\\x`, "..", ""} {
		dir := t.TempDir()
		m := &Manifest{Format: ManifestFormat, Stages: []StageRecord{{Stage: "join", Outputs: []OutputRecord{{File: bad}}}}}
		if err := m.Save(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadManifest(dir); err == nil || !strings.Contains(err.Error(), "corrupt manifest") {
			t.Errorf("output %q: %v", bad, err)
		}
	}
}

// TestCommitChecksTheDestinationAgain: two audits into one --out at the
// same time. The one that finishes second must not move the first one's
// snapshot aside (without --replace), nor replace what became something
// other than a snapshot (with it).
func TestCommitChecksTheDestinationAgain(t *testing.T) {
	dir := t.TempDir()
	writeSnapshot := func(at string) {
		os.MkdirAll(at, 0o755)
		os.WriteFile(filepath.Join(at, "ad_users.parquet"), []byte("first"), 0o644)
		(&Manifest{Format: ManifestFormat, Stages: []StageRecord{{Stage: "extract-ad", Outputs: []OutputRecord{{File: "ad_users.parquet"}}}}}).Save(at)
	}
	for _, tc := range []struct {
		name      string
		replace   bool
		meanwhile func(out string)
		want      string
	}{
		{"another audit finished first", false, writeSnapshot, "already holds files"},
		{"the snapshot became something else", true, func(out string) {
			os.Remove(filepath.Join(out, ManifestFile))
		}, "not a syncgap snapshot"},
	} {
		out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
		if tc.replace {
			writeSnapshot(out)
		}
		tx, err := BeginSnapshot(out, tc.replace)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(tx.Dir(), "ad_users.parquet"), []byte("second"), 0o644)
		tc.meanwhile(out)
		err = tx.Commit()
		tx.Abort()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Commit: %v, want %q", tc.name, err, tc.want)
		}
		if b, _ := os.ReadFile(filepath.Join(out, "ad_users.parquet")); string(b) != "first" {
			t.Errorf("%s: the destination now holds %q", tc.name, b)
		}
		if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp-*")); len(m) > 0 {
			t.Errorf("%s: left %v", tc.name, m)
		}
	}
	// An empty directory made for the snapshot is taken.
	out := filepath.Join(dir, "empty")
	os.Mkdir(out, 0o755)
	tx, err := BeginSnapshot(out, false)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tx.Dir(), "ad_users.parquet"), []byte("new"), 0o644)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "ad_users.parquet")); string(b) != "new" {
		t.Errorf("empty destination: holds %q", b)
	}
}

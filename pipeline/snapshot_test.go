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

package diff

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// auditedSnapshot writes a snapshot holding gaps rows, recorded in its
// manifest as classify's output, the way an audit leaves it for diff.
func auditedSnapshot(t *testing.T, dir string, gaps []pipeline.Gap) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := pipeline.WriteTable(dir, pipeline.GapsTable, gaps)
	if err != nil {
		t.Fatal(err)
	}
	m := &pipeline.Manifest{Format: pipeline.ManifestFormat}
	m.Put(pipeline.StageRecord{Stage: "classify", Outputs: []pipeline.OutputRecord{out}})
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func gap(id, dn, upn, mobileAD string) pipeline.Gap {
	return pipeline.Gap{
		UPN: upn, DN: dn, EntraID: id, MatchStatus: pipeline.Matched, MatchMethod: pipeline.ByAnchor,
		MobileState: pipeline.InSync, OtherMobileState: pipeline.InSync, MobileAD: mobileAD, MobileEntra: "+1 425 555 0100",
		OtherMobileAD: []string{}, OtherMobileEntra: []string{}, Effect: pipeline.NoEffect, Risk: pipeline.RiskNone,
		Reason: "a reason diff does not read",
	}
}

// TestStageRecordsAndWrites runs the stage as the command does and
// checks what it writes and what its manifest records.
func TestStageRecordsAndWrites(t *testing.T) {
	root := t.TempDir()
	before := auditedSnapshot(t, filepath.Join(root, "week47"), []pipeline.Gap{
		gap("id-a", "CN=A", "a@x", "+1 425 555 0100"), gap("id-b", "CN=B", "b@x", "+1 425 555 0100"),
	})
	after := auditedSnapshot(t, filepath.Join(root, "week48"), []pipeline.Gap{
		gap("id-a", "CN=A", "a@x", "+1 425 555 0177"), gap("id-c", "CN=C", "c@x", "+1 425 555 0100"),
	})
	out := filepath.Join(root, "drift")
	sum, rec, err := Stage.Run(context.Background(), pipeline.NewRunner(out), Config{Before: before, After: after})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Before != 2 || sum.After != 2 || sum.Changed != 1 || sum.Unchanged != 0 || sum.Appeared != 1 || sum.Disappeared != 1 {
		t.Errorf("summary %+v", sum)
	}
	if sum.Book == nil || sum.Book.Rows != nil || sum.Book.Before.Name != "week47" {
		t.Errorf("book for the terminal: %+v", sum.Book)
	}
	want := map[string]string{"before_users": "2", "after_users": "2", "changed": "1", "unchanged": "0", "appeared": "1", "disappeared": "1"}
	if !reflect.DeepEqual(rec.Detail, want) {
		t.Errorf("detail %v, want %v", rec.Detail, want)
	}
	if rec.Parameters["before"] != before || rec.Parameters["after"] != after {
		t.Errorf("parameters %v", rec.Parameters)
	}
	var ins []string
	for _, in := range rec.Inputs {
		sum, _, _ := pipeline.HashFile(in.Path)
		if in.Snapshot || in.SHA256 != sum || in.Bytes == 0 {
			t.Errorf("input %+v (file hashes to %s)", in, sum)
		}
		ins = append(ins, in.Path)
	}
	if wantIns := []string{filepath.Join(before, "gaps.parquet"), filepath.Join(after, "gaps.parquet")}; !slices.Equal(ins, wantIns) {
		t.Errorf("inputs %v, want %v", ins, wantIns)
	}
	rows, err := pipeline.ReadRows[pipeline.DiffRow](filepath.Join(out, "diff.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.UPN+" "+strings.Join(r.Changes, ",")+" "+r.Before.MobileAD+">"+r.After.MobileAD)
	}
	if w := []string{"a@x ad_changed +1 425 555 0100>+1 425 555 0177", "b@x disappeared +1 425 555 0100>", "c@x appeared >+1 425 555 0100"}; !slices.Equal(got, w) {
		t.Errorf("rows %q, want %q", got, w)
	}
	m, err := pipeline.LoadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Files {
		if _, o := m.Output(f); o == nil || o.Rows != 3 {
			t.Errorf("manifest output %s: %+v", f, o)
		}
	}
}

func TestEveryFieldRecords(t *testing.T) {
	for _, v := range []any{Config{}, Summary{Book: &workbook.DiffBook{}}} {
		if _, err := pipeline.EncodeParams(v); err != nil {
			t.Errorf("%T: %v", v, err)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	root := t.TempDir()
	good := auditedSnapshot(t, filepath.Join(root, "good"), []pipeline.Gap{gap("id-a", "CN=A", "a@x", "1")})
	noAudit := filepath.Join(root, "rollback")
	os.Mkdir(noAudit, 0o755)
	m := &pipeline.Manifest{Format: pipeline.ManifestFormat}
	m.Put(pipeline.StageRecord{Stage: "rollback", Outputs: []pipeline.OutputRecord{{File: "plan.parquet"}}})
	m.Save(noAudit)
	stale := auditedSnapshot(t, filepath.Join(root, "stale"), []pipeline.Gap{gap("id-a", "CN=A", "a@x", "1")})
	pipeline.WriteTable(stale, pipeline.GapsTable, []pipeline.Gap{gap("id-a", "CN=A", "a@x", "2")})
	for _, tt := range []struct{ dir, want string }{
		{filepath.Join(root, "none"), "after snapshot " + filepath.Join(root, "none") + ": no such directory"},
		{filepath.Join(good, "gaps.parquet"), "is a file, not a snapshot directory"},
		{root, "not a syncgap snapshot (no manifest.json)"},
		{noAudit, "holds no audit (no stage in its manifest wrote gaps.parquet; it records rollback)"},
		{stale, "gaps.parquet was changed after classify wrote it"},
	} {
		s, err := Open(tt.dir, "after")
		if err == nil {
			s.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Open(%s) = %v, want one line with %q", tt.dir, err, tt.want)
		}
	}
	s, err := Open(good, "before")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Gaps.Len() != 1 || s.Info.Name != "good" || s.Input.Path != filepath.Join(good, "gaps.parquet") {
		t.Errorf("opened %+v", s)
	}
}

func TestCheckOut(t *testing.T) {
	root := t.TempDir()
	snap := filepath.Join(root, "snap")
	os.Mkdir(snap, 0o755)
	link := filepath.Join(root, "link")
	if err := os.Symlink(snap, link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		out string
		ok  bool
	}{
		{filepath.Join(root, "drift"), true},
		{filepath.Join(root, "snapshot-2"), true},
		{snap, false},
		{snap + string(filepath.Separator), false},
		{filepath.Join(snap, "drift"), false},
		{root, false},
		{link, false},
		{filepath.Join(link, "new", "drift"), false},
	} {
		if err := CheckOut(tt.out, snap); (err == nil) != tt.ok {
			t.Errorf("CheckOut(%s): %v, want ok=%v", tt.out, err, tt.ok)
		}
	}
}

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/pipeline"
)

func TestDemoAuditReplayAndDeterminism(t *testing.T) {
	a := filepath.Join(t.TempDir(), "snap")
	stdout := mustAudit(t, demoArgs(t, a))
	for _, want := range []string{"MATCH STATUS", "matched", "EFFECT OF ENABLING BYPASS", "clears_cloud", "would clear cloud values of", "report.xlsx"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("audit summary lacks %q:\n%s", want, stdout)
		}
	}
	m, err := pipeline.LoadManifest(a)
	if err != nil {
		t.Fatal(err)
	}
	stages := []string{}
	for _, s := range m.Stages {
		stages = append(stages, s.Stage)
		if s.ToolVersion == "" || len(s.Inputs) == 0 || len(s.Outputs) == 0 {
			t.Errorf("stage %s record incomplete: %+v", s.Stage, s)
		}
		for _, in := range s.Inputs {
			if len(in.SHA256) != 64 {
				t.Errorf("stage %s input %s has no SHA-256", s.Stage, in.Path)
			}
		}
	}
	if got := strings.Join(stages, ","); got != "extract-ad,extract-entra,join,classify,report" {
		t.Fatalf("manifest stages = %s", got)
	}

	// Same inputs, same parameters: byte-identical outputs.
	b := filepath.Join(t.TempDir(), "snap")
	mustAudit(t, demoArgs(t, b))
	mb, _ := pipeline.LoadManifest(b)
	for _, s := range m.Stages {
		for _, o := range s.Outputs {
			if o.File == "report.xlsx" {
				continue // it says when the data was read; replay below checks it byte for byte
			}
			_, ob := mb.Output(o.File)
			if ob == nil || ob.SHA256 != o.SHA256 {
				t.Errorf("%s differs between two identical runs", o.File)
			}
		}
	}

	// Replay in place, then from a moved copy.
	if out, stderr, code := syncgap(t, "replay", a); code != 0 || !strings.Contains(out, "all 6 files match") {
		t.Fatalf("replay exit %d:\n%s\n%s", code, out, stderr)
	}
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(a, moved); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := syncgap(t, "replay", moved); code != 0 {
		t.Fatalf("replay of moved snapshot exit %d:\n%s\n%s", code, out, stderr)
	}

	// A tampered saved table is caught.
	joined := filepath.Join(moved, "ad_users.parquet")
	data, _ := os.ReadFile(joined)
	data[len(data)/2] ^= 0xff
	os.WriteFile(joined, data, 0o644)
	out, _, code := syncgap(t, "replay", moved)
	if code != 3 || !strings.Contains(out, "differs (saved input)") {
		t.Fatalf("replay of a tampered snapshot: exit %d\n%s", code, out)
	}
}

func TestReplayCatchesChangedParameters(t *testing.T) {
	a := filepath.Join(t.TempDir(), "snap")
	mustAudit(t, demoArgs(t, a))
	// Re-classify with another default region: the manifest now records it,
	// and replay re-runs with it, so everything still matches.
	if out, stderr, code := syncgap(t, "classify", "--snapshot", a, "--default-region", "GB"); code != 0 {
		t.Fatalf("classify: %s %s", out, stderr)
	}
	if _, _, code := syncgap(t, "report", "--snapshot", a); code != 0 {
		t.Fatal("report failed")
	}
	if out, _, code := syncgap(t, "replay", a); code != 0 {
		t.Fatalf("replay after re-classify: exit %d\n%s", code, out)
	}
	// Editing a recorded parameter by hand makes the recorded hashes unreproducible.
	m, _ := pipeline.LoadManifest(a)
	m.Stage("classify").Parameters["default_region"] = "US"
	m.Save(a)
	if out, _, code := syncgap(t, "replay", a); code != 3 {
		t.Fatalf("replay with a forged parameter: exit %d\n%s", code, out)
	}
}

func TestShow(t *testing.T) {
	a := filepath.Join(t.TempDir(), "snap")
	mustAudit(t, demoArgs(t, a))
	gaps, err := pipeline.ReadRows[pipeline.Gap](filepath.Join(a, "gaps.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	var target *pipeline.Gap
	for i := range gaps {
		if gaps[i].MatchStatus == pipeline.Matched && gaps[i].MobileState == pipeline.Mismatch {
			target = &gaps[i]
			break
		}
	}
	if target == nil {
		t.Fatal("demo has no matched mismatch row")
	}
	out, stderr, code := syncgap(t, "show", strings.ToUpper(target.UPN), "--snapshot", a)
	if code != 0 {
		t.Fatalf("show: exit %d %s", code, stderr)
	}
	for _, want := range []string{target.DN, "mobile mismatch", target.MobileAD, target.MobileEntra, "ENTRA ID"} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
	if _, stderr, code := syncgap(t, "show", "nobody@nowhere.example", "--snapshot", a); code == 0 || !strings.Contains(stderr, "no user") || strings.Contains(stderr, "did you mean") {
		t.Fatalf("show of an unknown user: exit %d %s", code, stderr)
	}
	// A slip of typing gets the name meant.
	typo := target.UPN[:2] + target.UPN[3:]
	if _, stderr, code := syncgap(t, "show", typo, "--snapshot", a); code == 0 || !strings.Contains(stderr, "did you mean "+target.UPN+"?") {
		t.Errorf("show %s: exit %d %s", typo, code, stderr)
	}

	// --json: the same user, as the tables hold it.
	out, stderr, code = syncgap(t, "show", target.UPN, "--snapshot", a, "--json")
	if code != 0 {
		t.Fatalf("show --json: exit %d %s", code, stderr)
	}
	var shown []struct {
		Joined map[string]any `json:"joined"`
		Gaps   map[string]any `json:"gaps"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("show --json: %v\n%s", err, out)
	}
	if len(shown) != 1 || shown[0].Gaps["dn"] != target.DN || shown[0].Gaps["mobile_state"] != "mismatch" ||
		shown[0].Gaps["mobile_entra"] != target.MobileEntra || shown[0].Joined["ad_dn"] != target.DN {
		t.Errorf("show --json: %+v", shown)
	}
}

// duckdbColumns is the table contract (docs/tables.md) as DuckDB reports it.
var duckdbColumns = map[string]string{
	"ad_users": "dn VARCHAR, object_guid VARCHAR, consistency_guid VARCHAR, source_anchor VARCHAR, sam_account_name VARCHAR, upn VARCHAR, mobile VARCHAR, other_mobile VARCHAR[], country VARCHAR, enabled BOOLEAN, when_changed TIMESTAMP WITH TIME ZONE, origin VARCHAR",
	"entra_users": "id VARCHAR, upn VARCHAR, mobile_phone VARCHAR, alternate_mobile_phones VARCHAR[], business_phones VARCHAR[], usage_location VARCHAR, on_premises_sync_enabled BOOLEAN, " +
		"on_premises_immutable_id VARCHAR, on_premises_upn VARCHAR, on_premises_sam_account_name VARCHAR, on_premises_dn VARCHAR, on_premises_last_sync TIMESTAMP WITH TIME ZONE, account_enabled BOOLEAN, origin VARCHAR",
	"tenant": "feature VARCHAR, enabled BOOLEAN, source VARCHAR",
	"gaps": "upn VARCHAR, dn VARCHAR, entra_id VARCHAR, match_status VARCHAR, match_method VARCHAR, mobile_state VARCHAR, other_mobile_state VARCHAR, mobile_ad VARCHAR, mobile_entra VARCHAR, " +
		"other_mobile_ad VARCHAR[], other_mobile_entra VARCHAR[], mobile_ad_e164 VARCHAR, mobile_entra_e164 VARCHAR, effect VARCHAR, risk VARCHAR, timing VARCHAR, region VARCHAR, reason VARCHAR",
}

// duckdbTable is one Parquet file as DuckDB describes it.
type duckdbTable struct {
	Columns []struct{ Name, Type string }
	Rows    int64
}

// describeWithDuckDB reads every Parquet file in dir with DuckDB
// (fixtures/duckdb/describe.mjs), by table name.
func describeWithDuckDB(t *testing.T, dir string) map[string]duckdbTable {
	t.Helper()
	node, err := exec.LookPath("node")
	script := filepath.Join(repoRoot(t), "fixtures", "duckdb", "describe.mjs")
	if _, serr := os.Stat(filepath.Join(repoRoot(t), "fixtures", "duckdb", "node_modules", "@duckdb", "node-api")); err != nil || serr != nil {
		t.Fatalf("DuckDB check needs node and fixtures/duckdb/node_modules: run `make test-deps` (%v %v)", err, serr)
	}
	out, err := exec.Command(node, script, dir).Output()
	if err != nil {
		t.Fatalf("duckdb: %v", err)
	}
	var got map[string]duckdbTable
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("duckdb output: %v\n%s", err, out)
	}
	return got
}

func TestDuckDBReadsEveryTable(t *testing.T) {
	a := filepath.Join(t.TempDir(), "snap")
	mustAudit(t, demoArgs(t, a))
	got := describeWithDuckDB(t, a)
	m, _ := pipeline.LoadManifest(a)
	for _, table := range []string{"ad_users", "entra_users", "tenant", "joined", "gaps"} {
		g, ok := got[table]
		if !ok {
			t.Errorf("DuckDB did not read %s", table)
			continue
		}
		var cols []string
		for _, c := range g.Columns {
			cols = append(cols, c.Name+" "+c.Type)
		}
		if want, ok := duckdbColumns[table]; ok && strings.Join(cols, ", ") != want {
			t.Errorf("%s columns:\n got %s\nwant %s", table, strings.Join(cols, ", "), want)
		}
		if table == "joined" {
			// joined = status columns + ad_* + entra_* versions of the two user tables.
			joinedWant := "match_status VARCHAR, match_method VARCHAR, match_note VARCHAR, " +
				prefixed("ad_", duckdbColumns["ad_users"]) + ", " + prefixed("entra_", duckdbColumns["entra_users"])
			if strings.Join(cols, ", ") != joinedWant {
				t.Errorf("joined columns:\n got %s\nwant %s", strings.Join(cols, ", "), joinedWant)
			}
		}
		_, rec := m.Output(table + ".parquet")
		if rec == nil || rec.Rows != g.Rows {
			t.Errorf("%s: DuckDB counts %d rows, manifest %+v", table, g.Rows, rec)
		}
	}
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

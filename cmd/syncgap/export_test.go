package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// export writes every gaps row, with ADSyncTools' columns first, in CSV a
// reader gets back the table's values from, and in JSON; it refuses an
// unknown or tampered table and an --out it must not write.
func TestExportThroughTheBinary(t *testing.T) {
	work := t.TempDir()
	snap := filepath.Join(work, "snap")
	mustAudit(t, demoArgs(t, snap))
	gaps, err := pipeline.ReadRows[pipeline.Gap](filepath.Join(snap, "gaps.parquet"))
	if err != nil {
		t.Fatal(err)
	}

	csvOut := filepath.Join(work, "gaps.csv")
	if out := mustRun(t, "export", "--snapshot", snap, "--table", "gaps", "--out", csvOut); !strings.Contains(out, "Wrote 308 rows of gaps") {
		t.Errorf("stdout: %s", out)
	}
	b, _ := os.ReadFile(csvOut)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(gaps)+1 || strings.Join(recs[0][:3], ",") != "UserPrincipalName,MobileInAD,MobileInEntra" {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	for i, g := range gaps {
		r := recs[i+1]
		if r[0] != g.UPN || !csvCell(r[1], g.MobileAD) || !csvCell(r[2], g.MobileEntra) || r[4] != g.DN {
			t.Fatalf("row %d: %v, table has %+v", i+1, r[:5], g)
		}
	}

	stdout, stderr, code := syncgap(t, "export", "--snapshot", snap, "--table", "gaps", "--format", "json")
	if code != 0 {
		t.Fatalf("json: exit %d\n%s", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) != len(gaps) {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	for i, g := range gaps {
		// The tables store an empty text as null, and JSON says so.
		text := func(k string) string { s, _ := rows[i][k].(string); return s }
		if text("upn") != g.UPN || text("dn") != g.DN || text("effect") != string(g.Effect) || text("MobileInEntra") != g.MobileEntra {
			t.Fatalf("row %d: %v, table has %+v", i, rows[i], g)
		}
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--table", "gap"}, `holds no table "gap": did you mean "gaps"?`},
		{[]string{"--table", "gaps", "--out", csvOut}, "gaps.csv already exists"},
		{[]string{"--table", "gaps", "--out", filepath.Join(snap, "x.csv")}, "is inside the snapshot"},
		{[]string{"--table", "gaps", "--format", "xlsx"}, `--format "xlsx": csv or json`},
	} {
		_, stderr, code := syncgap(t, append([]string{"export", "--snapshot", snap}, tt.args...)...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, code, stderr, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(snap, "x.csv")); err == nil {
		t.Error("an export was written into the snapshot")
	}
	p := filepath.Join(snap, "joined.parquet")
	jb, _ := os.ReadFile(p)
	os.WriteFile(p, append(jb, 0), 0o644)
	if _, stderr, code := syncgap(t, "export", "--snapshot", snap, "--table", "joined"); code == 0 || !strings.Contains(stderr, "joined.parquet") {
		t.Errorf("tampered table: exit %d, %s", code, stderr)
	}
}

// csvCell tells whether cell is v as the CSV export writes it: as it is,
// or with the apostrophe that keeps a spreadsheet from running it.
func csvCell(cell, v string) bool { return cell == v || cell == "'"+v }

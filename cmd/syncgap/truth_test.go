package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"syncgap/fixtures/tenantgen"
	"syncgap/pipeline"
)

// TestGeneratedTenantMatchesTruth classifies a generated 50,000-user tenant
// and requires agreement with the generator's ground truth on every row.
func TestGeneratedTenantMatchesTruth(t *testing.T) {
	users := 50000
	if testing.Short() {
		users = 2000
	}
	dir := t.TempDir()
	if _, err := tenantgen.Generate(tenantgen.Config{Users: users, Seed: 7}, dir); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "snap")
	mustAudit(t, []string{"audit", "--ldif", filepath.Join(dir, "ad.ldif"), "--export", filepath.Join(dir, "graph"),
		"--export", filepath.Join(dir, "msol.csv"), "--tenant-features", filepath.Join(dir, "tenant-features.json"), "--out", snap})

	truth := readTruth(t, filepath.Join(dir, "truth.csv"))
	gaps, err := pipeline.ReadRows[pipeline.Gap](filepath.Join(snap, "gaps.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != len(truth) {
		t.Errorf("gaps has %d rows, truth %d", len(gaps), len(truth))
	}
	bad := 0
	for i := range gaps {
		g := &gaps[i]
		key := g.DN + "\x00" + g.EntraID
		want, ok := truth[key]
		got := fmt.Sprintf("%s %s %s %s", g.MatchStatus, g.MobileState, g.OtherMobileState, g.Effect)
		switch {
		case !ok:
			bad++
			if bad <= 20 {
				t.Errorf("row not in truth: dn=%q entra_id=%q: %s", g.DN, g.EntraID, got)
			}
		case got != want:
			bad++
			if bad <= 20 {
				t.Errorf("dn=%q entra_id=%q upn=%q:\n got %s\nwant %s\nreason: %s", g.DN, g.EntraID, g.UPN, got, want, g.Reason)
			}
		}
		delete(truth, key)
	}
	for k, v := range truth {
		bad++
		if bad <= 40 {
			t.Errorf("truth row missing from gaps: %q: %s", k, v)
		}
	}
	if bad > 0 {
		t.Fatalf("%d rows disagree with truth.csv", bad)
	}
}

func readTruth(t *testing.T, path string) map[string]string {
	t.Helper()
	col, recs := truthRecords(t, path)
	out := map[string]string{}
	for _, r := range recs {
		key := r[col["dn"]] + "\x00" + r[col["entra_id"]]
		if _, dup := out[key]; dup {
			t.Fatalf("truth.csv has key %q twice", key)
		}
		out[key] = fmt.Sprintf("%s %s %s %s", r[col["match_status"]], r[col["mobile_state"]], r[col["other_mobile_state"]], r[col["effect"]])
	}
	return out
}

// truthRecords reads truth.csv: the column index by name and the rows.
func truthRecords(t *testing.T, path string) (map[string]int, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"dn", "entra_id", "match_status", "mobile_state", "other_mobile_state", "effect"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("truth.csv lacks column %s", h)
		}
	}
	return col, recs[1:]
}

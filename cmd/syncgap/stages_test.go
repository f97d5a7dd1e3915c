package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/pipeline"
	"syncgap/stages/apply"
	"syncgap/stages/approve"
	"syncgap/stages/classify"
	"syncgap/stages/extractad"
	"syncgap/stages/extractentra"
	"syncgap/stages/extractentra/livegraph"
	"syncgap/stages/join"
	"syncgap/stages/plan"
	"syncgap/stages/report"
)

// TestEveryStageRecords runs each stage's Config (or, for sources holding a
// secret, its Record) and Summary through the manifest encoder: a field
// without a param tag fails here rather than going unrecorded.
func TestEveryStageRecords(t *testing.T) {
	for name, v := range map[string]any{
		"extract-ad ldif":     extractad.LDIFConfig{},
		"extract-ad ldif sum": extractad.LDIFSummary{},
		"extract-ad ldap":     extractad.LDAPStage.Record(extractad.LDAPSource{}),
		"extract-ad ldap sum": extractad.LDAPSummary{},
		"extract-entra":       extractentra.Config{},
		"extract-entra live":  livegraph.Stage.Record(livegraph.Config{}),
		"extract-entra sum":   pipeline.EntraSummary{},
		"join":                join.Config{},
		"join sum":            join.Summary{},
		"classify":            classify.Config{},
		"classify sum":        classify.Summary{},
		"report":              report.Config{},
		"report sum":          report.Summary{},
		"plan":                plan.Config{},
		"approve":             approve.Config{},
		"approve sum":         approve.Summary{},
		"apply":               apply.Stage.Record(apply.Config{}),
		"apply sum":           apply.Summary{},
		"verify":              apply.VerifyStage.Record(apply.VerifyConfig{}),
		"verify sum":          apply.VerifySummary{},
		"rollback":            apply.RollbackConfig{},
	} {
		if _, err := pipeline.EncodeParams(v); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Replayable stages must also decode what they encode.
	cfg := plan.Config{Policy: plan.EntraWins, Normalize: true, OnlyOU: "OU=A"}
	p, err := plan.Stage.With(cfg).Params()
	if err != nil {
		t.Fatal(err)
	}
	st, err := plan.Stage.FromParams(p)
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := st.Params(); len(q) != len(p) || q["only_ou"] != "OU=A" || q["missing_in_entra"] != "decide" {
		t.Errorf("plan params %v after a round trip %v", p, q)
	}
}

// TestReportRefusesStaleGaps: every stage checks its declared inputs, so
// report no longer draws a workbook from a gaps table edited after classify.
func TestReportRefusesStaleGaps(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "snap")
	runInProcess(t, demoArgs(t, snap)...)
	joined, err := os.ReadFile(filepath.Join(snap, "joined.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(snap, "gaps.parquet"), joined, 0o644); err != nil {
		t.Fatal(err)
	}
	root := newRoot()
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"report", "--snapshot", snap})
	err = root.ExecuteContext(context.Background())
	if !errors.Is(err, pipeline.ErrStale) || !strings.Contains(err.Error(), "gaps.parquet was changed after classify wrote it") {
		t.Errorf("report on an edited gaps table: %v", err)
	}
}

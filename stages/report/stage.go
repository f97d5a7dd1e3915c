// Package report is the stage that turns a classified snapshot into the
// audit workbook (the workbook itself is package reports).
package report

import (
	"context"
	"path/filepath"

	"syncgap/pipeline"
	"syncgap/reports"
)

// WorkbookFile is the audit workbook's name in a snapshot.
const WorkbookFile = "report.xlsx"

// Stage reads gaps and tenant (and the manifest's input records) and writes report.xlsx.
func Stage() pipeline.Stage {
	return pipeline.Stage{Name: "report", Replayable: true, Run: run}
}

func run(ctx context.Context, dir string, _ map[string]string) (*pipeline.Result, error) {
	var res pipeline.Result
	for _, t := range []string{pipeline.GapsTable, pipeline.TenantTable} {
		in, err := pipeline.TableInput(dir, t)
		if err != nil {
			return nil, err
		}
		res.Inputs = append(res.Inputs, in)
	}
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return nil, err
	}
	a := &reports.Audit{}
	// Everything shown comes from the snapshot, never from the run's
	// environment, so a replay of the report gives the same bytes.
	for _, name := range []string{"extract-ad", "extract-entra"} {
		if rec := m.Stage(name); rec != nil {
			a.Inputs = append(a.Inputs, rec.Inputs...)
			if a.ToolVersion == "" {
				a.ToolVersion = rec.ToolVersion
			}
			if f := rec.Detail["formats"]; f != "" {
				a.Formats = append(a.Formats, f)
			}
			if rec.Detail["weak_evidence"] == "true" {
				a.WeakEvidence = true
			}
		}
	}
	if rec := m.Stage("classify"); rec != nil {
		a.Parameters = rec.Parameters
	}
	if a.Tenant, err = pipeline.ReadTable[pipeline.TenantFlag](filepath.Join(dir, pipeline.FileName(pipeline.TenantTable))); err != nil {
		return nil, err
	}
	if a.Gaps, err = pipeline.ReadTable[pipeline.Gap](filepath.Join(dir, pipeline.FileName(pipeline.GapsTable))); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, WorkbookFile)
	if err := reports.WriteAudit(path, a); err != nil {
		return nil, err
	}
	sum, _, err := pipeline.HashFile(path)
	if err != nil {
		return nil, err
	}
	res.Outputs = []pipeline.OutputRecord{{File: WorkbookFile, Rows: int64(len(a.Gaps)), SHA256: sum}}
	return &res, nil
}

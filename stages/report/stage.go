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
	a, inputs, err := LoadAudit(dir)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, WorkbookFile)
	if err := reports.WriteAudit(path, a); err != nil {
		return nil, err
	}
	out, err := WorkbookOutput(dir, int64(len(a.Gaps)))
	if err != nil {
		return nil, err
	}
	return &pipeline.Result{Inputs: inputs, Outputs: []pipeline.OutputRecord{out}}, nil
}

// WorkbookOutput records report.xlsx for the manifest.
func WorkbookOutput(dir string, rows int64) (pipeline.OutputRecord, error) {
	sum, _, err := pipeline.HashFile(filepath.Join(dir, WorkbookFile))
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	return pipeline.OutputRecord{File: WorkbookFile, Rows: rows, SHA256: sum}, nil
}

// LoadAudit reads what the audit sheets show from a snapshot: gaps, tenant
// and the manifest's extraction records. inputs are the two tables.
// Everything comes from the snapshot, never from the run's environment, so
// a replay gives the same bytes.
func LoadAudit(dir string) (a *reports.Audit, inputs []pipeline.InputRecord, err error) {
	for _, t := range []string{pipeline.GapsTable, pipeline.TenantTable} {
		in, err := pipeline.TableInput(dir, t)
		if err != nil {
			return nil, nil, err
		}
		inputs = append(inputs, in)
	}
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		return nil, nil, err
	}
	a = &reports.Audit{}
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
		return nil, nil, err
	}
	if a.Gaps, err = pipeline.ReadTable[pipeline.Gap](filepath.Join(dir, pipeline.FileName(pipeline.GapsTable))); err != nil {
		return nil, nil, err
	}
	return a, inputs, nil
}

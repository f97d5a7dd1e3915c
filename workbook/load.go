package workbook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"syncgap/pipeline"
)

// File is the workbook's name in a snapshot: the audit workbook after an
// audit, the change-board workbook after a plan.
const File = "report.xlsx"

// Output is the manifest record of the workbook a stage just wrote.
func Output(dir string, rows int64) (pipeline.OutputRecord, error) {
	sum, _, err := pipeline.HashFile(filepath.Join(dir, File))
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	return pipeline.OutputRecord{File: File, Rows: rows, SHA256: sum}, nil
}

// LoadAudit reads what the audit sheets show from a snapshot: gaps, tenant
// and the manifest m's extraction records. Everything comes from the
// snapshot, never from the run's environment, so a replay gives the same
// bytes.
func LoadAudit(dir string, m *pipeline.Manifest) (*Audit, error) {
	a := &Audit{}
	for _, name := range []string{"extract-ad", "extract-entra"} {
		if rec := m.Stage(name); rec != nil {
			a.Inputs = append(a.Inputs, rec.Inputs...)
			if a.ToolVersion == "" {
				a.ToolVersion = rec.ToolVersion
			}
		}
	}
	if rec := m.Stage("extract-entra"); rec != nil {
		var s pipeline.EntraSummary
		if err := pipeline.DecodeParams(rec.Detail, &s); err != nil {
			return nil, fmt.Errorf("manifest: extract-entra: %w", err)
		}
		if s.Formats != "" {
			a.Formats = append(a.Formats, s.Formats)
		}
		a.WeakEvidence = s.WeakEvidence
	}
	if rec := m.Stage("extract-ad"); rec != nil {
		a.ADReadAt = rec.FinishedAt
	}
	if rec := m.Stage("extract-entra"); rec != nil {
		a.CloudReadAt = rec.FinishedAt
	}
	a.Snapshot = SnapshotID(m)
	if rec := m.Stage("classify"); rec != nil {
		a.Parameters = rec.Parameters
	}
	var err error
	if a.Tenant, err = pipeline.ReadRows[pipeline.TenantFlag](filepath.Join(dir, pipeline.FileName(pipeline.TenantTable))); err != nil {
		return nil, err
	}
	// Not held: every pass reads the file again, so ten million gaps rows
	// cost a batch of memory, not gigabytes (docs/architecture.md, "Memory").
	gaps, err := pipeline.OpenTableFile[pipeline.Gap](filepath.Join(dir, pipeline.FileName(pipeline.GapsTable)))
	if err != nil {
		return nil, err
	}
	a.Gaps = gaps
	return a, nil
}

// SnapshotID is the short hash of a snapshot's extraction tables: what
// names a snapshot in a workbook, since its path changes when it is moved
// or replayed.
func SnapshotID(m *pipeline.Manifest) string {
	h := sha256.New()
	for _, t := range []string{pipeline.ADUsersTable, pipeline.EntraUsersTable, pipeline.TenantTable} {
		if _, out := m.Output(pipeline.FileName(t)); out != nil {
			fmt.Fprintf(h, "%s %s\n", out.File, out.SHA256)
		}
	}
	return pipeline.ShortHash(hex.EncodeToString(h.Sum(nil)))
}

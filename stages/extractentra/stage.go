package extractentra

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"syncgap/pipeline"
)

// Manifest parameters of the extract-entra stage.
const (
	// ParamExport is the prefix of the export parameters: export.1, export.2, …
	// (the first export is primary, later ones fill what it lacks).
	ParamExport = "export."
	// ParamTenantFeatures names the onPremisesSynchronization JSON file.
	ParamTenantFeatures = "tenant_features"
)

// ExportParams numbers the export paths as manifest parameters.
func ExportParams(paths []string, features string) map[string]string {
	p := map[string]string{}
	for i, path := range paths {
		p[ParamExport+strconv.Itoa(i+1)] = path
	}
	if features != "" {
		p[ParamTenantFeatures] = features
	}
	return p
}

func exportPaths(params map[string]string) []string {
	var paths []string
	for i := 1; ; i++ {
		p, ok := params[ParamExport+strconv.Itoa(i)]
		if !ok {
			return paths
		}
		paths = append(paths, p)
	}
}

// Stage reads the exports and tenant features named by its parameters and
// writes entra_users and tenant; both appear together or not at all.
func Stage() pipeline.Stage {
	return pipeline.Stage{Name: "extract-entra", Run: run}
}

func run(ctx context.Context, dir string, params map[string]string) (*pipeline.Result, error) {
	paths := exportPaths(params)
	if len(paths) == 0 {
		return nil, fmt.Errorf("extract-entra: no export given")
	}
	var res pipeline.Result
	var exports []*Export
	var formats, detected []string
	weak := false
	for _, p := range paths {
		e, err := ReadExport(p)
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		exports = append(exports, e)
		formats = append(formats, string(e.Format))
		detected = append(detected, e.String())
		// Anchors and sync flags come from the primary export; a weak
		// later one (e.g. ADSyncTools adding otherMobile) does not weaken them.
		weak = weak || (len(exports) == 1 && e.WeakEvidence)
		for _, f := range e.Files {
			in, err := hashInput(f)
			if err != nil {
				return nil, err
			}
			res.Inputs = append(res.Inputs, in)
		}
	}
	users, err := Merge(exports)
	if err != nil {
		return nil, err
	}
	var flags []pipeline.TenantFlag
	if fp := params[ParamTenantFeatures]; fp != "" {
		if flags, err = ReadTenantFeatures(fp); err != nil {
			return nil, err
		}
		in, err := hashInput(fp)
		if err != nil {
			return nil, err
		}
		res.Inputs = append(res.Inputs, in)
	} else {
		flags = UnknownTenant("not provided (pass --tenant-features with the JSON of GET /directory/onPremisesSynchronization)")
	}

	uw, err := pipeline.CreateTable[pipeline.EntraUser](dir, pipeline.EntraUsersTable)
	if err != nil {
		return nil, err
	}
	defer uw.Abort()
	tw, err := pipeline.CreateTable[pipeline.TenantFlag](dir, pipeline.TenantTable)
	if err != nil {
		return nil, err
	}
	defer tw.Abort()
	for i := range users {
		if err := uw.Write(&users[i]); err != nil {
			return nil, err
		}
	}
	for i := range flags {
		if err := tw.Write(&flags[i]); err != nil {
			return nil, err
		}
	}
	for _, w := range []interface {
		Commit() (pipeline.OutputRecord, error)
	}{uw, tw} {
		out, err := w.Commit()
		if err != nil {
			return nil, err
		}
		res.Outputs = append(res.Outputs, out)
	}
	res.Detail = map[string]string{"formats": strings.Join(formats, ", "), "detected": strings.Join(detected, "; ")}
	if weak {
		res.Detail["weak_evidence"] = "true"
	}
	return &res, nil
}

func hashInput(path string) (pipeline.InputRecord, error) {
	sum, n, err := pipeline.HashFile(path)
	if err != nil {
		return pipeline.InputRecord{}, fmt.Errorf("hash input %s: %w", filepath.Base(path), err)
	}
	return pipeline.InputRecord{Path: path, SHA256: sum, Bytes: n}, nil
}

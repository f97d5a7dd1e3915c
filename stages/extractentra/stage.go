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

// ExportPaths is the inverse of ExportParams: the export paths in order.
func ExportPaths(params map[string]string) []string {
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
	paths := ExportPaths(params)
	if len(paths) == 0 {
		return nil, fmt.Errorf("extract-entra: no export given")
	}
	set, err := ReadExports(ctx, paths)
	if err != nil {
		return nil, err
	}
	res := pipeline.Result{Inputs: set.Inputs}
	users, err := Merge(set.Exports)
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
	if res.Outputs, err = WriteTables(dir, users, flags); err != nil {
		return nil, err
	}
	res.Detail = set.Detail()
	return &res, nil
}

// ExportSet is a list of exports as read, with what the manifest records
// about them.
type ExportSet struct {
	Exports []*Export
	Inputs  []pipeline.InputRecord // every file read, hashed
	// Weak is true when the primary export lacks sync flags or immutable
	// ids; a weak later one (e.g. ADSyncTools adding otherMobile) does not
	// weaken the anchors and flags the primary brings.
	Weak bool
}

// ReadExports reads and hashes each export in order.
func ReadExports(ctx context.Context, paths []string) (*ExportSet, error) {
	set := &ExportSet{}
	if err := set.Read(ctx, paths); err != nil {
		return nil, err
	}
	return set, nil
}

// Read reads and hashes each export in order, after those already in the
// set. The live Graph stage reads its secondary exports (an MSOnline CSV
// for AlternateMobilePhones) through it too, so both paths describe their
// inputs the same way.
func (s *ExportSet) Read(ctx context.Context, paths []string) error {
	for _, p := range paths {
		e, err := ReadExport(p)
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.Add(e)
		for _, f := range e.Files {
			in, err := hashInput(f)
			if err != nil {
				return err
			}
			s.Inputs = append(s.Inputs, in)
		}
	}
	return nil
}

// Add appends an export that has no files to hash, such as users read
// live from Graph.
func (s *ExportSet) Add(e *Export) {
	s.Exports = append(s.Exports, e)
	s.Weak = s.Weak || (len(s.Exports) == 1 && e.WeakEvidence)
}

// Detail is the manifest detail of the set: the formats, what was detected
// in each export, and whether the evidence for the join is weak.
func (s *ExportSet) Detail() map[string]string {
	var formats, detected []string
	for _, e := range s.Exports {
		formats = append(formats, string(e.Format))
		detected = append(detected, e.String())
	}
	d := map[string]string{"formats": strings.Join(formats, ", "), "detected": strings.Join(detected, "; ")}
	if s.Weak {
		d["weak_evidence"] = "true"
	}
	return d
}

// WriteTables writes entra_users and tenant into the snapshot directory
// dir. Neither file appears unless both were written in full; every path
// that produces these tables goes through here, so they are laid out the
// same whatever the source.
func WriteTables(dir string, users []pipeline.EntraUser, flags []pipeline.TenantFlag) ([]pipeline.OutputRecord, error) {
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
	var outs []pipeline.OutputRecord
	for _, w := range []interface {
		Commit() (pipeline.OutputRecord, error)
	}{uw, tw} {
		out, err := w.Commit()
		if err != nil {
			return nil, err
		}
		outs = append(outs, out)
	}
	return outs, nil
}

func hashInput(path string) (pipeline.InputRecord, error) {
	sum, n, err := pipeline.HashFile(path)
	if err != nil {
		return pipeline.InputRecord{}, fmt.Errorf("hash input %s: %w", filepath.Base(path), err)
	}
	return pipeline.InputRecord{Path: path, SHA256: sum, Bytes: n}, nil
}

package livegraph

import (
	"context"
	"fmt"
	"log/slog"
	"maps"

	"syncgap/pipeline"
	"syncgap/stages/extractentra"
)

// Manifest parameters of the live extract-entra stage: where and as whom
// it read, never with what secret.
const (
	ParamEndpoint = "graph.endpoint"
	ParamTenantID = "graph.tenant_id"
	ParamClientID = "graph.client_id"
	ParamAuth     = "graph.auth"
)

// Params is what the manifest records of cfg: the endpoint, tenant and
// client ids, the sign-in method, and the secondary exports.
func Params(cfg Config) map[string]string {
	p := extractentra.ExportParams(cfg.Exports, "")
	ep := cfg.Endpoint
	if e, err := parseEndpoint(cfg.Endpoint, ""); err == nil {
		ep = e.root
	}
	maps.Copy(p, map[string]string{ParamEndpoint: ep, ParamAuth: string(cfg.Auth)})
	if cfg.TenantID != "" {
		p[ParamTenantID] = cfg.TenantID
	}
	if cfg.ClientID != "" {
		p[ParamClientID] = cfg.ClientID
	}
	return p
}

// Stage is extract-entra reading live from Graph with cfg: users, the
// tenant features, then cfg.Exports to fill what Graph lacks. It writes
// the same tables as extractentra.Stage, and none when anything fails.
// A missing permission on the features alone is not a failure: the tenant
// table records the flag as unknown and says why.
func Stage(cfg Config) pipeline.Stage {
	return pipeline.Stage{Name: "extract-entra", Run: func(ctx context.Context, dir string, _ map[string]string) (*pipeline.Result, error) {
		return run(ctx, dir, cfg)
	}}
}

func run(ctx context.Context, dir string, cfg Config) (*pipeline.Result, error) {
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	live, err := c.Users(ctx)
	if err != nil {
		return nil, err
	}
	if len(live) == 0 {
		return nil, fmt.Errorf("graph GET %s: the tenant returned no users", usersPath)
	}
	detail := map[string]string{}
	_, flags, err := c.Features(ctx)
	switch {
	case Denied(err):
		// The users are worth having without the flag; the report says
		// the flag is unknown and why, so nobody reads it as off.
		slog.Warn("tenant features not readable; bypassDirSyncOverridesEnabled recorded as unknown", "error", err)
		flags = extractentra.UnknownTenant(c.FeaturesSource() + ": permission denied (" + err.(*Error).shortStatus() +
			"; grant OnPremDirectorySynchronization.Read.All to read it)")
		detail["tenant_features"] = "unknown: permission denied"
	case err != nil:
		return nil, err
	}
	set := &extractentra.ExportSet{}
	set.Add(&extractentra.Export{Path: c.UsersOrigin(), Format: extractentra.GraphLive, Users: live})
	if err := set.Read(ctx, cfg.Exports); err != nil {
		return nil, err
	}
	users, err := extractentra.Merge(set.Exports)
	if err != nil {
		return nil, err
	}
	res := &pipeline.Result{Inputs: set.Inputs}
	if res.Outputs, err = extractentra.WriteTables(dir, users, flags); err != nil {
		return nil, err
	}
	res.Detail = set.Detail()
	maps.Copy(res.Detail, detail)
	return res, nil
}

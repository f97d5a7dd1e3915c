package livegraph

import (
	"context"
	"log/slog"

	"syncgap/pipeline"
	"syncgap/stages/extractentra"
)

// record is what the manifest records of a live extract: where and as
// whom it read, never with what secret, and the secondary exports.
type record struct {
	Exports  []string `param:"export,numbered"`
	Endpoint string   `param:"graph.endpoint"`
	Auth     Auth     `param:"graph.auth"`
	TenantID string   `param:"graph.tenant_id,omitempty"`
	ClientID string   `param:"graph.client_id,omitempty"`
}

func (cfg Config) record() any {
	ep := cfg.Endpoint
	if e, err := parseEndpoint(cfg.Endpoint, ""); err == nil {
		ep = e.root
	}
	return record{Exports: cfg.Exports, Endpoint: ep, Auth: cfg.Auth, TenantID: cfg.TenantID, ClientID: cfg.ClientID}
}

// Stage is extract-entra reading live from Graph: users, the tenant
// features, then cfg.Exports to fill what Graph lacks. It writes the same
// tables as extractentra.Stage, and none when anything fails. A missing
// permission on the features alone is not a failure: the tenant table
// records the flag as unknown and says why.
var Stage = pipeline.Def[Config, pipeline.EntraSummary]{
	Name:   "extract-entra",
	Record: Config.record,
	Writes: extractentra.Files,
	Do:     run,
}

func run(ctx context.Context, env *pipeline.Env, cfg Config) (pipeline.EntraSummary, error) {
	var none pipeline.EntraSummary
	c, err := NewClient(cfg)
	if err != nil {
		return none, err
	}
	featuresNote := ""
	flags := func() ([]pipeline.TenantFlag, error) {
		_, flags, err := c.Features(ctx)
		switch {
		case Denied(err):
			// The users are worth having without the flag; the report says
			// the flag is unknown and why, so nobody reads it as off.
			slog.Warn("tenant features not readable; bypassDirSyncOverridesEnabled recorded as unknown", "error", err)
			featuresNote = "unknown: permission denied"
			return extractentra.UnknownTenant(c.FeaturesSource() + ": permission denied (" + err.(*Error).shortStatus() +
				"; grant OnPremDirectorySynchronization.Read.All to read it)"), nil
		case err != nil:
			return nil, err
		}
		return flags, nil
	}
	// The users go through extract-entra's reader, within the memory
	// budget (docs/architecture.md, "Memory"); the features are asked for
	// once the users and the exports are read.
	sum, err := extractentra.Live(ctx, env, c.UsersOrigin(), c.Pages, cfg.Exports, flags)
	if err != nil {
		return none, err
	}
	sum.TenantFeatures = featuresNote
	return sum, nil
}

package main

import (
	"context"
	"fmt"
	"strconv"

	"syncgap/ldapconn"
	"syncgap/pipeline"
	"syncgap/stages/classify"
	"syncgap/stages/extractad"
	"syncgap/stages/extractentra/livegraph"
	"syncgap/stages/join"
)

// preflightReread is the preflight's re-read for apply (docs/rules.md,
// "Preflight"): a whole audit of both directories, without its report,
// into the snapshot's preflight folder, replacing the one an earlier run
// left there. AD is searched as the audit searched it when the audit read
// it live (base, filter, scope), else as a live audit would by default;
// the cloud is read live through apply's Graph sign-in; classify runs with
// the audit's settings.
func preflightReread(snap string, conn ldapconn.Config, gcfg livegraph.Config) func(ctx context.Context, into string) error {
	return func(ctx context.Context, into string) error {
		defer logOf(ctx).writesTo(snap)
		m, err := pipeline.LoadManifest(snap)
		if err != nil {
			return err
		}
		src := extractad.LDAPSource{Conn: conn}
		if rec, _ := m.Output(pipeline.FileName(pipeline.ADUsersTable)); rec != nil && rec.Parameters["ldif"] == "" {
			p := rec.Parameters
			src.Query = extractad.LDAPQuery{Base: p["base"], Filter: p["filter"], Scope: p["scope"]}
			if n, err := strconv.Atoi(p["page_size"]); err == nil {
				src.Query.PageSize = n
			}
			src.AllowMissingAttributes = p["allow_missing_attributes"] == "true"
		}
		var cl classify.Config
		if rec, _ := m.Output(pipeline.FileName(pipeline.GapsTable)); rec != nil {
			if err := pipeline.DecodeParams(rec.Parameters, &cl); err != nil {
				return fmt.Errorf("%s: classify's parameters: %w", snap, err)
			}
		}
		tx, err := pipeline.BeginSnapshot(into, true)
		if err != nil {
			return err
		}
		defer tx.Abort()
		if err := runStages(ctx, pipeline.NewRunner(tx.Dir()),
			extractad.LDAPStage.With(src),
			livegraph.Stage.With(gcfg),
			join.Stage.With(join.Config{}),
			classify.Stage.With(cl),
		); err != nil {
			return err
		}
		return tx.Commit()
	}
}

// Package pipeline is what every stage stands on: the table schemas
// (tables.go), Parquet I/O with a reflection codec (parquet.go, codec.go,
// table.go), the snapshot's manifest (manifest.go), the stage contract and
// its runner (stage.go, params.go, runner.go), freshness checks (fresh.go),
// replay (replay.go), the snapshot transaction (snapshot.go), atomic files
// and hashing (atomic.go), and the errors every stage reports (errors.go).
// It imports no stage. docs/architecture.md describes the whole; the table
// contract is docs/tables.md.
//
// # Snapshot layout
//
// A snapshot is one directory:
//
//	snap/
//	  manifest.json          which stage wrote which file, from what, how
//	  ad_users.parquet       extract-ad
//	  entra_users.parquet    extract-entra
//	  tenant.parquet         extract-entra
//	  joined.parquet         join
//	  gaps.parquet           classify
//	  report.xlsx            report (audit), or plan (change-board workbook)
//	  plan.parquet           plan
//	  changes.ldif           plan
//	  approvals.parquet      approve
//	  approved-changes.ldif  approve
//	  apply.journal          apply (append-only, fsynced)
//	  apply_results.parquet  apply
//	  verify.parquet         verify
//
// Every file but the journal is written atomically (a temporary file, fsync,
// rename), and the manifest last: a stage that fails leaves the snapshot as
// it was. Same inputs and parameters give byte-identical files; times live
// only in the manifest.
//
// # A stage
//
// A stage is a Def over a Config and a Summary, both structs whose `param`
// tags say how the manifest records them:
//
//	type Config struct {
//		DefaultRegion string `param:"default_region,omitempty"`
//	}
//
//	type Summary struct {
//		Rows int64 `param:"rows"`
//	}
//
//	var Stage = pipeline.Def[Config, Summary]{
//		Name:   "classify",
//		Reads:  func(Config) []string { return []string{"joined.parquet", "tenant.parquet"} },
//		Writes: []string{"gaps.parquet"},
//		Do: func(ctx context.Context, env *pipeline.Env, cfg Config) (Summary, error) {
//			r, err := pipeline.OpenReader[pipeline.Joined](env.Path("joined.parquet"))
//			…
//			out, err := w.Commit()
//			env.AddOutput(out)
//			return Summary{Rows: out.Rows}, err
//		},
//	}
//
// and a caller runs it on a snapshot, getting the typed summary back:
//
//	sum, rec, err := classify.Stage.Run(ctx, pipeline.NewRunner("snap"), classify.Config{DefaultRegion: "GB"})
//
// The runner refuses to start when joined.parquet or tenant.parquet is not
// what the manifest says (ErrStale), checks that the stage wrote exactly
// gaps.parquet, and records the run: parameters {"default_region": "GB"},
// the two inputs with their SHA-256, the output with its rows and SHA-256,
// the detail {"rows": "…"}. Replay binds the same Config back from those
// parameters (Def.FromParams) and compares the hashes.
//
// # Reading tables
//
// ReadRows reads a whole table into a slice; OpenReader streams it row by
// row (Reader.Next, io.EOF at the end); LoadTable keeps it in Arrow memory
// for random access (Table.Row). Each decodes only the columns the row
// struct names.
package pipeline

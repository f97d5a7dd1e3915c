// Package planfile is a saved plan as files in a snapshot: plan.parquet,
// the plan hash the manifest records, action ids, and the changes LDIF. As
// Terraform keeps its plan model apart from its plan file, the plan stage
// decides what to do, and this package says how a plan is stored, hashed,
// loaded back and refused when it no longer matches the snapshot
// (docs/rules.md, "Plan"). The plan, rollback and restore stages write
// plans through it; approve and apply read them through it.
package planfile

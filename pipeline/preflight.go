package pipeline

// PreflightDir is the folder in a snapshot into which apply's preflight
// re-reads both directories right before it enables the tenant flag: a
// snapshot of its own (extract-ad, extract-entra, join, classify), so what
// the check saw can be replayed and queried like any audit.
const PreflightDir = "preflight"

// PreflightTable is the table apply writes beside its results when the
// preflight ran: one row per cloud value the switch would now lose or
// change beyond what the approved forecast said (docs/tables.md,
// "preflight"). An empty table is a preflight that found nothing.
const PreflightTable = "preflight"

// PreflightRow is one cloud value the switch would now lose or change
// although the approved forecast did not say so, or said so of other values.
type PreflightRow struct {
	UPN       string `parquet:"upn"`
	DN        string `parquet:"dn"`
	EntraID   string `parquet:"entra_id"`
	Attribute string `parquet:"attribute"`
	// Approved* are the approved forecast's row for the value; the outcome
	// is empty (and the lists null) when the approved forecast has none
	// (the user was not matched at plan time).
	ApprovedOutcome     CloudOutcome `parquet:"approved_outcome"`
	ApprovedCloudBefore []string     `parquet:"approved_cloud_before"`
	ApprovedCloudAfter  []string     `parquet:"approved_cloud_after"`
	// The flip_now forecast on what the preflight read.
	Outcome     CloudOutcome `parquet:"outcome"`
	CloudBefore []string     `parquet:"cloud_before"`
	CloudAfter  []string     `parquet:"cloud_after"`
	// InAudit is false for a user whose DN the audit's AD extract did not
	// hold: new since, or outside an LDIF export's scope.
	InAudit NullBool `parquet:"in_audit"`
	Reason  string   `parquet:"reason"`
}

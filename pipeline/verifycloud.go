package pipeline

// VerifyCloudTable is the table verify-cloud writes into the snapshot taken
// before the switch was flipped.
const VerifyCloudTable = "verify_cloud"

// CloudStatus is what became of one forecast cloud value after the switch
// (docs/rules.md, "Verify the cloud").
type CloudStatus string

// Cloud statuses, exactly as docs/tables.md spells them.
const (
	// Converged: the cloud holds what the forecast said it would.
	Converged CloudStatus = "converged"
	// NotConverged: the cloud still differs (a sync error, the user out of
	// sync scope, or the flag not yet in effect).
	NotConverged CloudStatus = "not_converged"
	// ChangedSince: AD no longer holds the value the forecast assumed, so
	// the forecast says nothing about this value any more.
	ChangedSince CloudStatus = "changed_since"
	// CloudUnknown: the later audit cannot read this cloud value
	// (AlternateMobilePhones without an MSOnline export).
	CloudUnknown CloudStatus = "unknown"
	// Missing: the user is in neither side of the later audit, or in one only.
	Missing CloudStatus = "missing"
)

// CloudStatuses in the order reports list them: worst first.
var CloudStatuses = []CloudStatus{NotConverged, Missing, ChangedSince, CloudUnknown, Converged}

// VerifyCloudRow is one row of verify_cloud: one forecast row of the
// scenario that was carried out, against the later audit.
type VerifyCloudRow struct {
	Scenario  Scenario    `parquet:"scenario"`
	UPN       string      `parquet:"upn"`
	DN        string      `parquet:"dn"`
	EntraID   string      `parquet:"entra_id"`
	Attribute string      `parquet:"attribute"`
	Expected  []string    `parquet:"expected"` // the forecast's cloud_after
	Cloud     []string    `parquet:"cloud"`    // the cloud's values in the later audit; null: unknown or missing
	AD        []string    `parquet:"ad"`       // AD's values in the later audit; null: missing
	Status    CloudStatus `parquet:"status"`
	Reason    string      `parquet:"reason"`
}

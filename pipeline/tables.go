package pipeline

import "time"

// Table file names inside a snapshot directory. These names, like the column
// names in the struct tags below, are the contract other tools read (docs/tables.md).
const (
	ADUsersTable    = "ad_users"
	EntraUsersTable = "entra_users"
	TenantTable     = "tenant"
	JoinedTable     = "joined"
	GapsTable       = "gaps"
)

// FileName is the Parquet file name of a table in a snapshot directory.
func FileName(table string) string { return table + ".parquet" }

// NullBool is a boolean that may be unknown; the zero value is unknown (null).
type NullBool struct {
	Bool  bool
	Valid bool
}

// Known returns a known NullBool holding b.
func Known(b bool) NullBool { return NullBool{Bool: b, Valid: true} }

// IsTrue reports whether the value is known and true.
func (n NullBool) IsTrue() bool { return n.Valid && n.Bool }

// IsFalse reports whether the value is known and false.
func (n NullBool) IsFalse() bool { return n.Valid && !n.Bool }

// String renders true, false or unknown.
func (n NullBool) String() string {
	switch {
	case !n.Valid:
		return "unknown"
	case n.Bool:
		return "true"
	default:
		return "false"
	}
}

// Column conventions shared by every table struct (see codec.go):
//   - string: an empty string is stored as null (LDAP and Graph have no empty values);
//   - []string: nil is null ("not known"), a non-nil empty slice is an empty list;
//   - time.Time: the zero time is null; stored as timestamp[us, UTC];
//   - NullBool: boolean, invalid is null;
//   - a struct field tagged `parquet:",prefix=xx_"` inlines the nested struct's
//     columns with that prefix.

// ADUser is one row of ad_users: a user object as read from AD.
type ADUser struct {
	DN              string    `parquet:"dn"`
	ObjectGUID      string    `parquet:"object_guid"`      // canonical text, Microsoft byte order, lower case
	ConsistencyGUID string    `parquet:"consistency_guid"` // canonical text of mS-DS-ConsistencyGuid
	SourceAnchor    string    `parquet:"source_anchor"`    // base64 of the bytes Entra holds as immutableId
	SamAccountName  string    `parquet:"sam_account_name"`
	UPN             string    `parquet:"upn"`
	Mobile          string    `parquet:"mobile"`       // raw text
	OtherMobile     []string  `parquet:"other_mobile"` // raw texts in directory order; empty list when absent
	Country         string    `parquet:"country"`      // AD attribute c (ISO 3166 alpha-2)
	Enabled         NullBool  `parquet:"enabled"`      // from userAccountControl; null when not exported
	WhenChanged     time.Time `parquet:"when_changed"`
	Origin          string    `parquet:"origin"` // "file.ldif:LINE" or the server URL
}

// EntraUser is one row of entra_users: a user object as read from Entra ID.
type EntraUser struct {
	ID                       string    `parquet:"id"` // object id, lower case
	UPN                      string    `parquet:"upn"`
	MobilePhone              string    `parquet:"mobile_phone"`
	AlternateMobilePhones    []string  `parquet:"alternate_mobile_phones"` // nil: not known (Graph does not expose it)
	BusinessPhones           []string  `parquet:"business_phones"`
	UsageLocation            string    `parquet:"usage_location"`
	OnPremisesSyncEnabled    NullBool  `parquet:"on_premises_sync_enabled"` // Graph: null for never-synced users
	OnPremisesImmutableID    string    `parquet:"on_premises_immutable_id"`
	OnPremisesUPN            string    `parquet:"on_premises_upn"`
	OnPremisesSamAccountName string    `parquet:"on_premises_sam_account_name"`
	OnPremisesDN             string    `parquet:"on_premises_dn"`
	OnPremisesLastSync       time.Time `parquet:"on_premises_last_sync"`
	AccountEnabled           NullBool  `parquet:"account_enabled"`
	Origin                   string    `parquet:"origin"` // "file:LINE" (or "file:LINE:COL" for JSON) or the endpoint URL
}

// TenantFlag is one row of tenant: one onPremisesSynchronization feature flag as read.
type TenantFlag struct {
	Feature string   `parquet:"feature"` // Graph property name, e.g. bypassDirSyncOverridesEnabled
	Enabled NullBool `parquet:"enabled"` // null: unknown (not provided, or not readable)
	Source  string   `parquet:"source"`  // file name, endpoint, or why it is unknown
}

// BypassFeature is the tenant feature this tool is about.
const BypassFeature = "bypassDirSyncOverridesEnabled"

// MatchStatus is the outcome of joining one cloud or AD user (docs/rules.md, "Join").
type MatchStatus string

// Match statuses, exactly as docs/tables.md spells them.
const (
	Matched        MatchStatus = "matched"
	Ambiguous      MatchStatus = "ambiguous"
	AnchorConflict MatchStatus = "anchor_conflict"
	ADOnly         MatchStatus = "ad_only"
	CloudOnly      MatchStatus = "cloud_only"
	OrphanedSynced MatchStatus = "orphaned_synced"
)

// MatchMethod is the join rule that decided a row.
type MatchMethod string

// Match methods, exactly as docs/tables.md spells them.
const (
	ByAnchor        MatchMethod = "anchor"
	ByOnPremisesUPN MatchMethod = "on_premises_upn"
	ByUPN           MatchMethod = "upn"
	ByNone          MatchMethod = "none"
)

// Joined is one row of joined: a matched pair, or one unmatched user on either side.
type Joined struct {
	MatchStatus MatchStatus `parquet:"match_status"`
	MatchMethod MatchMethod `parquet:"match_method"`
	Note        string      `parquet:"match_note"` // why, for ambiguous and conflicting rows
	AD          ADUser      `parquet:",prefix=ad_"`
	Entra       EntraUser   `parquet:",prefix=entra_"`
}

// HasAD reports whether the row carries an AD user.
func (j *Joined) HasAD() bool { return j.AD.DN != "" }

// HasEntra reports whether the row carries a cloud user.
func (j *Joined) HasEntra() bool { return j.Entra.ID != "" }

// State is the comparison of one attribute pair (docs/rules.md, "Classify").
type State string

// Attribute states, exactly as docs/tables.md spells them.
const (
	InSync         State = "in_sync"
	FormatOnly     State = "format_only"
	MissingInEntra State = "missing_in_entra"
	MissingInAD    State = "missing_in_ad"
	Mismatch       State = "mismatch"
	Invalid        State = "invalid"
	Unverifiable   State = "unverifiable"
	NotApplicable  State = "not_applicable"
)

// Effect is what enabling BypassDirSyncOverrides does to a user's cloud values.
type Effect string

// Effects, from worst to harmless.
const (
	ClearsCloud     Effect = "clears_cloud"
	OverwritesCloud Effect = "overwrites_cloud"
	FillsCloud      Effect = "fills_cloud"
	ReformatsCloud  Effect = "reformats_cloud"
	NoEffect        Effect = "none"
)

// Severity orders effects: higher is worse.
func (e Effect) Severity() int {
	switch e {
	case ClearsCloud:
		return 4
	case OverwritesCloud:
		return 3
	case FillsCloud:
		return 2
	case ReformatsCloud:
		return 1
	}
	return 0
}

// Risk grades a row for reviewers.
type Risk string

// Risks, exactly as docs/tables.md spells them.
const (
	RiskHigh   Risk = "high"
	RiskMedium Risk = "medium"
	RiskLow    Risk = "low"
	RiskNone   Risk = "none"
)

// Timing explains why a difference exists.
type Timing string

// Timings; the empty Timing means no difference or no timestamps.
const (
	SyncPending    Timing = "sync_pending"
	OverrideLikely Timing = "override_likely"
	SyncNotApplied Timing = "sync_not_applied"
)

// Gap is one row of gaps: the classification of one joined row.
type Gap struct {
	UPN              string      `parquet:"upn"` // AD's where there is one
	DN               string      `parquet:"dn"`
	EntraID          string      `parquet:"entra_id"`
	MatchStatus      MatchStatus `parquet:"match_status"`
	MatchMethod      MatchMethod `parquet:"match_method"`
	MobileState      State       `parquet:"mobile_state"`
	OtherMobileState State       `parquet:"other_mobile_state"`
	MobileAD         string      `parquet:"mobile_ad"`
	MobileEntra      string      `parquet:"mobile_entra"`
	OtherMobileAD    []string    `parquet:"other_mobile_ad"`
	OtherMobileEntra []string    `parquet:"other_mobile_entra"` // null when the cloud side is unknown
	MobileADE164     string      `parquet:"mobile_ad_e164"`     // set where the texts differ and the value parses
	MobileEntraE164  string      `parquet:"mobile_entra_e164"`
	Effect           Effect      `parquet:"effect"`
	Risk             Risk        `parquet:"risk"`
	Timing           Timing      `parquet:"timing"`
	Region           string      `parquet:"region"` // region used for national-format numbers
	Reason           string      `parquet:"reason"`
}

// The enums in the order docs/tables.md lists them, for reports that list every value, zeros included.
var (
	MatchStatuses = []MatchStatus{Matched, Ambiguous, AnchorConflict, ADOnly, CloudOnly, OrphanedSynced}
	States        = []State{InSync, FormatOnly, MissingInEntra, MissingInAD, Mismatch, Invalid, Unverifiable, NotApplicable}
	Effects       = []Effect{ClearsCloud, OverwritesCloud, FillsCloud, ReformatsCloud, NoEffect}
	Risks         = []Risk{RiskHigh, RiskMedium, RiskLow, RiskNone}
)

// Table names of the plan and sign-off stages.
const (
	PlanTable      = "plan"
	ApprovalsTable = "approvals"
)

// Target is what an action changes.
type Target string

// Targets. TargetEntra rows are never applied: they record a cloud value that
// the sync engine will change once bypass is enabled (the ad-wins backup).
const (
	TargetAD     Target = "ad"
	TargetTenant Target = "tenant"
	TargetEntra  Target = "entra"
)

// Op is the change an action makes to its attribute.
type Op string

// Ops, as docs/tables.md spells them.
const (
	OpReplace Op = "replace"
	OpAdd     Op = "add"
	OpDelete  Op = "delete"
)

// ActionKind says what a change board does with an action.
type ActionKind string

// Action kinds. Only write and decide actions can be approved and applied.
const (
	// KindWrite is a change the policy proposes; approving it lets apply run it.
	KindWrite ActionKind = "write"
	// KindDecide is a change the policy leaves to the board: approving writes
	// the proposed value, rejecting keeps AD's.
	KindDecide ActionKind = "decide"
	// KindReview is a row that is never planned as a write (ambiguous match,
	// anchor conflict, invalid or unverifiable value); it is listed with why.
	KindReview ActionKind = "review"
	// KindRecord is a cloud value enabling bypass will overwrite or clear,
	// recorded as a backup (ad-wins); nothing is written.
	KindRecord ActionKind = "record"
	// KindAcknowledge is a fact the board must accept before the switch:
	// one row, target tenant, for the users whose AlternateMobilePhones
	// cannot be read. Nothing is written; the tenant action cannot be
	// approved unless this row is.
	KindAcknowledge ActionKind = "acknowledge"
)

// Decidable reports whether the board approves or rejects actions of this kind.
func (k ActionKind) Decidable() bool {
	return k == KindWrite || k == KindDecide || k == KindAcknowledge
}

// Writes reports whether approving an action of this kind changes something
// (in AD or the tenant).
func (k ActionKind) Writes() bool { return k == KindWrite || k == KindDecide }

// Action is one row of plan. Expected and Value are lists so that the
// multi-valued otherMobile fits the same shape as mobile; an empty list
// means "no value", and both are null on review and record rows' AD side.
type Action struct {
	ActionID    string      `parquet:"action_id"` // stable hash of the action's content
	Kind        ActionKind  `parquet:"kind"`
	Target      Target      `parquet:"target"`
	DN          string      `parquet:"dn"`
	UPN         string      `parquet:"upn"`
	EntraID     string      `parquet:"entra_id"`
	Attribute   string      `parquet:"attribute"` // mobile, otherMobile or the tenant feature
	Op          Op          `parquet:"op"`        // null on review rows
	Expected    []string    `parquet:"expected"`  // the values the action assumes are there now
	Value       []string    `parquet:"value"`     // the values after the action
	ADValue     []string    `parquet:"ad_value"`
	CloudValue  []string    `parquet:"cloud_value"` // null when the cloud side is unknown
	Reason      string      `parquet:"reason"`
	Risk        Risk        `parquet:"risk"`
	MatchStatus MatchStatus `parquet:"match_status"`
	State       State       `parquet:"state"`
	Timing      Timing      `parquet:"timing"`
}

// Decision is a change board's verdict on one action.
type Decision string

// Decisions as stored; the workbook shows them capitalised (Approve, Reject).
const (
	Approve Decision = "approve"
	Reject  Decision = "reject"
)

// Approval is one row of approvals: a decided action from a signed workbook.
// Actions left blank in the workbook have no row (they stay undecided).
type Approval struct {
	ActionID       string   `parquet:"action_id"`
	Decision       Decision `parquet:"decision"`
	Approver       string   `parquet:"approver"`
	ApproverRole   string   `parquet:"approver_role"`
	SignedOn       string   `parquet:"signed_on"` // the date as the approver wrote it
	Comment        string   `parquet:"comment"`
	PlanHash       string   `parquet:"plan_hash"`
	WorkbookSHA256 string   `parquet:"workbook_sha256"`
	Cell           string   `parquet:"cell"` // where the decision was read, e.g. Plan!K7
	// ByGroup is true when the row took its group's decision (it had none of its own).
	ByGroup            NullBool `parquet:"by_group"`
	SecondApprover     string   `parquet:"second_approver"`
	SecondApproverRole string   `parquet:"second_approver_role"`
	SecondSignedOn     string   `parquet:"second_signed_on"`
	ChangeID           string   `parquet:"change_id"`
}

// Table names of the apply and verify stages.
const (
	ApplyResultsTable = "apply_results"
	VerifyTable       = "verify"
)

// Outcome is what became of one approved action.
type Outcome string

// Outcomes of apply.
const (
	Applied Outcome = "applied" // the directory held the expected values and now holds the new ones
	Drifted Outcome = "drifted" // the directory no longer held the expected values: left alone
	Failed  Outcome = "failed"  // the directory refused the change (LDAP code and message recorded)
	Skipped Outcome = "skipped" // not attempted (see message)
)

// ApplyResult is one row of apply_results: the last journaled outcome of one
// approved action.
type ApplyResult struct {
	ActionID  string   `parquet:"action_id"`
	Target    Target   `parquet:"target"`
	DN        string   `parquet:"dn"`
	Attribute string   `parquet:"attribute"`
	Outcome   Outcome  `parquet:"outcome"`
	LDAPCode  int64    `parquet:"ldap_code"` // 0 unless failed or drifted by the server's verdict
	Message   string   `parquet:"message"`
	Before    []string `parquet:"before"` // the values the action expected (and found, when applied)
	After     []string `parquet:"after"`  // the values written
}

// VerifyResult is one row of verify: what the directory holds now for one
// applied action, against what it should hold.
type VerifyResult struct {
	ActionID  string   `parquet:"action_id"`
	DN        string   `parquet:"dn"`
	Attribute string   `parquet:"attribute"`
	Outcome   Outcome  `parquet:"outcome"` // apply's outcome for the action
	Expected  []string `parquet:"expected"`
	Actual    []string `parquet:"actual"`
	Matches   NullBool `parquet:"matches"`
}

// Table names of the forecast: plan writes flip_now and approve_all, approve
// writes as_decided into its own file (a file has one writer).
const (
	ForecastTable        = "forecast"
	ForecastDecidedTable = "forecast_as_decided"
)

// Scenario is one way the switch could be flipped (docs/rules.md, "Forecast").
type Scenario string

// Scenarios, exactly as docs/tables.md spells them.
const (
	FlipNow    Scenario = "flip_now"    // enable the switch without any AD change
	ApproveAll Scenario = "approve_all" // every proposed AD action applied first
	AsDecided  Scenario = "as_decided"  // the approved AD actions applied, the rest not
)

// CloudOutcome is what the switch does to one user's cloud values of one
// attribute: with the switch on, the cloud equals AD after a sync cycle.
type CloudOutcome string

// Cloud outcomes, exactly as docs/tables.md spells them.
const (
	Unchanged      CloudOutcome = "unchanged"   // the same texts
	Reformatted    CloudOutcome = "reformatted" // the same numbers, other text
	Filled         CloudOutcome = "filled"      // a number where the cloud had none (or one more)
	Changed        CloudOutcome = "changed"     // a number replaced by another
	Lost           CloudOutcome = "lost"        // a number replaced by nothing or by text that is no number
	Cleaned        CloudOutcome = "cleaned"     // text that is no number removed or replaced by a number
	UnknownOutcome CloudOutcome = "unknown"     // the cloud's value is not known, so neither is what happens to it
)

// CloudOutcomes in the order reports list them: worst first.
var CloudOutcomes = []CloudOutcome{Lost, Changed, Filled, Reformatted, Cleaned, Unchanged, UnknownOutcome}

// ForecastRow is one row of forecast: one scenario, one matched user, one
// attribute. CloudAfter is the AD value the scenario leaves, which the
// switch copies to the cloud.
type ForecastRow struct {
	Scenario    Scenario     `parquet:"scenario"`
	UPN         string       `parquet:"upn"`
	DN          string       `parquet:"dn"`
	EntraID     string       `parquet:"entra_id"`
	Attribute   string       `parquet:"attribute"`
	CloudBefore []string     `parquet:"cloud_before"` // null when the cloud side is unknown
	CloudAfter  []string     `parquet:"cloud_after"`
	Outcome     CloudOutcome `parquet:"outcome"`
	// ActionID is the AD action the scenario applies to this value; empty
	// when it applies none.
	ActionID string `parquet:"action_id"`
}

package extractentra

import (
	"errors"
	"fmt"
	"strings"

	"syncgap/pipeline"
)

// Format names an Entra export format as people actually produce them.
// The values are stable: they go into manifests and CLI output.
type Format string

// The export formats ReadExport recognises.
const (
	// GraphPages is one file of Microsoft Graph REST page(s) ({"value":[…]}),
	// several pages concatenated, a JSON array of pages, or a bare array of
	// camelCase user objects.
	GraphPages Format = "graph-pages"
	// GraphPageDir is a directory of Graph page files.
	GraphPageDir Format = "graph-page-dir"
	// JSONL is JSON Lines: one user object per line.
	JSONL Format = "jsonl"
	// PowerShellJSON is Get-MgUser | ConvertTo-Json: an array of PascalCase
	// objects, or a single object.
	PowerShellJSON Format = "powershell-json"
	// PowerShellCSV is Get-MgUser | Export-Csv.
	PowerShellCSV Format = "powershell-csv"
	// AdminCenterCSV is the Entra admin center "Download users" CSV.
	AdminCenterCSV Format = "admin-center-csv"
	// MSOnlineCSV is Get-MsolUser | Export-Csv, the legacy source of
	// AlternateMobilePhones.
	MSOnlineCSV Format = "msonline-csv"
	// ADSyncToolsCSV is the CSV written by the MSOnline-era ADSyncTools'
	// Compare-ADSyncToolsDirSyncOverrides, which also compares
	// AlternateMobilePhones (otherMobile).
	ADSyncToolsCSV Format = "adsynctools-csv"
	// ADSyncToolsCompareCSV is the mobile-only CSV of the 2025 (Graph based)
	// Compare-ADSyncToolsDirSyncOverrides: UserPrincipalName, MobileInAD,
	// MobileInEntra, and no otherMobile column. Its UserPrincipalName may
	// be AD's UPN rather than the cloud one. It can only fill users of a
	// primary export (Merge refuses it first, ErrNotPrimary), and says
	// nothing of otherMobile.
	ADSyncToolsCompareCSV Format = "adsynctools-compare-csv"
)

// Formats lists every supported format, in the order the help text shows them.
func Formats() []Format {
	return []Format{GraphPages, GraphPageDir, JSONL, PowerShellJSON, PowerShellCSV, AdminCenterCSV, MSOnlineCSV, ADSyncToolsCSV, ADSyncToolsCompareCSV}
}

// Description is a human sentence naming the tool that produces the format.
func (f Format) Description() string {
	switch f {
	case GraphPages:
		return "Microsoft Graph REST pages"
	case GraphLive:
		return "read live from Microsoft Graph"
	case GraphPageDir:
		return "a directory of Microsoft Graph REST page files"
	case JSONL:
		return "JSON Lines of user objects"
	case PowerShellJSON:
		return "Get-MgUser | ConvertTo-Json output"
	case PowerShellCSV:
		return "Get-MgUser | Export-Csv output"
	case AdminCenterCSV:
		return `Entra admin center "Download users" CSV`
	case MSOnlineCSV:
		return "Get-MsolUser | Export-Csv output (MSOnline)"
	case ADSyncToolsCSV:
		return "ADSyncTools Compare-ADSyncToolsDirSyncOverrides CSV"
	case ADSyncToolsCompareCSV:
		return "ADSyncTools 2025 Compare-ADSyncToolsDirSyncOverrides CSV, mobile only"
	}
	return "unknown format " + string(f)
}

// ErrUnknownFormat is an input that is none of the supported formats; the
// wrapping error lists them so the user knows what to export instead.
var ErrUnknownFormat = errors.New("unrecognised Entra export format")

func unknownFormat(why string) error {
	names := make([]string, 0, 9)
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return fmt.Errorf("%w (%s); supported formats: %s", ErrUnknownFormat, why, strings.Join(names, ", "))
}

// UPNIDPrefix starts the id ReadExport gives a user whose export carries no
// object id (the ADSyncTools CSVs identify users by UPN only). The id is
// "upn:" plus the lower-cased UPN, so every row still has a non-empty,
// unique id, and Merge knows to match such users by UPN instead.
const UPNIDPrefix = "upn:"

// Export is one Entra export as read from disk.
type Export struct {
	Path   string               // as the user named it
	Format Format               // as detected from the content
	Users  []pipeline.EntraUser // in file order
	Files  []string             // every file read, for hashing
	// WeakEvidence is true when the export has no sync flag or no immutable
	// id, so the join can only fall back to UPNs and the report must say so;
	// Lacks says which ("no immutable id" for the admin center CSV, whose
	// directorySynced column is a sync flag).
	WeakEvidence bool
	Lacks        string
	// Unmatched counts the rows of a secondary export that matched no
	// user of the primary one, and so were not added; UnmatchedUPNs are
	// the first few of their UPNs. Merge sets both.
	Unmatched     int
	UnmatchedUPNs []string
	// inputs are Files as hashed while they were parsed.
	inputs []pipeline.InputRecord
	// dropped is how many Users Merge let go of once merged, so String
	// still counts them.
	dropped int
	// sp holds the users instead of Users when they did not fit in memory
	// (spool.go); dropped then counts them.
	sp *spool
}

// String says what was detected, for the CLI to print.
func (e *Export) String() string {
	files := ""
	if len(e.Files) > 1 {
		files = fmt.Sprintf(", %d files", len(e.Files))
	}
	weak := ""
	if e.WeakEvidence {
		lacks := e.Lacks
		if lacks == "" { // an Export made elsewhere that did not say
			lacks = "no sync flag or immutable id"
		}
		weak = ", weak evidence: " + lacks
	}
	return fmt.Sprintf("%s: %s (%s%s, %d users%s)", e.Path, e.Format, e.Format.Description(), files, len(e.Users)+e.dropped, weak)
}

// format names the JSON shape seen in one file.
func (st *jsonStats) format() Format {
	switch {
	case st.pages > 0:
		return GraphPages
	case st.arrayUsers > 0 && st.pascal:
		return PowerShellJSON
	case st.arrayUsers > 0:
		return GraphPages // a bare "value" array, as `az rest --query value` saves it
	case st.topUsers == 1 && (st.pascal || st.multiLine):
		return PowerShellJSON
	}
	return JSONL
}

// GraphLive is not an export format: it names users read live from
// Microsoft Graph (stages/extractentra/livegraph), so manifests and the
// workbook say where the cloud side came from.
const GraphLive Format = "graph-live"

// CanonicalID is an object id as the tables hold it: A-Z lowered and
// nothing else, as every reader of this package stores ids, so ids from any
// source compare equal.
func CanonicalID(id string) string {
	for i := 0; i < len(id); i++ {
		if c := id[i]; 'A' <= c && c <= 'Z' {
			b := []byte(id)
			for k := i; k < len(b); k++ {
				if c := b[k]; 'A' <= c && c <= 'Z' {
					b[k] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return id
}

// CheckDuplicates fails on a second user with the same id, or the same UPN
// ignoring case, naming source as where both came from. ReadExport does
// this for files; a live reader calls it once paging has ended.
func CheckDuplicates(users []pipeline.EntraUser, source string) error {
	return checkDuplicates(users, func(int) string { return source })
}

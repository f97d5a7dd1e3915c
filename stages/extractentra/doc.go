// Package extractentra reads the Entra ID user exports people actually have
// into the entra_users and tenant tables (docs/inputs.md, docs/tables.md).
//
// ReadExport takes a file or a directory and detects the format from the
// content: Microsoft Graph REST pages (one file, several pages, or a
// directory of page files), JSON Lines, Get-MgUser | ConvertTo-Json from
// PowerShell 7 or Windows PowerShell 5.1, Get-MgUser | Export-Csv, the Entra
// admin center "Download users" CSV, Get-MsolUser | Export-Csv, and the two
// CSVs of ADSyncTools' Compare-ADSyncToolsDirSyncOverrides: the MSOnline-era
// one, which compares otherMobile too (ADSyncToolsCSV), and the 2025 one,
// with exactly UserPrincipalName, MobileInAD and MobileInEntra
// (ADSyncToolsCompareCSV). Property names match in any case; UTF-8 and
// UTF-16 (with or without a BOM) are read. Every user records its origin,
// "file:LINE", and every bad input is a pipeline.ParseError naming the
// file and position.
//
// # Several exports
//
// The first export is primary: its users are the users. Every later export
// only fills fields of users it matches (empty strings, unknown lists and
// flags, a missing sync time), never a value already there. Only the legacy
// MSOnline export knows a user's cloud AlternateMobilePhones (no Graph API
// exposes it), so:
//
//	graph, err := extractentra.ReadExport("pages/")       // ids, sync flags, anchors
//	if err != nil { … }
//	msol, err := extractentra.ReadExport("msol-users.csv") // AlternateMobilePhones
//	if err != nil { … }
//	users, err := extractentra.Merge([]*extractentra.Export{graph, msol})
//
// A later row matches a user by object id; else by its userPrincipalName
// against the cloud UPNs; else against the on-premises UPNs
// (onPremisesUserPrincipalName), because the 2025 Compare CSV may name a
// user by AD's UPN while the cloud has …@tenant.onmicrosoft.com. UPNs
// compare trimmed, ignoring case. When a row's UPN is one user's cloud UPN
// and another user's on-premises UPN, the cloud UPN wins: it is unique in
// the tenant. An on-premises UPN two users share matches neither, and a
// row with an object id never fills a user with another object id.
//
// A later row that matches no user never becomes one (a user of an AD UPN
// would be a phantom cloud user and make the join ambiguous). Merge counts
// such rows per export (Export.Unmatched, Export.UnmatchedUPNs: the first
// five), logs one warning per export, and ExportSet.Summary records the
// total and the first five UPNs in the manifest (pipeline.EntraSummary:
// secondary_unmatched, secondary_unmatched_examples).
//
// The Compare CSV's MobileInEntra fills the cloud mobile; MobileInAD is
// AD's view, which extract-ad reads first hand, and is ignored. It says
// nothing of otherMobile, which it leaves unknown. Having no object ids,
// anchors or otherMobile it cannot define the users: given first it is
// refused (ErrNotPrimary), "use it after a Graph export".
//
// A million users in Graph page files read in about two seconds on two
// cores: the JSON path is a streaming tokenizer of its own (encoding/json's
// reflection is several times slower and cannot say on which line each
// user starts), page files are parsed by two workers, and the strings of
// each batch of users share one allocation.
//
// UsersPage decodes the pages of a live GET /v1.0/users for livegraph with
// the same tokenizer and user parser, so a live read and an export of the
// same tenant give the same rows but the origin.
package extractentra

// Package extractentra reads the Entra ID user exports people actually have
// into the entra_users and tenant tables (docs/inputs.md, docs/tables.md).
//
// ReadExport takes a file or a directory and detects the format from the
// content: Microsoft Graph REST pages (one file, several pages, or a
// directory of page files), JSON Lines, Get-MgUser | ConvertTo-Json from
// PowerShell 7 or Windows PowerShell 5.1, Get-MgUser | Export-Csv, the Entra
// admin center "Download users" CSV, Get-MsolUser | Export-Csv, and the CSV
// of ADSyncTools' Compare-ADSyncToolsDirSyncOverrides. Property names match
// in any case; UTF-8 and UTF-16 (with or without a BOM) are read. Every
// user records its origin, "file:LINE", and every bad input is a
// pipeline.ParseError naming the file and position.
//
// Only the legacy MSOnline and ADSyncTools exports know a user's cloud
// AlternateMobilePhones (no Graph API exposes it), so Merge lets a later
// export fill what the primary one lacks:
//
//	graph, err := extractentra.ReadExport("pages/")       // ids, sync flags, anchors
//	if err != nil { … }
//	msol, err := extractentra.ReadExport("msol-users.csv") // AlternateMobilePhones
//	if err != nil { … }
//	users, err := extractentra.Merge([]*extractentra.Export{graph, msol})
//
// A million users in Graph page files read in about two seconds on two
// cores: the JSON path is a streaming tokenizer of its own (encoding/json's
// reflection is several times slower and cannot say on which line each
// user starts), page files are parsed by two workers, and the strings of
// each batch of users share one allocation.
package extractentra

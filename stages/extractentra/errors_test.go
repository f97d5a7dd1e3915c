package extractentra

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// TestReadExportBadInput is the catalogue of broken exports. Every error
// must name the file and, where there is one, the position, so a person
// can open the file at the right place.
func TestReadExportBadInput(t *testing.T) {
	bad := func(name string) string { return filepath.Join("testdata", "bad", name) }
	tests := []struct {
		name   string
		path   string
		is     error  // errors.Is target, if any
		want   string // the whole message
		line   int    // ParseError position; 0 when it has none
		column int
	}{{
		name: "JSON page cut mid-object",
		path: bad("cut.json"), is: io.ErrUnexpectedEOF, line: 23, column: 24,
		want: "testdata/bad/cut.json:23:24: unexpected end of JSON input",
	}, {
		name: "JSON syntax error between users",
		path: bad("syntax.json"), line: 3, column: 2,
		want: "testdata/bad/syntax.json:3:2: invalid character '{' after array element",
	}, {
		name: "CSV missing userPrincipalName",
		path: bad("missing-upn.csv"), line: 1,
		want: "testdata/bad/missing-upn.csv:1: admin-center-csv: missing required column(s) userPrincipalName",
	}, {
		name: "MSOnline CSV missing ObjectId",
		path: bad("msonline-no-objectid.csv"), line: 1,
		want: "testdata/bad/msonline-no-objectid.csv:1: msonline-csv: missing required column(s) ObjectId",
	}, {
		name: "empty file",
		path: bad("empty.json"), is: pipeline.ErrEmptyInput,
		want: "testdata/bad/empty.json: no records found",
	}, {
		name: "blank CSV",
		path: bad("blank.csv"), is: pipeline.ErrEmptyInput,
		want: "testdata/bad/blank.csv: no records found",
	}, {
		name: "page without users",
		path: bad("empty-page.json"), is: pipeline.ErrEmptyInput,
		want: "testdata/bad/empty-page.json: no records found (no user objects)",
	}, {
		name: "duplicate UPN, differing in case",
		path: bad("dup-upn.json"), is: errDuplicate, line: 11,
		want: `testdata/bad/dup-upn.json:11: duplicate user: userPrincipalName "DUP@Contoso.com" was already seen at dup-upn.json:3 (a corrupted or concatenated export?)`,
	}, {
		name: "duplicate id, differing in case",
		path: bad("dup-id.jsonl"), is: errDuplicate, line: 3,
		want: `testdata/bad/dup-id.jsonl:3: duplicate user: id "00000000-0000-0000-0000-00000000000a" was already seen at dup-id.jsonl:1 (a corrupted or concatenated export?)`,
	}, {
		name: "duplicate id across page files",
		path: bad("pages-dup"), is: errDuplicate, line: 1,
		want: `testdata/bad/pages-dup/page-2.json:1: duplicate user: id "00000000-0000-0000-0000-000000000001" was already seen at page-1.json:1 (a corrupted or concatenated export?)`,
	}, {
		name: "user without id",
		path: bad("no-id.json"), line: 3, column: 3,
		want: "testdata/bad/no-id.json:3:3: user object has no id",
	}, {
		name: "user with null userPrincipalName",
		path: bad("no-upn.jsonl"), line: 2, column: 1,
		want: "testdata/bad/no-upn.jsonl:2:1: user object 00000000-0000-0000-0000-000000000002 has no userPrincipalName",
	}, {
		name: "MSOnline list exported as its type name",
		path: bad("msonline-unexpanded.csv"), line: 3, column: 59,
		want: "testdata/bad/msonline-unexpanded.csv:3:59: AlternateMobilePhones holds \"System.Collections.Generic.List`1[System.String]\", " +
			"not the phone numbers: export it expanded, e.g. Select-Object UserPrincipalName,ObjectId," +
			"@{n='AlternateMobilePhones';e={$_.AlternateMobilePhones -join ';'}} | Export-Csv",
	}, {
		name: "unparseable date",
		path: bad("bad-date.csv"), line: 2, column: 56,
		want: `testdata/bad/bad-date.csv:2:56: unrecognised date "yesterday" (use ISO 8601, e.g. 2023-11-14T22:13:20Z)`,
	}, {
		name: "day/month order nothing in the file settles",
		path: bad("ambiguous-date.csv"), is: errAmbiguousDate, line: 2, column: 56,
		want: `testdata/bad/ambiguous-date.csv:2:56: ambiguous date: day/month order unknown in "03/04/2023 10:00:00", ` +
			`and no other date in the file has a day above 12: re-export dates in ISO 8601, e.g. @{n='LastDirSyncTime';e={$_.LastDirSyncTime.ToString('o')}}`,
	}, {
		name: "bad boolean",
		path: bad("bad-bool.csv"), line: 2, column: 56,
		want: `testdata/bad/bad-bool.csv:2:56: invalid boolean "maybe" (want True or False)`,
	}, {
		name: "unrecognised format",
		path: bad("export.xml"), is: ErrUnknownFormat, line: 1, column: 15,
		want: `testdata/bad/export.xml:1:15: unrecognised Entra export format (neither JSON nor a CSV header: bare " in non-quoted-field); ` +
			"supported formats: graph-pages, graph-page-dir, jsonl, powershell-json, powershell-csv, admin-center-csv, msonline-csv, adsynctools-csv, adsynctools-compare-csv",
	}, {
		name: "Graph error response saved as a page",
		path: bad("throttled.json"), is: errGraphResponse, line: 1, column: 1,
		want: "testdata/bad/throttled.json:1:1: the file holds a Graph error response, not users: TooManyRequests: Too many requests.",
	}, {
		name: "JSON that is not a user export",
		path: "testdata/tenant.json", is: ErrUnknownFormat, line: 4, column: 5,
		want: "testdata/tenant.json:4:5: unrecognised Entra export format (the first object, 55555555-aaaa-bbbb-cccc-dddddddddddd, " +
			"has no userPrincipalName); supported formats: graph-pages, graph-page-dir, jsonl, powershell-json, powershell-csv, " +
			"admin-center-csv, msonline-csv, adsynctools-csv, adsynctools-compare-csv",
	}, {
		name: "missing file",
		path: bad("nope.json"), is: fs.ErrNotExist,
		want: "read entra export: stat testdata/bad/nope.json: no such file or directory",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ReadExport(tt.path)
			if err == nil {
				t.Fatalf("no error; read %d users", len(e.Users))
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v) = false", tt.is)
			}
			var pe *pipeline.ParseError
			if errors.As(err, &pe) && (pe.Line != tt.line || pe.Column != tt.column) {
				t.Errorf("position %d:%d, want %d:%d", pe.Line, pe.Column, tt.line, tt.column)
			}
			if !errors.As(err, &pe) && tt.line != 0 {
				t.Errorf("not a ParseError: %T", err)
			}
		})
	}
}

func TestReadExportEmptyDir(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadExport(dir)
	var pe *pipeline.ParseError
	if !errors.As(err, &pe) || !errors.Is(err, pipeline.ErrEmptyInput) || pe.File != dir {
		t.Fatalf("got %v, want a ParseError for %s wrapping ErrEmptyInput", err, dir)
	}
	if !strings.Contains(err.Error(), "no *.json or *.jsonl files") {
		t.Errorf("error %q does not say what was looked for", err)
	}
}

package extractentra

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"syncgap/pipeline"
)

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// refused reads path and checks the one-line error: the file, the position
// and the message, all of it.
func refused(t *testing.T, path, want string) {
	t.Helper()
	e, err := ReadExport(path)
	if err == nil {
		t.Fatalf("%s: no error; read %d users", path, len(e.Users))
	}
	if got := err.Error(); got != path+want {
		t.Errorf("error\n got %s\nwant %s%s", got, path, want)
	}
	var pe *pipeline.ParseError
	if !errors.As(err, &pe) || pe.File != path {
		t.Errorf("%T is not a ParseError naming %s", err, path)
	}
}

const utf8Hint = "not valid UTF-8 (saved in another encoding, such as Windows-1252? export it again as UTF-8)"

// Invalid UTF-8 is refused where it is, in CSV and JSON alike: DuckDB cannot
// read a table holding it, and it means the file is in another encoding.
func TestInvalidUTF8Refused(t *testing.T) {
	for _, tc := range []struct {
		name, file, body, want string
	}{
		{"CSV value (Windows-1252 ü)", "users.csv", "userPrincipalName,objectId,mobile\nj\xfcrgen@x.com,1,+1\n", ":2:2: " + utf8Hint},
		{"CSV after a #TYPE line", "mg.csv", "#TYPE Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser\n\"Id\",\"UserPrincipalName\"\n" +
			"\"1\",\"a@x.com\"\n\"2\",\"b\xe9@x.com\"\n", ":4:7: " + utf8Hint},
		{"CSV #TYPE line", "mg2.csv", "#TYPE Microsoft.Graph\xff\n\"Id\",\"UserPrincipalName\"\n", ":1:22: " + utf8Hint},
		{"CSV header", "h.csv", "userPrincipalName,objectId,d\xe9partement\na@x.com,1,x\n", ":1:29: " + utf8Hint},
		{"CSV quoted value over lines", "q.csv", "userPrincipalName,objectId,notes\na@x.com,1,\"one\ntwo \xc3(\"\n", ":3:5: " + utf8Hint},
		{"CSV rune cut at the end", "cut.csv", "userPrincipalName,objectId\na@x.com,1\xe2\x82", ":2:10: " + utf8Hint},
		{"JSON value the audit reads", "page.json", "{\"value\":[\n{\"id\":\"1\",\"userPrincipalName\":\"j\xfcrgen@x.com\"}]}", ":2:33: " + utf8Hint},
		{"JSON value it skips", "skip.json", "{\"value\":[{\"id\":\"1\",\"displayName\":\"J\xfcrgen\",\"userPrincipalName\":\"a@x.com\"}]}", ":1:37: " + utf8Hint},
		{"JSON key", "key.jsonl", "{\"id\":\"1\",\"userPrincipalName\":\"a@x.com\",\"d\xe9partement\":\"x\"}\n", ":1:43: " + utf8Hint},
		{"JSON rune cut at the end", "cut.json", "{\"id\":\"1\",\"userPrincipalName\":\"a\xe2\x82", ":1:33: " + utf8Hint},
		{"JSON overlong encoding", "long.json", "{\"id\":\"1\",\"userPrincipalName\":\"a\xc0\xafb\"}", ":1:33: " + utf8Hint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused(t, writeTemp(t, tc.file, tc.body), tc.want)
		})
	}
}

// Valid UTF-8 of every length passes, also when every rune is cut across
// reads (the checked CSV reader holds a cut rune back until it is whole).
func TestValidUTF8Accepted(t *testing.T) {
	var csvText, jsonl strings.Builder
	csvText.WriteString("userPrincipalName,objectId,displayName\n")
	names := []string{"Jürgen", "Zoë Ωmega", "山田太郎", "emoji 🙂 ok", "\u00a0nbsp"}
	for i := range 3000 { // past the readers' 64 KiB buffers, so runes straddle them
		n := names[i%len(names)]
		csvText.WriteString("u" + strings.Repeat("é", i%7) + strconv.Itoa(i) + "@x.com," + string(rune('a'+i%26)) + strings.Repeat("0", 8) + strconv.Itoa(i) + "," + n + "\n")
		jsonl.WriteString(`{"id":"` + strconv.Itoa(i) + `","userPrincipalName":"u` + strconv.Itoa(i) + `@x.com","displayName":"` + n + `"}` + "\n")
	}
	e, err := ReadExport(writeTemp(t, "users.csv", csvText.String()))
	if err != nil || len(e.Users) != 3000 || e.Users[6].UPN != "uéééééé6@x.com" {
		t.Fatalf("CSV: %v", err)
	}
	e, err = ReadExport(writeTemp(t, "users.jsonl", jsonl.String()))
	if err != nil || len(e.Users) != 3000 {
		t.Fatalf("JSON Lines: %v", err)
	}
	// One byte per read cuts every multi-byte rune.
	cr := newCheckedReader(iotest.OneByteReader(strings.NewReader(csvText.String())), "x.csv", 1)
	got, err := io.ReadAll(cr)
	if err != nil || string(got) != csvText.String() {
		t.Fatalf("byte-wise: %v", err)
	}
	cr = newCheckedReader(iotest.OneByteReader(strings.NewReader("a\nbc\xe2\x82\xacd\xe2\x82x")), "x.csv", 5)
	got, err = io.ReadAll(cr)
	if string(got) != "a\nbc€d" || err == nil || err.Error() != "x.csv:6:7: "+utf8Hint {
		t.Errorf("byte-wise bad rune: read %q, %v", got, err)
	}
}

// A key given twice in one object, or a column twice in a header, leaves
// which value is meant undefined: refused, naming the key or column.
func TestDuplicateKeysAndColumns(t *testing.T) {
	twice := func(key string) string {
		return `: key "` + key + `" appears twice in one object: which value is meant is undefined (an edited or corrupted export?)`
	}
	for _, tc := range []struct {
		name, file, body, want string
	}{
		{"a property the audit reads", "page.json", `{"value":[{"id":"1","userPrincipalName":"a@x.com","mobilePhone":"+1 1",` +
			"\n" + `"mobilePhone":"+1 2"}]}`, ":2:1" + twice("mobilePhone")},
		{"the same property in two cases", "ps.json", "[\n {\"Id\":\"1\",\"UserPrincipalName\":\"a@x.com\",\"id\":\"2\"}\n]", ":2:42" + twice("id")},
		{"a property it skips", "u.jsonl", `{"id":"1","displayName":"A","userPrincipalName":"a@x.com","displayName":"B"}`, ":1:59" + twice("displayName")},
		{"two user arrays in one page", "two.json", `{"value":[{"id":"1","userPrincipalName":"a@x.com"}],"value":[]}`, ":1:53" + twice("value")},
		{"next link twice", "next.json", `{"@odata.nextLink":"a","value":[{"id":"1","userPrincipalName":"a@x.com"}],"@odata.nextLink":"b"}`,
			":1:75" + twice("@odata.nextLink")},
		{"CSV column twice", "users.csv", "userPrincipalName,objectId,mobile,Mobile\na@x.com,1,+1 1,+1 2\n",
			`:1:35: column "Mobile" appears twice in the header (column 3 is "mobile"): which one holds the value is undefined`},
		{"CSV columns equal once normalised", "users2.csv", "User principal name,objectId,userPrincipalName\na@x.com,1,b@x.com\n",
			`:1:30: column "userPrincipalName" appears twice in the header (column 1 is "User principal name"): which one holds the value is undefined`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused(t, writeTemp(t, tc.file, tc.body), tc.want)
		})
	}
	// Each user has its own keys: the same key in two users is fine.
	e, err := ReadExport(writeTemp(t, "ok.json", `{"value":[{"id":"1","userPrincipalName":"a@x.com","displayName":"A",`+
		`"extra":{"k":1}},{"id":"2","userPrincipalName":"b@x.com","displayName":"B","extra":{"k":1}}],"@odata.nextLink":"x"}`))
	if err != nil || len(e.Users) != 2 {
		t.Fatalf("%v", err)
	}
}

// A page saved with a $select that left id (or userPrincipalName) out is
// told how to export it, not that its format is unknown.
func TestPropertyLeftOut(t *testing.T) {
	sel := "GET /v1.0/users?$select=" + graphSelect + ")"
	for _, tc := range []struct {
		name, file, body, want string
	}{
		{"Graph page without id", "page.json", "{\"value\":[\n  {\"userPrincipalName\":\"a@x.com\",\"mobilePhone\":\"+1 1\"}]}",
			":2:3: the users have no id: the $select of this Graph export left it out; add id to $select (" + sel},
		{"Graph page without userPrincipalName", "page2.json", `{"value":[{"id":"1","mobilePhone":"+1 1","onPremisesSyncEnabled":true}]}`,
			":1:11: the users have no userPrincipalName: the $select of this Graph export left it out; add userPrincipalName to $select (" + sel},
		{"bare camelCase array without id", "arr.json", `[{"userPrincipalName":"a@x.com","businessPhones":[]}]`,
			":1:2: the users have no id: the $select of this Graph export left it out; add id to $select (" + sel},
		{"PowerShell without Id", "ps.json", "[\n  {\n    \"UserPrincipalName\": \"a@x.com\",\n    \"MobilePhone\": null\n  }\n]",
			":2:3: the users have no Id: the property list of this export left it out; add Id to Get-MgUser -Property (and to Select-Object, if used)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, tc.file, tc.body)
			refused(t, path, tc.want)
			if _, err := ReadExport(path); errors.Is(err, ErrUnknownFormat) {
				t.Errorf("still called an unknown format")
			}
		})
	}
	// An object with no user property at all is still not a user export.
	if _, err := ReadExport(writeTemp(t, "x.json", `{"value":[{"name":"x","size":1}]}`)); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("an object without user properties: %v", err)
	}
}

// The admin center CSV has a sync flag (directorySynced) but no immutable
// id: it is weak evidence for that reason only, and says so.
func TestWeakEvidenceSaysWhatIsLacking(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"testdata/admin-center.csv", ", weak evidence: no immutable id)"},
		{"testdata/admin-center-nosync.csv", ", weak evidence: no sync flag or immutable id)"},
	} {
		e, err := ReadExport(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if s := e.String(); !e.WeakEvidence || !strings.HasSuffix(s, tc.want) {
			t.Errorf("%s: %s, want it to end %q", tc.path, s, tc.want)
		}
	}
	nosync := writeTemp(t, "nosync.json", `{"value":[{"id":"1","userPrincipalName":"a@x.com","onPremisesImmutableId":"AQ=="}]}`)
	if e, err := ReadExport(nosync); err != nil || !strings.HasSuffix(e.String(), ", weak evidence: no sync flag)") {
		t.Errorf("%v %v", e, err)
	}
	e, err := ReadExport("testdata/graph-page.json")
	if err != nil || e.WeakEvidence || strings.Contains(e.String(), "weak") {
		t.Errorf("a full Graph page: %v %v", e, err)
	}
}

// What is not an Entra export is named for what it is.
func TestNotAnExport(t *testing.T) {
	ldif := map[string]string{
		"ldapsearch -LLL": "dn: CN=A,DC=x\nuserPrincipalName: a@x.com\n",
		"ldapsearch":      "# extended LDIF\n#\n# LDAPv3\n# base <DC=x> with scope subtree\n#\n\n# A, x\ndn: CN=A,DC=x\n",
		"ldapsearch -L":   "\xef\xbb\xbfversion: 1\r\n\r\ndn:: Q049QQ==\r\n",
		"ldifde":          "\r\ndn: CN=A,DC=x\r\nchangetype: add\r\n",
	}
	for name, body := range ldif {
		t.Run(name, func(t *testing.T) {
			refused(t, writeTemp(t, "ad.ldif", body), ":1: is an LDIF file (the AD side), not an Entra export: pass it to --ldif")
		})
	}
	t.Run("Parquet table", func(t *testing.T) {
		refused(t, writeTemp(t, "entra_users.parquet", "PAR1\x15\x04"), ":1: is a Parquet table (from a syncgap snapshot?), not an Entra export")
	})
	t.Run("snapshot directory", func(t *testing.T) {
		snap := filepath.Dir(writeTemp(t, "snap/"+pipeline.ManifestFile, `{"format":"syncgap-manifest/1"}`))
		refused(t, snap, ": is a syncgap snapshot directory (it holds manifest.json), not an Entra export: give the export files or page directory it was made from")
	})
	t.Run("snapshot manifest", func(t *testing.T) {
		refused(t, writeTemp(t, pipeline.ManifestFile, "{\n  \"format\": \""+pipeline.ManifestFormat+"\",\n  \"stages\": []\n}\n"),
			":1: is the manifest of a syncgap snapshot, not an Entra export: give the export files or page directory it was made from")
	})
	// The admin center's bulk templates start "version:v1.0": a CSV.
	e, err := ReadExport(writeTemp(t, "bulk.csv", "version:v1.0\nuserPrincipalName,objectId\na@x.com,1\n"))
	if err != nil || len(e.Users) != 1 {
		t.Errorf("bulk template: %v", err)
	}
}

// Bounds: a file larger than an export can be is refused before it is
// read; one JSON value or CSV record larger than 64 MiB while it is read.
func TestBounds(t *testing.T) {
	sparse := filepath.Join(t.TempDir(), "huge.json")
	if err := os.WriteFile(sparse, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, MaxExportBytes+1); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	refused(t, sparse, ": is 16 GiB, more than an Entra export can be (16 GiB)")

	big := strings.Repeat("x", maxWindow)
	path := writeTemp(t, "big.json", `{"value":[{"id":"1","userPrincipalName":"a@x.com","notes":"`+big+`"}]}`)
	_, err := ReadExport(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":1:") ||
		!strings.HasSuffix(err.Error(), ": more than 64 MiB of JSON without a break between users: not a user export (or one user object is absurdly large)") {
		t.Errorf("64 MiB value: %.300v", err)
	}
	path = writeTemp(t, "big.csv", "userPrincipalName,objectId,notes\na@x.com,1,\"never closed\n"+big)
	_, err = ReadExport(path)
	if err == nil || err.Error() != path+":3: a CSV record longer than 64 MiB (a quote that is never closed?)" {
		t.Errorf("64 MiB record: %.300v", err)
	}
}

// The tenant features file too: a key twice (in any case) and invalid
// UTF-8 are refused where they are, since the last of two bypass flags
// would otherwise silently win.
func TestTenantFeaturesStrict(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"bypass flag twice", "{\"features\":{\n  \"bypassDirSyncOverridesEnabled\": true,\n  \"bypassDirSyncOverridesEnabled\": false}}",
			`:3:3: key "bypassDirSyncOverridesEnabled" appears twice in one object: which value is meant is undefined`},
		{"bypass flag in two cases", `{"Features":{"BypassDirSyncOverridesEnabled":true,"bypassDirSyncOverridesEnabled":false}}`,
			`:1:51: key "bypassDirSyncOverridesEnabled" appears twice in one object (also as "BypassDirSyncOverridesEnabled"): which value is meant is undefined`},
		{"features twice", `{"value":[{"id":"x","features":{},"Features":{"bypassDirSyncOverridesEnabled":true}}]}`,
			`:1:35: key "Features" appears twice in one object (also as "features"): which value is meant is undefined`},
		{"invalid UTF-8", "{\"id\":\"x\",\n\"features\":{\"d\xe9\":true}}", ":2:15: " + utf8Hint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, "features.json", tc.body)
			_, err := ReadTenantFeatures(path)
			var pe *pipeline.ParseError
			if err == nil || err.Error() != path+tc.want || !errors.As(err, &pe) {
				t.Errorf("error\n got %v\nwant %s%s", err, path, tc.want)
			}
		})
	}
	// The same key in different objects is no duplicate.
	path := writeTemp(t, "ok.json", `{"value":[{"id":"x","configuration":{"id":"c"},"features":{"id":true,"bypassDirSyncOverridesEnabled":true}}]}`)
	if flags, err := ReadTenantFeatures(path); err != nil || len(flags) != 2 {
		t.Errorf("%v %v", flags, err)
	}
}

// Exports are hashed as they are parsed: each record is the whole file's
// SHA-256, in file order, for single files, UTF-16 ones and page directories.
func TestInputsHashedWhileParsed(t *testing.T) {
	paths := []string{"testdata/graph-page.json", "testdata/msonline.csv", "testdata/ps51-single-utf16.json", "testdata/pages"}
	set, err := ReadExports(t.Context(), paths)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range set.Exports {
		if len(e.inputs) != len(e.Files) {
			t.Errorf("%s: %d records for %d files", e.Path, len(e.inputs), len(e.Files))
		}
		want = append(want, e.Files...)
	}
	if len(set.Inputs) != len(want) {
		t.Fatalf("%d inputs for files %v", len(set.Inputs), want)
	}
	for i, in := range set.Inputs {
		sum, n, err := pipeline.HashFile(want[i])
		if err != nil {
			t.Fatal(err)
		}
		if in.Path != want[i] || in.SHA256 != sum || in.Bytes != n {
			t.Errorf("input %d: %+v, want %s %s %d", i, in, want[i], sum, n)
		}
	}
}

// The tenant features file is hashed as it is read too.
func TestTenantFeaturesHashed(t *testing.T) {
	for _, name := range []string{"testdata/tenant.json", "testdata/tenant-ps.json"} {
		_, in, err := readTenantFeatures(name)
		if err != nil {
			t.Fatal(err)
		}
		sum, n, err := pipeline.HashFile(name)
		if err != nil || in.Path != name || in.SHA256 != sum || in.Bytes != n {
			t.Errorf("%s: %+v, want %s %d (%v)", name, in, sum, n, err)
		}
	}
}

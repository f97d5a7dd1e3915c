package extractad

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// runStage runs extract-ad on an LDIF file into a new snapshot directory.
func runStage(t *testing.T, cfg LDIFConfig) (LDIFSummary, *pipeline.StageRecord, string, error) {
	t.Helper()
	dir := t.TempDir()
	sum, rec, err := LDIFStage.Run(context.Background(), pipeline.NewRunner(dir), cfg)
	return sum, rec, dir, err
}

// noTable fails the test when a refused run left a table behind.
func noTable(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("a refused extract left %v", names)
	}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// user is an LDIF entry with the attributes given, one "name: value" each.
func user(cn string, attrs ...string) string {
	return "dn: CN=" + cn + ",DC=x\nobjectClass: user\nsAMAccountName: " + strings.ToLower(cn) + "\n" +
		strings.Join(attrs, "\n") + "\n\n"
}

const (
	guidA = "objectGUID:: vQxbTmbd/U2iOgOjw+2sfQ=="
	guidB = "objectGUID:: AQIDBAUGBwgJCgsMDQ4PEA=="
	cguid = "mS-DS-ConsistencyGuid:: TlsMvd1mTf2iOgOjw+2sfQ=="
)

// An export whose attribute list left out what the audit needs is refused
// with one line naming what is missing and the list to export with;
// --allow-missing-attributes reads it and the manifest says what was missing.
func TestLDIFMissingAttributes(t *testing.T) {
	tests := []struct {
		name    string
		ldif    string
		missing string // "" when the export is complete enough
	}{
		{"complete", user("A", guidA, "userPrincipalName: a@x", "mobile: +1 425 555 0100") +
			user("B", guidB, "userPrincipalName: b@x"), ""},
		{"one user's otherMobile is enough", user("A", guidA, "userPrincipalName: a@x") +
			user("B", guidB, "userPrincipalName: b@x", "otherMobile: +1 425 555 0101"), ""},
		{"no mobile or otherMobile on anyone", user("A", guidA, "userPrincipalName: a@x") +
			user("B", guidB, "userPrincipalName: b@x"), "mobile or otherMobile"},
		{"no objectGUID, every user has a consistency GUID", user("A", cguid, "userPrincipalName: a@x", "mobile: 1") +
			user("B", "mS-DS-ConsistencyGuid:: AQIDBAUGBwgJCgsMDQ4PEA==", "userPrincipalName: b@x"), ""},
		{"no objectGUID, only some consistency GUIDs", user("A", cguid, "userPrincipalName: a@x", "mobile: 1") +
			user("B", "userPrincipalName: b@x"), "objectGUID"},
		{"no userPrincipalName", user("A", guidA, "mobile: 1") + user("B", guidB), "userPrincipalName"},
		{"nothing but names", user("A") + user("B"), "mobile or otherMobile, or objectGUID, or userPrincipalName"},
	}
	t.Run("one user", func(t *testing.T) {
		path := writeFile(t, "one.ldif", user("A", "userPrincipalName: a@x"))
		_, _, _, err := runStage(t, LDIFConfig{LDIF: path})
		if want := path + ": its only user lacks mobile or otherMobile, or objectGUID: "; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %v, want it to start %q", err, want)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "ad.ldif", "version: 1\n\n"+tt.ldif)
			sum, rec, dir, err := runStage(t, LDIFConfig{LDIF: path})
			if tt.missing == "" {
				if err != nil {
					t.Fatal(err)
				}
				if sum.Users != 2 || sum.MissingAttributes != "" || rec.Detail["missing_attributes"] != "" {
					t.Errorf("summary %+v, detail %v", sum, rec.Detail)
				}
				return
			}
			want := path + ": none of its 2 users has " + tt.missing + ": the export's attribute list left them out; " +
				"export again with ldapsearch … userPrincipalName sAMAccountName mobile otherMobile c userAccountControl " +
				`whenChanged objectGUID mS-DS-ConsistencyGuid, or ldifde -f ad.ldif -l "userPrincipalName,sAMAccountName,` +
				`mobile,otherMobile,c,userAccountControl,whenChanged,objectGUID,mS-DS-ConsistencyGuid" ` +
				"(or pass --allow-missing-attributes if the directory truly holds none)"
			if err == nil || err.Error() != want || !errors.Is(err, ErrMissingAttributes) {
				t.Fatalf("error\n got %v\nwant %s", err, want)
			}
			noTable(t, dir)

			sum, rec, dir, err = runStage(t, LDIFConfig{LDIF: path, AllowMissingAttributes: true})
			if err != nil {
				t.Fatalf("allowed: %v", err)
			}
			want = strings.ReplaceAll(tt.missing, ", or ", ", ")
			if sum.MissingAttributes != want || rec.Detail["missing_attributes"] != want ||
				rec.Parameters["allow_missing_attributes"] != "true" {
				t.Errorf("summary %+v, detail %v, parameters %v", sum, rec.Detail, rec.Parameters)
			}
			rows, err := pipeline.ReadRows[pipeline.ADUser](filepath.Join(dir, pipeline.FileName(pipeline.ADUsersTable)))
			if err != nil || len(rows) != 2 {
				t.Errorf("%d rows, %v", len(rows), err)
			}
		})
	}
}

// The option is recorded only when given, so existing manifests and
// replays are unchanged, and it decodes back.
func TestLDIFConfigParams(t *testing.T) {
	for _, cfg := range []LDIFConfig{{LDIF: "ad.ldif"}, {LDIF: "ad.ldif", AllowMissingAttributes: true}} {
		p, err := pipeline.EncodeParams(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p["allow_missing_attributes"]; ok != cfg.AllowMissingAttributes {
			t.Errorf("%+v encodes as %v", cfg, p)
		}
		var back LDIFConfig
		if err := pipeline.DecodeParams(p, &back); err != nil || back != cfg {
			t.Errorf("%v decodes to %+v, %v", p, back, err)
		}
	}
}

// What is not an LDIF file is named for what it is, before it is read.
func TestLDIFNotAnExport(t *testing.T) {
	snap := t.TempDir()
	if err := os.WriteFile(filepath.Join(snap, pipeline.ManifestFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(t.TempDir(), "huge.ldif")
	if err := os.WriteFile(sparse, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sparse, MaxLDIFBytes+1); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"snapshot", snap, "is a syncgap snapshot directory (it holds manifest.json), not an LDIF export"},
		{"directory", t.TempDir(), "is a directory, not an LDIF file"},
		{"Graph page", writeFile(t, "page.json", `{"value":[]}`), "is JSON, not LDIF: an Entra export goes to --export"},
		{"CSV", writeFile(t, "users.csv", "\xef\xbb\xbfuserPrincipalName,objectId\na@x,1\n"), "is a CSV file, not LDIF"},
		{"Parquet", writeFile(t, "ad_users.parquet", "PAR1\x15\x00"), "is a Parquet table (from a syncgap snapshot?)"},
		{"manifest", writeFile(t, pipeline.ManifestFile, "{\n  \"format\": \""+pipeline.ManifestFormat+"\",\n  \"stages\": []\n}\n"),
			"is the manifest of a syncgap snapshot, not an LDIF export"},
		{"too big", sparse, "is 16 GiB, more than an LDIF export can be (16 GiB)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, dir, err := runStage(t, LDIFConfig{LDIF: tc.path})
			if err == nil || err.Error() != tc.path+": "+tc.want && !strings.HasPrefix(err.Error(), tc.path+": "+tc.want) {
				t.Fatalf("error %v, want %s: %s", err, tc.path, tc.want)
			}
			var pe *pipeline.ParseError
			if !errors.As(err, &pe) || pe.File != tc.path {
				t.Errorf("%T does not name the file", err)
			}
			noTable(t, dir)
		})
	}
	// An LDIF whose first line looks odd is still left to the reader.
	for _, ok := range []string{"# extended LDIF, a; b\n" + user("A", guidA, "userPrincipalName: a@x", "mobile: 1"),
		"\n\ndn: CN=A,DC=x\nobjectClass: user\nuserPrincipalName: a,b@x\nobjectGUID:: vQxbTmbd/U2iOgOjw+2sfQ==\nmobile: 1\n"} {
		if _, _, _, err := runStage(t, LDIFConfig{LDIF: writeFile(t, "ad.ldif", ok)}); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// What ldapsearch prints for a paged search, with or without -L, reads as
// the same table: the page breaks between entries are skipped. The files
// are real ldapsearch output of a Samba DC (see ldif.TestReaderLdapsearchPaged).
func TestLDIFLdapsearchPaged(t *testing.T) {
	var want []pipeline.ADUser
	for _, name := range []string{"ldapsearch-paged-LLL.ldif", "ldapsearch-paged.ldif", "ldapsearch-paged-L.ldif", "ldapsearch-paged-LL.ldif"} {
		_, _, dir, err := runStage(t, LDIFConfig{LDIF: filepath.Join("..", "..", "ldif", "testdata", name)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rows, err := pipeline.ReadRows[pipeline.ADUser](filepath.Join(dir, pipeline.FileName(pipeline.ADUsersTable)))
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			rows[i].Origin = "" // lines differ between the modes
		}
		if want == nil {
			want = rows
			if len(want) != 5 || want[0].UPN != "ann.archer@syncgap.test" ||
				!reflect.DeepEqual(want[0].OtherMobile, []string{"+1 425 555 0201", "+1 425 555 0202"}) ||
				want[1].SourceAnchor != "TlsMvd1mTf2iOgOjw+2sfQ==" || want[1].Enabled != pipeline.Known(false) {
				t.Fatalf("-LLL: %+v", want)
			}
			continue
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, rows, want)
		}
	}
}

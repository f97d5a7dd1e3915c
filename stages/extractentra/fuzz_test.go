package extractentra

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"syncgap/pipeline"
)

// FuzzParseJSON feeds arbitrary bytes to the JSON path. It must never
// panic; what it accepts must be well-formed users; and reading the same
// bytes one byte per Read must give the same result, which checks the
// scanner's window handling against itself.
func FuzzParseJSON(f *testing.F) {
	for _, name := range []string{"graph-page.json", "graph-concat.json", "graph-array.json", "users.jsonl",
		"ps7.json", "ps51.json", "bad/cut.json", "bad/syntax.json", "bad/no-id.json", "tenant.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(syntheticPage(0, 3, false, true))
	f.Add([]byte(`{"id":"a","userPrincipalName":"\ud83d\ude00\ud800x\u00","businessPhones":{"value":["1"],"Count":1}}`))
	f.Add([]byte(`[{"Id":"A","UserPrincipalName":"b","OnPremisesLastSyncDateTime":{"value":"/Date(1)/"}}]`))
	f.Add([]byte(`{"error":{"codeX":1,"code":"c","message":"m","mess":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var whole, bytewise jsonParser
		err := whole.parse("fuzz.json", bytes.NewReader(data))
		err2 := bytewise.parse("fuzz.json", iotest.OneByteReader(bytes.NewReader(data)))
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("whole read: %v; byte-wise read: %v", err, err2)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(whole.out, bytewise.out) {
			t.Fatalf("whole and byte-wise reads differ")
		}
		for _, u := range whole.out {
			if u.ID == "" || u.UPN == "" || u.Origin == "" {
				t.Fatalf("accepted an incomplete user %#v", u)
			}
			for _, s := range append([]string{u.ID, u.UPN, u.MobilePhone, u.OnPremisesDN}, u.BusinessPhones...) {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 in %q", s)
				}
			}
		}
	})
}

// FuzzReadCSV does the same for the CSV path, through ReadExport.
func FuzzReadCSV(f *testing.F) {
	for _, name := range []string{"mguser.csv", "admin-center.csv", "msonline.csv", "adsynctools.csv", "adsynctools-compare.csv", "bad/ambiguous-date.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		e, err := ReadExport(path)
		if err != nil {
			return
		}
		for _, u := range e.Users {
			if u.ID == "" || u.UPN == "" {
				t.Fatalf("accepted an incomplete user %#v", u)
			}
		}
	})
}

// FuzzReadTenantFeatures feeds arbitrary text to the tenant features
// reader (the file's text, after any BOM or UTF-16 is decoded). It must
// never panic; every refusal is a ParseError naming the file; and what it
// accepts is a tenant table: one row per feature, sorted, names valid
// UTF-8, exactly one bypassDirSyncOverridesEnabled row, and that row known
// only when the text spells a JSON boolean for it.
func FuzzReadTenantFeatures(f *testing.F) {
	for _, name := range []string{"tenant.json", "tenant-ps.json", "tenant-nobypass.json", "bad/tenant-cut.json",
		"bad/tenant-nofeatures.json", "graph-page.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		`{"features":{"bypassDirSyncOverridesEnabled":"true"}}`,
		`[{"Features":{"BypassDirSyncOverridesEnabled":null,"X":1}}]`,
		`{"value":[{"features":{"a":true,"A":false}}]}`,
		`{"features":{"bypassDirSyncOverridesEnabled":true,"bypassDirSyncOverridesEnabled":false}}`,
		`{"value":[{"features":{}},{"features":{}}]}`,
		"{\"features\":{\"\xff\":true}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		flags, err := parseTenantFeatures("fuzz.json", data)
		if err != nil {
			var pe *pipeline.ParseError
			if !errors.As(err, &pe) || pe.File != "fuzz.json" {
				t.Fatalf("error %v is not a ParseError naming the file", err)
			}
			return
		}
		bypass := 0
		for i, fl := range flags {
			if fl.Feature == "" || !utf8.ValidString(fl.Feature) || !strings.HasPrefix(fl.Source, "fuzz.json") {
				t.Fatalf("row %+v", fl)
			}
			if i > 0 && flags[i-1].Feature >= fl.Feature {
				t.Fatalf("rows not sorted and unique: %q before %q", flags[i-1].Feature, fl.Feature)
			}
			if fl.Feature == pipeline.BypassFeature {
				bypass++
				if fl.Enabled.Valid && !bytes.Contains(data, []byte("true")) && !bytes.Contains(data, []byte("false")) {
					t.Fatalf("bypass flag %v read from text without a boolean", fl.Enabled)
				}
			}
		}
		if bypass != 1 {
			t.Fatalf("%d bypass rows in %+v", bypass, flags)
		}
	})
}

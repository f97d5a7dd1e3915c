package extractentra

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/iotest"
	"unicode/utf8"
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

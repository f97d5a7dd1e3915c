package extractentra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"syncgap/pipeline"
)

// with is u changed by f, so each expectation names only what differs.
func with(u pipeline.EntraUser, f func(*pipeline.EntraUser)) pipeline.EntraUser {
	f(&u)
	return u
}

// Users of the primary export in TestMergeSecondary.
var (
	// ann's cloud and AD UPNs differ only in the suffix.
	ann = pipeline.EntraUser{ID: "a", UPN: "ann@contoso.com", OnPremisesUPN: "ann@contoso.local",
		OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "YW5u"}
	// bob's AD UPN suffix is not routable, so his cloud UPN is the
	// tenant's onmicrosoft.com one.
	bob = pipeline.EntraUser{ID: "b", UPN: "bob@contoso.onmicrosoft.com", OnPremisesUPN: "bob@contoso.local",
		MobilePhone: "+1 555 0100", AccountEnabled: yes}
	// cat is cloud only.
	cat = pipeline.EntraUser{ID: "c", UPN: "cat@contoso.com"}
	// full knows everything a secondary export could tell.
	full = pipeline.EntraUser{ID: "f", UPN: "full@contoso.com", MobilePhone: "+1 555 0190",
		AlternateMobilePhones: []string{"+1 555 0191"}, BusinessPhones: []string{"+1 555 0192"}, UsageLocation: "US",
		OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "ZnVsbA==", OnPremisesUPN: "full@contoso.local",
		OnPremisesSamAccountName: "full", OnPremisesDN: "CN=Full,DC=contoso,DC=local", OnPremisesLastSync: synced,
		AccountEnabled: yes, Origin: "primary:9"}
)

// byUPN is a row of an export without object ids (the ADSyncTools CSVs).
func byUPN(upn string, f func(*pipeline.EntraUser)) pipeline.EntraUser {
	u := pipeline.EntraUser{ID: UPNIDPrefix + strings.ToLower(strings.TrimSpace(upn)), UPN: upn}
	if f != nil {
		f(&u)
	}
	return u
}

func TestMergeSecondary(t *testing.T) {
	tests := []struct {
		name      string
		primary   []pipeline.EntraUser // nil: ann, bob, cat
		later     [][]pipeline.EntraUser
		want      []pipeline.EntraUser // sorted by id
		unmatched []int                // per later export
		examples  [][]string
	}{{
		name: "by object id, although the UPN differs",
		later: [][]pipeline.EntraUser{{{ID: "a", UPN: "ann.renamed@contoso.com",
			AlternateMobilePhones: []string{"+1 555 0111"}, UsageLocation: "GB"}}},
		want: []pipeline.EntraUser{with(ann, func(u *pipeline.EntraUser) {
			u.AlternateMobilePhones, u.UsageLocation = []string{"+1 555 0111"}, "GB"
		}), bob, cat},
	}, {
		name:  "by cloud UPN, trimmed and ignoring case",
		later: [][]pipeline.EntraUser{{byUPN("  CAT@Contoso.COM ", func(u *pipeline.EntraUser) { u.MobilePhone = "+1 555 0133" })}},
		want:  []pipeline.EntraUser{ann, bob, with(cat, func(u *pipeline.EntraUser) { u.MobilePhone = "+1 555 0133" })},
	}, {
		name: "by on-premises UPN; the primary's mobile is kept",
		later: [][]pipeline.EntraUser{{byUPN("Bob@Contoso.Local", func(u *pipeline.EntraUser) {
			u.MobilePhone, u.UsageLocation, u.OnPremisesSyncEnabled = "+1 555 0999", "US", yes
		})}},
		want: []pipeline.EntraUser{ann, with(bob, func(u *pipeline.EntraUser) {
			u.UsageLocation, u.OnPremisesSyncEnabled = "US", yes
		}), cat},
	}, {
		name:    "a primary value is never overwritten, by any field",
		primary: []pipeline.EntraUser{full},
		later: [][]pipeline.EntraUser{{{ID: "f", UPN: "other@contoso.com", MobilePhone: "+1 555 0000",
			AlternateMobilePhones: []string{}, BusinessPhones: []string{"+1 555 0001"}, UsageLocation: "GB",
			OnPremisesSyncEnabled: no, OnPremisesImmutableID: "b3RoZXI=", OnPremisesUPN: "other@contoso.local",
			OnPremisesSamAccountName: "other", OnPremisesDN: "CN=Other", OnPremisesLastSync: synced.AddDate(1, 0, 0),
			AccountEnabled: no, Origin: "later:2"}}, {byUPN("full@contoso.local", func(u *pipeline.EntraUser) {
			u.MobilePhone, u.OnPremisesSyncEnabled = "+1 555 0002", no
		})}},
		want:      []pipeline.EntraUser{full},
		unmatched: []int{0, 0},
	}, {
		name: "rows matching no user are counted, the first five named, none added",
		later: [][]pipeline.EntraUser{{
			{ID: "z1", UPN: "new1@contoso.com", MobilePhone: "+1 555 0201"},
			byUPN("ann@contoso.com", nil), // matches, between the unmatched
			byUPN("ghost2@contoso.local", nil),
			byUPN(" Ghost3@contoso.local ", nil),
			{ID: "z4", UPN: "new4@contoso.com"},
			byUPN("ghost5@contoso.local", nil),
			byUPN("ghost6@contoso.local", nil),
			byUPN("ghost7@contoso.local", nil),
		}},
		want:      []pipeline.EntraUser{ann, bob, cat},
		unmatched: []int{7},
		examples:  [][]string{{"new1@contoso.com", "ghost2@contoso.local", "Ghost3@contoso.local", "new4@contoso.com", "ghost5@contoso.local"}},
	}, {
		name:      "an unmatched row of one export is not there for the next to match",
		later:     [][]pipeline.EntraUser{{byUPN("new@contoso.com", nil)}, {byUPN("new@contoso.com", func(u *pipeline.EntraUser) { u.MobilePhone = "+1" })}},
		want:      []pipeline.EntraUser{ann, bob, cat},
		unmatched: []int{1, 1},
		examples:  [][]string{{"new@contoso.com"}, {"new@contoso.com"}},
	}, {
		name:      "a UPN match with a different object id is another object: not filled",
		later:     [][]pipeline.EntraUser{{{ID: "other", UPN: "ANN@contoso.com", MobilePhone: "+1 555 0999"}, {ID: "other2", UPN: "bob@contoso.local", UsageLocation: "US"}}},
		want:      []pipeline.EntraUser{ann, bob, cat},
		unmatched: []int{2},
		examples:  [][]string{{"ANN@contoso.com", "bob@contoso.local"}},
	}, {
		name: "a UPN that is one user's cloud UPN and another's on-premises UPN fills the cloud one",
		primary: []pipeline.EntraUser{
			{ID: "d", UPN: "dan@contoso.com"},
			{ID: "e", UPN: "dan@contoso.onmicrosoft.com", OnPremisesUPN: "dan@contoso.com"},
		},
		later: [][]pipeline.EntraUser{{byUPN("dan@contoso.com", func(u *pipeline.EntraUser) { u.MobilePhone = "+1 555 0144" })}},
		want: []pipeline.EntraUser{
			{ID: "d", UPN: "dan@contoso.com", MobilePhone: "+1 555 0144"},
			{ID: "e", UPN: "dan@contoso.onmicrosoft.com", OnPremisesUPN: "dan@contoso.com"},
		},
	}, {
		name: "an on-premises UPN two users share matches neither",
		primary: []pipeline.EntraUser{
			{ID: "g1", UPN: "fay1@contoso.onmicrosoft.com", OnPremisesUPN: "fay@contoso.local"},
			{ID: "g2", UPN: "fay2@contoso.onmicrosoft.com", OnPremisesUPN: "FAY@contoso.local"},
		},
		later: [][]pipeline.EntraUser{{byUPN("fay@contoso.local", func(u *pipeline.EntraUser) { u.MobilePhone = "+1 555 0155" })}},
		want: []pipeline.EntraUser{
			{ID: "g1", UPN: "fay1@contoso.onmicrosoft.com", OnPremisesUPN: "fay@contoso.local"},
			{ID: "g2", UPN: "fay2@contoso.onmicrosoft.com", OnPremisesUPN: "FAY@contoso.local"},
		},
		unmatched: []int{1},
		examples:  [][]string{{"fay@contoso.local"}},
	}, {
		name:    "an on-premises UPN one secondary export brought keys the next",
		primary: []pipeline.EntraUser{{ID: "h", UPN: "hal@contoso.onmicrosoft.com"}},
		later: [][]pipeline.EntraUser{
			{{ID: "h", UPN: "hal@contoso.onmicrosoft.com", OnPremisesUPN: "hal@contoso.local"}},
			{byUPN("hal@contoso.local", func(u *pipeline.EntraUser) { u.MobilePhone = "+1 555 0177" })},
		},
		want:      []pipeline.EntraUser{{ID: "h", UPN: "hal@contoso.onmicrosoft.com", OnPremisesUPN: "hal@contoso.local", MobilePhone: "+1 555 0177"}},
		unmatched: []int{0, 0},
	}, {
		// Merge builds its UPN indexes only when a row first needs them,
		// here after the first export filled ivy's UPN in: they must still
		// hold the cloud UPNs the primary export had, and no others.
		name:    "a cloud UPN a secondary export filled in keys nothing",
		primary: []pipeline.EntraUser{{ID: "i"}},
		later: [][]pipeline.EntraUser{
			{{ID: "i", UPN: "ivy@contoso.com"}},
			{byUPN("ivy@contoso.com", func(u *pipeline.EntraUser) { u.MobilePhone = "+1 555 0188" })},
		},
		want:      []pipeline.EntraUser{{ID: "i", UPN: "ivy@contoso.com"}},
		unmatched: []int{0, 1},
		examples:  [][]string{nil, {"ivy@contoso.com"}},
	}, {
		name: "an on-premises UPN filled in makes it ambiguous, indexes built before",
		primary: []pipeline.EntraUser{
			{ID: "j1", UPN: "jo1@contoso.onmicrosoft.com"},
			{ID: "j2", UPN: "jo2@contoso.onmicrosoft.com", OnPremisesUPN: "jo@contoso.local"},
		},
		later: [][]pipeline.EntraUser{
			{byUPN("ghost@contoso.com", nil), {ID: "j1", UPN: "jo1@contoso.onmicrosoft.com", OnPremisesUPN: "JO@contoso.local"}},
			{byUPN("jo@contoso.local", func(u *pipeline.EntraUser) { u.MobilePhone = "+1 555 0199" })},
		},
		want: []pipeline.EntraUser{
			{ID: "j1", UPN: "jo1@contoso.onmicrosoft.com", OnPremisesUPN: "JO@contoso.local"},
			{ID: "j2", UPN: "jo2@contoso.onmicrosoft.com", OnPremisesUPN: "jo@contoso.local"},
		},
		unmatched: []int{1, 1},
		examples:  [][]string{{"ghost@contoso.com"}, {"jo@contoso.local"}},
	}, {
		name: "an on-premises UPN filled in makes it ambiguous, indexes built after",
		primary: []pipeline.EntraUser{
			{ID: "j1", UPN: "jo1@contoso.onmicrosoft.com"},
			{ID: "j2", UPN: "jo2@contoso.onmicrosoft.com", OnPremisesUPN: "jo@contoso.local"},
		},
		later: [][]pipeline.EntraUser{
			{{ID: "j1", UPN: "jo1@contoso.onmicrosoft.com", OnPremisesUPN: "JO@contoso.local"}},
			{byUPN("jo@contoso.local", func(u *pipeline.EntraUser) { u.MobilePhone = "+1 555 0199" })},
		},
		want: []pipeline.EntraUser{
			{ID: "j1", UPN: "jo1@contoso.onmicrosoft.com", OnPremisesUPN: "JO@contoso.local"},
			{ID: "j2", UPN: "jo2@contoso.onmicrosoft.com", OnPremisesUPN: "jo@contoso.local"},
		},
		unmatched: []int{0, 1},
		examples:  [][]string{nil, {"jo@contoso.local"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			primary := tt.primary
			if primary == nil {
				primary = []pipeline.EntraUser{ann, bob, cat}
			}
			exports := []*Export{{Path: "primary", Format: GraphPages, Users: append([]pipeline.EntraUser(nil), primary...)}}
			for i, users := range tt.later {
				exports = append(exports, &Export{Path: fmt.Sprintf("later%d", i+1), Format: MSOnlineCSV, Users: users})
			}
			got, err := Merge(exports)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("users:\n got %#v\nwant %#v", got, tt.want)
			}
			for i, e := range exports[1:] {
				wantN, wantEx := 0, []string(nil)
				if tt.unmatched != nil {
					wantN = tt.unmatched[i]
				}
				if tt.examples != nil {
					wantEx = tt.examples[i]
				}
				if e.Unmatched != wantN || !reflect.DeepEqual(e.UnmatchedUPNs, wantEx) {
					t.Errorf("%s: unmatched %d %q, want %d %q", e.Path, e.Unmatched, e.UnmatchedUPNs, wantN, wantEx)
				}
			}
		})
	}
}

// TestMergeCompareByOnPremUPN is what a user reported: a 2025 ADSyncTools
// CSV keyed by the on-premises UPN, given after a Graph export, created
// cloud users of the AD UPNs. Now it fills the users whose
// onPremisesUserPrincipalName it names, and adds nobody.
func TestMergeCompareByOnPremUPN(t *testing.T) {
	graph, compare := mustRead(t, "graph-nonroutable.json"), mustRead(t, "adsynctools-compare.csv")
	if compare.Format != ADSyncToolsCompareCSV {
		t.Fatalf("format %q", compare.Format)
	}
	kim, lee := graph.Users[0], graph.Users[1]
	got, err := Merge([]*Export{graph, compare})
	if err != nil {
		t.Fatal(err)
	}
	want := []pipeline.EntraUser{
		// kim@contoso.local is kim's on-premises UPN: MobileInEntra fills
		// her unknown cloud mobile (not MobileInAD), otherMobile stays
		// unknown, her cloud UPN and id stay.
		with(kim, func(u *pipeline.EntraUser) { u.MobilePhone = "+1 206 555 0141" }),
		// LEE@Contoso.com is lee's cloud UPN; Graph's mobile wins.
		lee,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("users:\n got %#v\nwant %#v", got, want)
	}
	if got[0].AlternateMobilePhones != nil {
		t.Errorf("otherMobile became known: %q", got[0].AlternateMobilePhones)
	}
	if compare.Unmatched != 2 || !reflect.DeepEqual(compare.UnmatchedUPNs, []string{"ghost@contoso.local", "max@contoso.local"}) {
		t.Errorf("unmatched %d %q", compare.Unmatched, compare.UnmatchedUPNs)
	}
}

// TestExtractCompareSecondary runs the stage on the reported case and
// checks the table and the manifest's detail.
func TestExtractCompareSecondary(t *testing.T) {
	snap := t.TempDir()
	sum, rec, err := Stage.Run(context.Background(), pipeline.NewRunner(snap), Config{
		Exports: []string{filepath.Join("testdata", "graph-nonroutable.json"), filepath.Join("testdata", "adsynctools-compare.csv")}})
	if err != nil {
		t.Fatal(err)
	}
	users, err := pipeline.ReadRows[pipeline.EntraUser](filepath.Join(snap, pipeline.FileName(pipeline.EntraUsersTable)))
	if err != nil {
		t.Fatal(err)
	}
	var upns []string
	for _, u := range users {
		upns = append(upns, u.UPN)
	}
	if want := []string{"kim@contoso.onmicrosoft.com", "lee@contoso.com"}; !reflect.DeepEqual(upns, want) {
		t.Errorf("entra_users UPNs %q, want %q", upns, want)
	}
	if sum.Unmatched != 2 || sum.UnmatchedExamples != "ghost@contoso.local, max@contoso.local" ||
		sum.Formats != "graph-pages, adsynctools-compare-csv" || sum.WeakEvidence {
		t.Errorf("summary %+v", sum)
	}
	if rec.Detail["secondary_unmatched"] != "2" || rec.Detail["secondary_unmatched_examples"] != "ghost@contoso.local, max@contoso.local" ||
		rec.Detail["formats"] != "graph-pages, adsynctools-compare-csv" {
		t.Errorf("manifest detail %q", rec.Detail)
	}
}

func TestMergeComparePrimary(t *testing.T) {
	compare, graph := mustRead(t, "adsynctools-compare.csv"), mustRead(t, "graph-nonroutable.json")
	_, err := Merge([]*Export{compare, graph})
	if !errors.Is(err, ErrNotPrimary) || !strings.Contains(err.Error(), "use it after a Graph export") ||
		!strings.HasPrefix(err.Error(), filepath.Join("testdata", "adsynctools-compare.csv")+": adsynctools-compare-csv") {
		t.Errorf("Merge: %v", err)
	}
	// ReadExports says so before it reads the next path (which here does
	// not exist).
	_, err = ReadExports(context.Background(), []string{filepath.Join("testdata", "adsynctools-compare.csv"), "testdata/nope.json"})
	if !errors.Is(err, ErrNotPrimary) {
		t.Errorf("ReadExports: %v", err)
	}
	// Second, it is welcome; so is the MSOnline-era ADSyncTools CSV first.
	if _, err := ReadExports(context.Background(), []string{filepath.Join("testdata", "graph-nonroutable.json"),
		filepath.Join("testdata", "adsynctools-compare.csv")}); err != nil {
		t.Errorf("compare CSV second: %v", err)
	}
	if _, err := Merge([]*Export{mustRead(t, "adsynctools.csv")}); err != nil {
		t.Errorf("MSOnline-era ADSyncTools CSV first: %v", err)
	}
}

func utf16LE(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, r := range utf16.Encode([]rune(s)) {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

func TestDetectCompareCSV(t *testing.T) {
	kim := []pipeline.EntraUser{{ID: "upn:kim@contoso.local", UPN: "kim@contoso.local", MobilePhone: "+1 206 555 0141",
		OnPremisesSyncEnabled: yes, Origin: "x.csv:3"}}
	tests := []struct {
		name  string
		data  []byte
		want  Format
		users []pipeline.EntraUser
		err   string
	}{{
		name: "Windows PowerShell 5.1 Export-Csv -Encoding UTF8: BOM, #TYPE, all quoted, CRLF",
		data: []byte("\xEF\xBB\xBF#TYPE System.Management.Automation.PSCustomObject\r\n" +
			`"UserPrincipalName","MobileInAD","MobileInEntra"` + "\r\n" +
			`"kim@contoso.local","+1 206 555 0140","+1 206 555 0141"` + "\r\n"),
		want: ADSyncToolsCompareCSV, users: kim,
	}, {
		name: "PowerShell 7, headers in another case, no quotes, no #TYPE",
		data: []byte("userprincipalname,MOBILEINAD,mobileInEntra\nupn@x,,\nkim@contoso.local,+1 206 555 0140,+1 206 555 0141\n"),
		want: ADSyncToolsCompareCSV,
		users: []pipeline.EntraUser{{ID: "upn:upn@x", UPN: "upn@x", OnPremisesSyncEnabled: yes, Origin: "x.csv:2"},
			with(kim[0], func(u *pipeline.EntraUser) { u.Origin = "x.csv:3" })},
	}, {
		name: "UTF-16 with -UseCulture semicolons",
		data: utf16LE("#TYPE System.Management.Automation.PSCustomObject\r\n\"UserPrincipalName\";\"MobileInAD\";\"MobileInEntra\"\r\n" +
			"\"kim@contoso.local\";\"+1 206 555 0140\";\"+1 206 555 0141\"\r\n"),
		want: ADSyncToolsCompareCSV, users: kim,
	}, {
		name: "the MSOnline-era CSV, which compares otherMobile, stays adsynctools-csv",
		data: []byte(`"UserPrincipalName","MobileInAD","MobileInAAD","OtherMobileInAD","AlternateMobilePhonesInAAD"` + "\n" +
			`"kim@contoso.local","+1 206 555 0140","+1 206 555 0141","",""` + "\n"),
		want: ADSyncToolsCSV, users: []pipeline.EntraUser{with(kim[0], func(u *pipeline.EntraUser) {
			u.AlternateMobilePhones, u.Origin = []string{}, "x.csv:2"
		})},
	}, {
		name: "without its Entra side the file says nothing of the cloud",
		data: []byte("UserPrincipalName,MobileInAD\nkim@contoso.local,+1 206 555 0140\n"),
		err:  "x.csv:1: adsynctools-compare-csv: missing required column(s) MobileInEntra",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.csv")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			e, err := ReadExport(path)
			if tt.err != "" {
				if err == nil || !strings.HasSuffix(err.Error(), tt.err) {
					t.Fatalf("err = %v, want …%s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Format != tt.want {
				t.Errorf("format %q, want %q", e.Format, tt.want)
			}
			if !reflect.DeepEqual(e.Users, tt.users) {
				t.Errorf("users:\n got %#v\nwant %#v", e.Users, tt.users)
			}
		})
	}
}

func TestSummaryUnmatched(t *testing.T) {
	primary := &Export{Path: "graph", Format: GraphPages, Users: []pipeline.EntraUser{ann, bob}}
	msol := &Export{Path: "msol.csv", Format: MSOnlineCSV, Users: []pipeline.EntraUser{
		{ID: "z1", UPN: "new1@contoso.com"}, {ID: "a", UPN: "ann@contoso.com"}, {ID: "z2", UPN: "new2@contoso.com"},
		{ID: "z3", UPN: "new3@contoso.com"}, {ID: "z4", UPN: "new4@contoso.com"}}}
	compare := &Export{Path: "compare.csv", Format: ADSyncToolsCompareCSV, Users: []pipeline.EntraUser{
		byUPN("bob@contoso.local", nil), byUPN("ghost1@contoso.local", nil), byUPN("ghost2@contoso.local", nil)}}
	set := &ExportSet{}
	for _, e := range []*Export{primary, msol, compare} {
		set.Add(e)
	}
	if s := set.Summary(); s.Unmatched != 0 || s.UnmatchedExamples != "" {
		t.Errorf("before Merge: %+v", s)
	}

	var log bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	_, err := Merge(set.Exports)
	slog.SetDefault(old)
	if err != nil {
		t.Fatal(err)
	}

	s := set.Summary()
	want := pipeline.EntraSummary{Formats: "graph-pages, msonline-csv, adsynctools-compare-csv",
		Detected: set.Summary().Detected, Unmatched: 6,
		UnmatchedExamples: "new1@contoso.com, new2@contoso.com, new3@contoso.com, new4@contoso.com, ghost1@contoso.local"}
	if s != want {
		t.Errorf("summary\n got %+v\nwant %+v", s, want)
	}
	p, err := pipeline.EncodeParams(s)
	if err != nil {
		t.Fatal(err)
	}
	if p["secondary_unmatched"] != "6" || p["secondary_unmatched_examples"] != want.UnmatchedExamples ||
		p["formats"] != want.Formats || p["detected"] == "" {
		t.Errorf("manifest detail %q", p)
	}
	if p, _ := pipeline.EncodeParams(pipeline.EntraSummary{Formats: "graph-pages"}); len(p) != 2 {
		t.Errorf("nothing unmatched should record nothing: %q", p)
	}

	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "level=WARN") ||
		!strings.Contains(lines[0], "export=msol.csv") || !strings.Contains(lines[0], "unmatched=4") ||
		!strings.Contains(lines[0], `examples="new1@contoso.com, new2@contoso.com, new3@contoso.com, new4@contoso.com"`) ||
		!strings.Contains(lines[1], "export=compare.csv") || !strings.Contains(lines[1], "unmatched=2") {
		t.Errorf("log:\n%s", log.String())
	}
}

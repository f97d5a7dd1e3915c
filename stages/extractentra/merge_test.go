package extractentra

import (
	"cmp"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"syncgap/pipeline"
)

func mustRead(t *testing.T, name string) *Export {
	t.Helper()
	e, err := ReadExport(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name    string
		exports []string
		want    []pipeline.EntraUser // sorted by id
	}{{
		// Before secondary exports only filled, the three users only
		// msonline.csv has (nestor, lines, pipes) were added; now they are
		// counted as unmatched (TestMergeSecondary checks the counts).
		name:    "Graph export plus MSOnline CSV adds AlternateMobilePhones, then ADSyncTools by UPN",
		exports: []string{"graph-page.json", "msonline.csv", "adsynctools.csv"},
		want: []pipeline.EntraUser{{
			// in all three: Graph's values win, MSOnline adds the alternates,
			// ADSyncTools' conflicting mobile (+1 425 555 0999) is ignored
			ID: "6e7b768e-07e2-4810-8459-485f84f8f204", UPN: "adele@contoso.com", MobilePhone: "+1 425 555 0109",
			AlternateMobilePhones: []string{"+1 425 555 0201", "+1 425 555 0202"},
			BusinessPhones:        []string{"+1 425 555 0100"}, UsageLocation: "US", OnPremisesSyncEnabled: yes,
			OnPremisesImmutableID: "jsKX0+ciukSdcDkUEq9tVA==", OnPremisesUPN: "adele@contoso.local",
			OnPremisesSamAccountName: "adele", OnPremisesDN: "CN=Adele Vance,OU=Staff,DC=contoso,DC=local",
			OnPremisesLastSync: synced, AccountEnabled: yes, Origin: "graph-page.json:4",
		}, {
			// Graph knows it is disabled and has no mobile; MSOnline adds a known-empty alternate list
			ID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", UPN: "Megan@Contoso.com", AlternateMobilePhones: []string{},
			BusinessPhones: []string{}, AccountEnabled: no, Origin: "graph-page.json:19",
		}},
	}, {
		// The 2025 Compare CSV (adsynctools-entra.csv) used to be the
		// primary here; it is refused first now (TestMergeComparePrimary).
		// The MSOnline-era ADSyncTools CSV still may be.
		name:    "ADSyncTools (MSOnline era) first: a later real id replaces the UPN id",
		exports: []string{"adsynctools.csv", "admin-center-nosync.csv"},
		want: []pipeline.EntraUser{{
			ID: "6e7b768e-07e2-4810-8459-485f84f8f204", UPN: "adele@contoso.com", MobilePhone: "+1 425 555 0999",
			AlternateMobilePhones: []string{"+1 425 555 0998"}, UsageLocation: "US", OnPremisesSyncEnabled: yes,
			AccountEnabled: yes, Origin: "adsynctools.csv:2",
		}, {
			ID: "upn:nestor@contoso.com", UPN: "Nestor@Contoso.com", MobilePhone: "+44 20 7946 0000",
			AlternateMobilePhones: []string{}, OnPremisesSyncEnabled: yes, Origin: "adsynctools.csv:3",
		}},
	}, {
		name:    "one export is only sorted",
		exports: []string{"graph-concat.json"},
		want:    mustRead(t, "graph-concat.json").Users,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var exports []*Export
			for _, name := range tt.exports {
				exports = append(exports, mustRead(t, name))
			}
			got, err := Merge(exports)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d users, want %d: %#v", len(got), len(tt.want), got)
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], tt.want[i]) {
					t.Errorf("user %d:\n got %#v\nwant %#v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestMergeErrors(t *testing.T) {
	if _, err := Merge(nil); err == nil {
		t.Error("Merge(nil): no error")
	}
	if _, err := Merge([]*Export{{}, nil}); err == nil {
		t.Error("Merge with a nil export: no error")
	}
}

func TestSortByID(t *testing.T) {
	ids := []string{"d", "a", "c", "b", "e", "a"}
	var users []pipeline.EntraUser
	for i, id := range ids {
		users = append(users, pipeline.EntraUser{ID: id, UPN: string(rune('z' - i))})
	}
	sortByID(users)
	var got []string
	for _, u := range users {
		got = append(got, u.ID+u.UPN)
	}
	want := []string{"au", "ay", "bw", "cx", "dz", "ev"} // equal ids ordered by UPN
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sorted %q, want %q", got, want)
	}
}

// TestSortByIDPrefixes checks the sort against a stable sort by the full
// strings on ids built to defeat its 8-byte prefix keys: shared prefixes,
// ids shorter than 8 bytes, zero bytes where the padding goes, and
// repeats (ordered by UPN, then input order).
func TestSortByIDPrefixes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{"", "a", "ab", "abcdefgh", "abcdefg\x00", "abcdefgh0", "abcdefgh1", "\x00", "z", "abc"}
	var users []pipeline.EntraUser
	for i := range 5000 {
		id := parts[rng.IntN(len(parts))] + parts[rng.IntN(len(parts))]
		users = append(users, pipeline.EntraUser{ID: id, UPN: parts[rng.IntN(3)], Origin: strconv.Itoa(i)})
	}
	want := slices.Clone(users)
	slices.SortStableFunc(want, func(a, b pipeline.EntraUser) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), strings.Compare(a.UPN, b.UPN))
	})
	sortByID(users)
	if !reflect.DeepEqual(users, want) {
		t.Error("sortByID differs from a stable sort by id and UPN")
	}
}

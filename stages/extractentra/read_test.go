package extractentra

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"syncgap/pipeline"
)

var (
	yes     = pipeline.Known(true)
	no      = pipeline.Known(false)
	unknown = pipeline.NullBool{}
	synced  = time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC) // /Date(1700000000000)/
)

func TestReadExportFormats(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		want  Format
		weak  bool
		files []string
		users []pipeline.EntraUser // every user, in file order
	}{{
		name: "graph page, pretty printed",
		path: "graph-page.json", want: GraphPages,
		users: []pipeline.EntraUser{{
			ID: "6e7b768e-07e2-4810-8459-485f84f8f204", UPN: "adele@contoso.com", MobilePhone: "+1 425 555 0109",
			BusinessPhones: []string{"+1 425 555 0100"}, UsageLocation: "US", OnPremisesSyncEnabled: yes,
			OnPremisesImmutableID: "jsKX0+ciukSdcDkUEq9tVA==", OnPremisesUPN: "adele@contoso.local",
			OnPremisesSamAccountName: "adele", OnPremisesDN: "CN=Adele Vance,OU=Staff,DC=contoso,DC=local",
			OnPremisesLastSync: synced, AccountEnabled: yes, Origin: "graph-page.json:4",
		}, {
			ID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", UPN: "Megan@Contoso.com", BusinessPhones: []string{},
			AccountEnabled: no, Origin: "graph-page.json:19",
		}},
	}, {
		name: "graph pages concatenated",
		path: "graph-concat.json", want: GraphPages,
		users: []pipeline.EntraUser{
			{ID: "00000000-0000-0000-0000-000000000001", UPN: "u1@contoso.com", MobilePhone: "+44 20 7946 0001", BusinessPhones: []string{},
				OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "AQ==", Origin: "graph-concat.json:1"},
			{ID: "00000000-0000-0000-0000-000000000002", UPN: "u2@contoso.com", BusinessPhones: []string{},
				OnPremisesSyncEnabled: no, Origin: "graph-concat.json:2"},
		},
	}, {
		name: "JSON array of graph pages",
		path: "graph-array.json", want: GraphPages,
		users: []pipeline.EntraUser{
			{ID: "00000000-0000-0000-0000-000000000001", UPN: "u1@contoso.com", MobilePhone: "+44 20 7946 0001", BusinessPhones: []string{},
				OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "AQ==", Origin: "graph-array.json:5"},
			{ID: "00000000-0000-0000-0000-000000000002", UPN: "u2@contoso.com", BusinessPhones: []string{},
				OnPremisesSyncEnabled: no, Origin: "graph-array.json:19"},
		},
	}, {
		name: "page directory in natural order",
		path: "pages", want: GraphPageDir,
		files: []string{"pages/page-1.json", "pages/page-2.json", "pages/page-10.json"},
		users: []pipeline.EntraUser{pageUser(1, "page-1.json"), pageUser(2, "page-1.json"), pageUser(3, "page-2.json"),
			pageUser(4, "page-10.json"), pageUser(5, "page-10.json")},
	}, {
		name: "JSON Lines with CRLF and a blank line",
		path: "users.jsonl", want: JSONL,
		users: []pipeline.EntraUser{
			{ID: "a1b2c3d4-0000-0000-0000-000000000001", UPN: "jl1@contoso.com", MobilePhone: "0170 1234567", UsageLocation: "DE",
				OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "x1==", Origin: "users.jsonl:1"},
			{ID: "a1b2c3d4-0000-0000-0000-000000000002", UPN: "jl2@contoso.com", AlternateMobilePhones: []string{"+49 170 1111111"},
				Origin: "users.jsonl:3"},
		},
	}, {
		name: "PowerShell 7 ConvertTo-Json",
		path: "ps7.json", want: PowerShellJSON,
		users: []pipeline.EntraUser{{
			ID: "4f2b1a55-1111-4c1e-8d2b-2b5f0d0b7a01", UPN: "alexw@contoso.com", MobilePhone: "+1 425 555 0199",
			BusinessPhones: []string{"+1 425 555 0100"}, UsageLocation: "US", OnPremisesSyncEnabled: yes,
			OnPremisesImmutableID: "VGhpcyBpcyBhIHRlc3Q=", OnPremisesUPN: "alexw@contoso.local", OnPremisesSamAccountName: "alexw",
			OnPremisesDN: "CN=Alex,OU=Staff,DC=contoso,DC=local", OnPremisesLastSync: synced.Add(123456700 * time.Nanosecond),
			AccountEnabled: yes, Origin: "ps7.json:2",
		}, {
			ID: "4f2b1a55-2222-4c1e-8d2b-2b5f0d0b7a02", UPN: "cloud@contoso.onmicrosoft.com", BusinessPhones: []string{},
			OnPremisesLastSync: synced, AccountEnabled: yes, Origin: "ps7.json:20",
		}},
	}, {
		name: "Windows PowerShell 5.1 ConvertTo-Json: /Date()/, wrapped arrays, System.String[]",
		path: "ps51.json", want: PowerShellJSON,
		users: []pipeline.EntraUser{{
			ID: "9c6b3a10-0001-4d5e-9f00-aaaaaaaaaaa1", UPN: "ps51a@contoso.com", MobilePhone: "+1 425 555 0111",
			BusinessPhones: []string{"+1 425 555 0100"}, OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "Zm9vYmFy",
			OnPremisesLastSync: synced, AccountEnabled: yes, Origin: "ps51.json:2",
		}, {
			ID: "9c6b3a10-0002-4d5e-9f00-aaaaaaaaaaa2", UPN: "ps51b@contoso.com", OnPremisesSyncEnabled: yes,
			OnPremisesImmutableID: "YmFyYmF6", OnPremisesLastSync: synced, AccountEnabled: no, Origin: "ps51.json:17",
		}},
	}, {
		name: "single PowerShell object, UTF-16LE, date wrapped with DisplayHint",
		path: "ps51-single-utf16.json", want: PowerShellJSON,
		users: []pipeline.EntraUser{{
			ID: "9c6b3a10-0003-4d5e-9f00-aaaaaaaaaaa3", UPN: "Jürgen@contoso.com", MobilePhone: "+49 170 2222222",
			OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "anVlcmdlbg==", OnPremisesLastSync: synced,
			Origin: "ps51-single-utf16.json:1",
		}},
	}, {
		name: "Get-MgUser | Export-Csv: #TYPE, BOM, CRLF, System.String[], US dates",
		path: "mguser.csv", want: PowerShellCSV,
		users: []pipeline.EntraUser{{
			ID: "4f2b1a55-1111-4c1e-8d2b-2b5f0d0b7a01", UPN: "alexw@contoso.com", MobilePhone: "+1 425 555 0199",
			UsageLocation: "US", OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "VGhpcyBpcyBhIHRlc3Q=",
			OnPremisesUPN: "alexw@contoso.local", OnPremisesSamAccountName: "alexw",
			OnPremisesDN: `CN=Alex\, W,OU=Staff,DC=contoso,DC=local`, OnPremisesLastSync: synced,
			AccountEnabled: yes, Origin: "mguser.csv:3",
		}, {
			ID: "4f2b1a55-2222-4c1e-8d2b-2b5f0d0b7a02", UPN: "cloud@contoso.onmicrosoft.com", AccountEnabled: no, Origin: "mguser.csv:4",
		}, {
			ID: "4f2b1a55-3333-4c1e-8d2b-2b5f0d0b7a03", UPN: "iso@contoso.com", MobilePhone: "+1 425 555 0133", UsageLocation: "US",
			OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "aXNv", OnPremisesLastSync: synced, AccountEnabled: yes,
			Origin: "mguser.csv:5",
		}},
	}, {
		name: "admin center Download users",
		path: "admin-center.csv", want: AdminCenterCSV, weak: true,
		users: []pipeline.EntraUser{{
			ID: "6e7b768e-07e2-4810-8459-485f84f8f204", UPN: "adele@contoso.com", MobilePhone: "+1 425 555 0109",
			BusinessPhones: []string{"+1 425 555 0100"}, UsageLocation: "US", OnPremisesSyncEnabled: yes,
			AccountEnabled: yes, Origin: "admin-center.csv:2",
		}, {
			ID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", UPN: "guest_fabrikam.com#EXT#@contoso.onmicrosoft.com",
			BusinessPhones: []string{}, AccountEnabled: no, Origin: "admin-center.csv:3",
		}},
	}, {
		name: "admin center without directorySynced",
		path: "admin-center-nosync.csv", want: AdminCenterCSV, weak: true,
		users: []pipeline.EntraUser{{
			ID: "6e7b768e-07e2-4810-8459-485f84f8f204", UPN: "adele@contoso.com", MobilePhone: "+1 425 555 0109",
			UsageLocation: "US", AccountEnabled: yes, Origin: "admin-center-nosync.csv:2",
		}},
	}, {
		name: "Get-MsolUser | Export-Csv: AlternateMobilePhones every way, en-GB dates",
		path: "msonline.csv", want: MSOnlineCSV,
		users: []pipeline.EntraUser{{
			ID: "6e7b768e-07e2-4810-8459-485f84f8f204", UPN: "adele@contoso.com", MobilePhone: "+1 425 555 0109",
			AlternateMobilePhones: []string{"+1 425 555 0201", "+1 425 555 0202"}, BusinessPhones: []string{"+1 425 555 0100"},
			UsageLocation: "US", OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "jsKX0+ciukSdcDkUEq9tVA==",
			OnPremisesLastSync: synced, AccountEnabled: yes, Origin: "msonline.csv:3",
		}, {
			ID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", UPN: "megan@contoso.com", AlternateMobilePhones: []string{},
			BusinessPhones: []string{}, AccountEnabled: no, Origin: "msonline.csv:4",
		}, {
			ID: "11111111-2222-3333-4444-555555555555", UPN: "nestor@contoso.com",
			AlternateMobilePhones: []string{"+44 20 7946 0000", "+44 20 7946 0001"}, BusinessPhones: []string{},
			UsageLocation: "GB", OnPremisesSyncEnabled: yes, OnPremisesLastSync: time.Date(2023, 4, 3, 10, 0, 0, 0, time.UTC),
			Origin: "msonline.csv:5",
		}, {
			ID: "11111111-2222-3333-4444-666666666666", UPN: "lines@contoso.com",
			AlternateMobilePhones: []string{"+1 555 0101", "+1 555 0102"}, BusinessPhones: []string{}, AccountEnabled: yes,
			Origin: "msonline.csv:6",
		}, {
			ID: "11111111-2222-3333-4444-777777777777", UPN: "pipes@contoso.com",
			AlternateMobilePhones: []string{"+1 555 0103", "+1 555 0104"}, BusinessPhones: []string{},
			OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "bGluZXM=", Origin: "msonline.csv:8",
		}},
	}, {
		name: "ADSyncTools Compare-ADSyncToolsDirSyncOverrides (MSOnline era)",
		path: "adsynctools.csv", want: ADSyncToolsCSV, weak: true,
		users: []pipeline.EntraUser{{
			ID: "upn:adele@contoso.com", UPN: "adele@contoso.com", MobilePhone: "+1 425 555 0999",
			AlternateMobilePhones: []string{"+1 425 555 0998"}, OnPremisesSyncEnabled: yes, Origin: "adsynctools.csv:2",
		}, {
			ID: "upn:nestor@contoso.com", UPN: "Nestor@Contoso.com", MobilePhone: "+44 20 7946 0000",
			AlternateMobilePhones: []string{}, OnPremisesSyncEnabled: yes, Origin: "adsynctools.csv:3",
		}},
	}, {
		name: "ADSyncTools 2025 Compare CSV (Graph, mobile only): otherMobile unknown",
		path: "adsynctools-entra.csv", want: ADSyncToolsCompareCSV, weak: true,
		users: []pipeline.EntraUser{{
			ID: "upn:adele@contoso.com", UPN: "adele@contoso.com", MobilePhone: "+1 425 555 0999",
			OnPremisesSyncEnabled: yes, Origin: "adsynctools-entra.csv:2",
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("testdata", tt.path)
			e, err := ReadExport(path)
			if err != nil {
				t.Fatal(err)
			}
			if e.Format != tt.want {
				t.Errorf("format = %q, want %q", e.Format, tt.want)
			}
			if e.WeakEvidence != tt.weak {
				t.Errorf("WeakEvidence = %v, want %v", e.WeakEvidence, tt.weak)
			}
			files := []string{path}
			if tt.files != nil {
				files = nil
				for _, f := range tt.files {
					files = append(files, filepath.Join("testdata", f))
				}
			}
			if !reflect.DeepEqual(e.Files, files) {
				t.Errorf("files = %q, want %q", e.Files, files)
			}
			if len(e.Users) != len(tt.users) {
				t.Fatalf("got %d users, want %d: %+v", len(e.Users), len(tt.users), e.Users)
			}
			for i := range tt.users {
				// DeepEqual tells a nil list (not known) from an empty one.
				if got, want := e.Users[i], tt.users[i]; !reflect.DeepEqual(got, want) {
					t.Errorf("user %d:\n got %#v\nwant %#v", i, got, want)
				}
			}
		})
	}
}

// pageUser is user i of the testdata/pages directory.
func pageUser(i int, file string) pipeline.EntraUser {
	return pipeline.EntraUser{
		ID:  "00000000-0000-0000-0000-00000000000" + string(rune('0'+i)),
		UPN: "user" + string(rune('0'+i)) + "@contoso.com", MobilePhone: "+1 555 010" + string(rune('0'+i)),
		BusinessPhones: []string{}, OnPremisesSyncEnabled: yes, OnPremisesImmutableID: "id" + string(rune('0'+i)) + "==",
		Origin: file + ":1",
	}
}

func TestExportString(t *testing.T) {
	e, err := ReadExport(filepath.Join("testdata", "pages"))
	if err != nil {
		t.Fatal(err)
	}
	want := "testdata/pages: graph-page-dir (a directory of Microsoft Graph REST page files, 3 files, 5 users)"
	if got := e.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

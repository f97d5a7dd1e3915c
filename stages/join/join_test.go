package join

import (
	"testing"

	"syncgap/pipeline"
)

type pair struct {
	dn, id string
	status pipeline.MatchStatus
	method pipeline.MatchMethod
}

func collect(t *testing.T, ad []pipeline.ADUser, cloud []pipeline.EntraUser) []pair {
	t.Helper()
	var got []pair
	err := Join(ad, cloud, func(j *pipeline.Joined) error {
		got = append(got, pair{j.AD.DN, j.Entra.ID, j.MatchStatus, j.MatchMethod})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var (
	yes = pipeline.Known(true)
	no  = pipeline.Known(false)
)

func TestJoinRules(t *testing.T) {
	tests := []struct {
		name  string
		ad    []pipeline.ADUser
		cloud []pipeline.EntraUser
		want  []pair
	}{
		{
			name:  "anchor wins over a UPN that names the same user",
			ad:    []pipeline.ADUser{{DN: "a", SourceAnchor: "AAA=", UPN: "a@x.com"}},
			cloud: []pipeline.EntraUser{{ID: "1", UPN: "A@X.com ", OnPremisesImmutableID: "AAA=", OnPremisesSyncEnabled: yes}},
			want:  []pair{{"a", "1", pipeline.Matched, pipeline.ByAnchor}},
		},
		{
			name:  "anchor is case-sensitive; falls through to on-premises UPN",
			ad:    []pipeline.ADUser{{DN: "a", SourceAnchor: "AAA=", UPN: "a@corp.local"}},
			cloud: []pipeline.EntraUser{{ID: "1", UPN: "a@t.onmicrosoft.com", OnPremisesUPN: "A@corp.local", OnPremisesImmutableID: "aaa=", OnPremisesSyncEnabled: yes}},
			want:  []pair{{"a", "1", pipeline.Matched, pipeline.ByOnPremisesUPN}},
		},
		{
			name:  "UPN rule with case drift, unknown sync flag",
			ad:    []pipeline.ADUser{{DN: "a", UPN: "John.Smith@Contoso.com"}},
			cloud: []pipeline.EntraUser{{ID: "1", UPN: "john.smith@contoso.com"}},
			want:  []pair{{"a", "1", pipeline.Matched, pipeline.ByUPN}},
		},
		{
			name:  "sync flag false is cloud_only even when the UPN matches",
			ad:    []pipeline.ADUser{{DN: "a", UPN: "a@x.com"}},
			cloud: []pipeline.EntraUser{{ID: "1", UPN: "a@x.com", OnPremisesSyncEnabled: no}},
			want:  []pair{{"a", "", pipeline.ADOnly, pipeline.ByNone}, {"", "1", pipeline.CloudOnly, pipeline.ByNone}},
		},
		{
			name:  "unmatched synced cloud user is orphaned, unsynced is cloud_only",
			cloud: []pipeline.EntraUser{{ID: "1", UPN: "a@x.com", OnPremisesSyncEnabled: yes}, {ID: "2", UPN: "b@x.com"}},
			want:  []pair{{"", "1", pipeline.OrphanedSynced, pipeline.ByNone}, {"", "2", pipeline.CloudOnly, pipeline.ByNone}},
		},
		{
			name:  "two AD users with one UPN: every pair ambiguous",
			ad:    []pipeline.ADUser{{DN: "a", UPN: "dup@x.com"}, {DN: "b", UPN: "DUP@x.com"}},
			cloud: []pipeline.EntraUser{{ID: "1", UPN: "dup@x.com", OnPremisesSyncEnabled: yes}},
			want:  []pair{{"a", "1", pipeline.Ambiguous, pipeline.ByUPN}, {"b", "1", pipeline.Ambiguous, pipeline.ByUPN}},
		},
		{
			name:  "two cloud users with one anchor: both ambiguous",
			ad:    []pipeline.ADUser{{DN: "a", SourceAnchor: "AAA=", UPN: "a@x.com"}},
			cloud: []pipeline.EntraUser{{ID: "1", UPN: "a@x.com", OnPremisesImmutableID: "AAA="}, {ID: "2", UPN: "z@x.com", OnPremisesImmutableID: "AAA="}},
			want:  []pair{{"a", "1", pipeline.Ambiguous, pipeline.ByAnchor}, {"a", "2", pipeline.Ambiguous, pipeline.ByAnchor}},
		},
		{
			name: "anchor match whose UPN names another AD user",
			ad: []pipeline.ADUser{
				{DN: "a", SourceAnchor: "AAA=", UPN: "a@x.com"},
				{DN: "b", SourceAnchor: "BBB=", UPN: "b@x.com"},
			},
			cloud: []pipeline.EntraUser{{ID: "1", UPN: "b@x.com", OnPremisesImmutableID: "AAA=", OnPremisesSyncEnabled: yes}},
			want: []pair{
				{"a", "1", pipeline.AnchorConflict, pipeline.ByAnchor},
				{"b", "", pipeline.ADOnly, pipeline.ByNone},
			},
		},
		{
			name:  "UPN naming no AD user is no conflict",
			ad:    []pipeline.ADUser{{DN: "a", SourceAnchor: "AAA=", UPN: "a@corp.local"}},
			cloud: []pipeline.EntraUser{{ID: "1", UPN: "a@t.onmicrosoft.com", OnPremisesImmutableID: "AAA=", OnPremisesSyncEnabled: yes}},
			want:  []pair{{"a", "1", pipeline.Matched, pipeline.ByAnchor}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, tt.ad, tt.cloud)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows %v, want %v", len(got), got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("row %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

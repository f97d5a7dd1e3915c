package extractentra

import (
	"fmt"
	"strings"
	"testing"

	"syncgap/pipeline"
)

func TestCheckDuplicates(t *testing.T) {
	user := func(line int, id, upn string) pipeline.EntraUser {
		return pipeline.EntraUser{ID: id, UPN: upn, Origin: fmt.Sprintf("x.json:%d", line)}
	}
	tests := []struct {
		name  string
		users []pipeline.EntraUser
		want  string // "" for no error
	}{{
		name:  "unique",
		users: []pipeline.EntraUser{user(1, "a", "a@x"), user(2, "b", "b@x"), user(3, "c", "c@x")},
	}, {
		name: "the earliest duplicate in file order is reported, whatever its kind",
		users: []pipeline.EntraUser{user(1, "a", "a@x"), user(2, "b", "b@x"), user(3, "c", "c@x"),
			user(4, "d", "B@X"), user(5, "a", "e@x")},
		want: `x:4: duplicate user: userPrincipalName "B@X" was already seen at x.json:2 (a corrupted or concatenated export?)`,
	}, {
		name:  "id before UPN on the same user",
		users: []pipeline.EntraUser{user(1, "a", "a@x"), user(2, "a", "A@x")},
		want:  `x:2: duplicate user: id "a" was already seen at x.json:1 (a corrupted or concatenated export?)`,
	}, {
		name:  "the first occurrence is named, not a later repeat",
		users: []pipeline.EntraUser{user(1, "a", "a@x"), user(2, "b", "b@x"), user(3, "a", "c@x"), user(4, "a", "d@x")},
		want:  `x:3: duplicate user: id "a" was already seen at x.json:1 (a corrupted or concatenated export?)`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkDuplicates(tt.users, func(int) string { return "x" })
			if got := fmt.Sprint(err); (tt.want == "" && err != nil) || (tt.want != "" && got != tt.want) {
				t.Errorf("got %v\nwant %s", err, tt.want)
			}
		})
	}
}

// TestCheckDuplicatesMany checks a duplicate far apart in a large set,
// where the sort, not luck, must bring the two together.
func TestCheckDuplicatesMany(t *testing.T) {
	var users []pipeline.EntraUser
	for i := 0; i < 50000; i++ {
		users = append(users, pipeline.EntraUser{ID: fmt.Sprintf("%08x", i), UPN: fmt.Sprintf("u%d@x", i), Origin: fmt.Sprintf("x.json:%d", i+1)})
	}
	if err := checkDuplicates(users, func(int) string { return "x" }); err != nil {
		t.Fatal(err)
	}
	users[40000].UPN = "U17@X"
	err := checkDuplicates(users, func(int) string { return "x" })
	if err == nil || !strings.Contains(err.Error(), "x:40001: ") || !strings.Contains(err.Error(), "seen at x.json:18") {
		t.Errorf("got %v", err)
	}
}

func TestLookupField(t *testing.T) {
	for key, want := range map[string]field{
		"id": fID, "Id": fID, "ID": fID, "userPrincipalName": fUPN, "UserPrincipalName": fUPN, "USERPRINCIPALNAME": fUPN,
		"onpremisessyncenabled": fSync, "OnPremisesImmutableId": fImmutable, "alternateMobilePhones": fAlt,
		"value": fValue, "Value": fValue, "displayName": fUnknown, "i": fUnknown, "": fUnknown,
		"onPremisesSyncEnabledX": fUnknown, "valuex": fUnknown, strings.Repeat("x", 100): fUnknown, "i\x00": fUnknown,
	} {
		if got := lookupField([]byte(key)); got != want {
			t.Errorf("lookupField(%q) = %d, want %d", key, got, want)
		}
	}
}

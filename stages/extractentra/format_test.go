package extractentra

import (
	"errors"
	"strings"
	"testing"

	"syncgap/pipeline"
)

func TestCanonicalID(t *testing.T) {
	for in, want := range map[string]string{
		"2939E7E5-7504-419F-9FEA-59BFF94A39FC": "2939e7e5-7504-419f-9fea-59bff94a39fc",
		"already-lower":                        "already-lower",
		"ÄB":                                   "Äb", // only A-Z, as every reader lowers ids
		"":                                     "",
	} {
		if got := CanonicalID(in); got != want {
			t.Errorf("CanonicalID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckDuplicatesNamesTheSource(t *testing.T) {
	users := []pipeline.EntraUser{
		{ID: "a", UPN: "x@contoso.com", Origin: "https://graph.microsoft.com/v1.0/users"},
		{ID: "b", UPN: "X@contoso.com", Origin: "https://graph.microsoft.com/v1.0/users"},
	}
	err := CheckDuplicates(users, "https://graph.microsoft.com/v1.0/users")
	if !errors.Is(err, errDuplicate) || !strings.HasPrefix(err.Error(), "https://graph.microsoft.com/v1.0/users: duplicate user: userPrincipalName") {
		t.Errorf("err = %v", err)
	}
	if err := CheckDuplicates(users[:1], "x"); err != nil {
		t.Errorf("one user: %v", err)
	}
}

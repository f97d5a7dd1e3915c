package extractad_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"

	"syncgap/fixtures/ldaptest"
	"syncgap/fixtures/samba"
	"syncgap/ldapconn"
	"syncgap/pipeline"
	"syncgap/stages/extractad"
)

// The live extract against a real Samba AD DC: every way of connecting and
// binding gives the same rows, and those rows are the users that were seeded.
func TestSambaDC(t *testing.T) {
	dc := samba.Start(t)
	seeded := dc.Seed(t, 3000, 7)
	checkSeedCoverage(t, seeded)

	ldaps := ldapconn.Config{URL: dc.LDAPSURL, CAFile: dc.CAFile, BindID: dc.AdminUPN, Password: dc.Password}
	// The administrator's first bind sets its lastLogonTimestamp, which changes
	// its whenChanged: bind once before taking the reference.
	if conn, err := ldapconn.Connect(context.Background(), ldaps); err != nil {
		t.Fatal(err)
	} else {
		conn.Close()
	}
	ref, rec := extractLive(t, ldaps, 0)

	t.Run("seeded users come back", func(t *testing.T) {
		byDN := map[string]pipeline.ADUser{}
		for _, u := range ref {
			byDN[u.DN] = u
			if u.Origin != "ldaps://127.0.0.1:636" {
				t.Fatalf("origin %q", u.Origin)
			}
			if u.ObjectGUID == "" || u.WhenChanged.IsZero() || time.Since(u.WhenChanged) > time.Hour {
				t.Fatalf("%s: object_guid %q when_changed %v", u.DN, u.ObjectGUID, u.WhenChanged)
			}
		}
		for _, s := range seeded {
			u, ok := byDN[s.DN]
			if !ok {
				t.Fatalf("seeded %q not extracted", s.DN)
			}
			other := s.OtherMobile
			if other == nil {
				other = []string{}
			}
			if u.SamAccountName != s.SamAccountName || u.UPN != s.UPN || u.Mobile != s.Mobile || u.Country != s.Country ||
				!reflect.DeepEqual(u.OtherMobile, other) || u.Enabled != pipeline.Known(s.Enabled) {
				t.Fatalf("%s: extracted %+v, seeded %+v", s.DN, short(u), s)
			}
			if s.ConsistencyGUID != nil {
				if want := base64.StdEncoding.EncodeToString(s.ConsistencyGUID); u.SourceAnchor != want || u.ConsistencyGUID == "" {
					t.Fatalf("%s: source_anchor %q consistency_guid %q, want anchor %q", s.DN, u.SourceAnchor, u.ConsistencyGUID, want)
				}
			} else if u.ConsistencyGUID != "" || u.SourceAnchor == "" {
				t.Fatalf("%s: consistency_guid %q source_anchor %q", s.DN, u.ConsistencyGUID, u.SourceAnchor)
			}
		}
		// Besides the seeded users there are only the accounts provisioning made.
		for _, u := range ref {
			if _, seededUser := findSeeded(seeded, u.DN); !seededUser && !strings.HasSuffix(u.DN, ",CN=Users,"+dc.BaseDN) {
				t.Errorf("unexpected user %s", u.DN)
			}
		}
		if extra := len(ref) - len(seeded); extra < 3 || extra > 6 {
			t.Errorf("%d users beyond the %d seeded", extra, len(seeded))
		}
	})

	t.Run("ldapsearch paged output without -LLL reads as the live search", func(t *testing.T) {
		if _, err := exec.LookPath("ldapsearch"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("ldapsearch not installed (Debian package ldap-utils; make test installs it)")
			}
			t.Skip("ldapsearch (ldap-utils) is not installed")
		}
		for _, mode := range []string{"", "-L", "-LL"} {
			export := filepath.Join(t.TempDir(), "ad"+mode+".ldif")
			f, err := os.Create(export)
			if err != nil {
				t.Fatal(err)
			}
			// Pages of 500: the seeded users make several page breaks.
			args := []string{"-x", "-H", dc.LDAPSURL, "-D", dc.AdminUPN, "-y", filepath.Join(dc.Dir, "admin.pass"),
				"-b", dc.BaseDN, "-E", "pr=500/noprompt", extractad.DefaultFilter,
				"userPrincipalName", "sAMAccountName", "mobile", "otherMobile", "c", "userAccountControl",
				"whenChanged", "objectGUID", "mS-DS-ConsistencyGuid"}
			if mode != "" {
				args = append([]string{mode}, args...)
			}
			cmd := exec.Command("ldapsearch", args...)
			cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+dc.CAFile)
			var stderr strings.Builder
			cmd.Stdout, cmd.Stderr = f, &stderr
			err = cmd.Run()
			f.Close()
			if err != nil {
				t.Fatalf("ldapsearch %s: %v\n%s", mode, err, stderr.String())
			}
			if b, _ := os.ReadFile(export); strings.Count(string(b), "pagedresults: estimate=") < 3 {
				t.Fatalf("ldapsearch %s: fewer than three page breaks", mode)
			}
			dir := t.TempDir()
			if _, _, err := extractad.LDIFStage.Run(context.Background(), pipeline.NewRunner(dir), extractad.LDIFConfig{LDIF: export}); err != nil {
				t.Fatalf("ldapsearch %s: %v", mode, err)
			}
			rows, err := pipeline.ReadRows[pipeline.ADUser](filepath.Join(dir, pipeline.FileName(pipeline.ADUsersTable)))
			if err != nil {
				t.Fatal(err)
			}
			ldaptest.SameUsers(t, rows, ref)
		}
	})

	t.Run("continuation references are skipped", func(t *testing.T) {
		// Samba refers a subtree search of the domain to its Configuration partition.
		if n, _ := strconv.Atoi(rec.Detail["referrals_skipped"]); n < 1 {
			t.Errorf("detail %v", rec.Detail)
		}
	})

	for _, tc := range []struct {
		name      string
		cfg       ldapconn.Config
		pageSize  int
		wantPages int
	}{
		{"StartTLS, simple bind by DN, pages of 7", ldapconn.Config{URL: dc.URL, StartTLS: true, CAFile: dc.CAFile,
			BindID: dc.AdminDN, Password: dc.Password}, 7, (len(ref) + 6) / 7},
		{"NTLM over plain LDAP", ldapconn.Config{URL: dc.URL, BindID: dc.AdminNTLM, Password: dc.Password}, 0, 0},
		{"NTLM over ldaps", ldapconn.Config{URL: dc.LDAPSURL, CAFile: dc.CAFile, BindID: dc.AdminNTLM, Password: dc.Password}, 0, 0},
		{"NTLM after StartTLS", ldapconn.Config{URL: dc.URL, StartTLS: true, CAFile: dc.CAFile, BindID: dc.AdminNTLM, Password: dc.Password}, 0, 0},
		{"plaintext simple bind when allowed", ldapconn.Config{URL: dc.URL, BindID: dc.AdminUPN, Password: dc.Password,
			AllowPlaintextBind: true}, 0, 0},
		{"ldaps without verifying the certificate", ldapconn.Config{URL: dc.LDAPSURL, InsecureSkipVerify: true,
			BindID: dc.AdminUPN, Password: dc.Password}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rec := extractLive(t, tc.cfg, tc.pageSize)
			ldaptest.SameUsers(t, got, ref)
			if tc.wantPages > 0 && rec.Detail["pages"] != strconv.Itoa(tc.wantPages) {
				t.Errorf("pages %s, want %d", rec.Detail["pages"], tc.wantPages)
			}
			if got[0].Origin != tc.cfg.Server() {
				t.Errorf("origin %q", got[0].Origin)
			}
		})
	}

	t.Run("ranged values completed by a real server", func(t *testing.T) {
		// Samba returns all values at once unless asked for a range; ask
		// for the first one as AD would send it, and let the client fetch the rest.
		big := seeded[len(seeded)-1]
		conn, err := ldapconn.Connect(context.Background(), ldaps)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		res, err := conn.Search(ldap.NewSearchRequest(big.DN, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
			"(objectClass=*)", []string{"otherMobile;range=0-1499"}, nil))
		if err != nil || len(res.Entries) != 1 {
			t.Fatalf("search: %v", err)
		}
		le := res.Entries[0]
		if len(le.Attributes) != 1 || le.Attributes[0].Name != "otherMobile;range=0-1499" {
			t.Fatalf("first range: %v", le.Attributes)
		}
		var stats extractad.LDAPStats
		if err := extractad.FetchRanges(context.Background(), conn, le, time.Minute, &stats); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range le.Attributes {
			got = append(got, a.Values...)
		}
		if stats.RangeRequests != 1 || !reflect.DeepEqual(got, big.OtherMobile) {
			t.Errorf("%d range requests, %d values (%v…), want %d", stats.RangeRequests, len(got), got[:min(3, len(got))], len(big.OtherMobile))
		}
	})

	t.Run("plaintext simple bind refused", func(t *testing.T) {
		_, err := ldapconn.Connect(context.Background(), ldapconn.Config{URL: dc.URL, BindID: dc.AdminUPN, Password: dc.Password})
		if !errors.Is(err, ldapconn.ErrPlaintextBind) {
			t.Errorf("error %v", err)
		}
	})

	t.Run("anonymous search refused with a hint", func(t *testing.T) {
		src := extractad.LDAPSource{Conn: ldapconn.Config{URL: dc.LDAPSURL, CAFile: dc.CAFile}, Query: extractad.LDAPQuery{Base: dc.BaseDN}}
		_, _, err := pipeline.NewRunner(t.TempDir()).Run(context.Background(), extractad.LDAPStage.With(src))
		if err == nil || !strings.Contains(err.Error(), "without a bind") || !strings.Contains(err.Error(), "give a bind identity") {
			t.Errorf("error %v", err)
		}
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		_, err := ldapconn.Connect(context.Background(), ldapconn.Config{URL: dc.LDAPSURL, BindID: dc.AdminUPN, Password: dc.Password})
		if err == nil || !strings.Contains(err.Error(), "certificate") || !strings.Contains(err.Error(), dc.LDAPSURL) {
			t.Errorf("error %v", err)
		}
	})

	// Last: a failed bind is the one thing here that could touch the directory.
	for _, id := range []string{dc.AdminUPN, dc.AdminDN, dc.AdminNTLM} {
		t.Run("wrong password for "+id, func(t *testing.T) {
			wrong := "Wrong-" + dc.Password
			_, err := ldapconn.Connect(context.Background(), ldapconn.Config{URL: dc.LDAPSURL, CAFile: dc.CAFile, BindID: id, Password: wrong})
			if !errors.Is(err, ldapconn.ErrInvalidCredentials) {
				t.Fatalf("error %v", err)
			}
			if want := "invalid credentials for " + id + " at " + dc.LDAPSURL; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start %q", err, want)
			}
			if strings.Contains(err.Error(), dc.Password) {
				t.Errorf("error holds the password: %q", err)
			}
		})
	}
}

// extractLive runs the live stage into a new snapshot and reads the table back.
func extractLive(t *testing.T, cfg ldapconn.Config, pageSize int) ([]pipeline.ADUser, *pipeline.StageRecord) {
	t.Helper()
	src := extractad.LDAPSource{Conn: cfg, Query: extractad.LDAPQuery{Base: samba.BaseDN, PageSize: pageSize}}
	dir := t.TempDir()
	rec, _, err := pipeline.NewRunner(dir).Run(context.Background(), extractad.LDAPStage.With(src))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := pipeline.ReadRows[pipeline.ADUser](filepath.Join(dir, pipeline.FileName(pipeline.ADUsersTable)))
	if err != nil {
		t.Fatal(err)
	}
	return rows, rec
}

// short abbreviates a row whose otherMobile list is long.
func short(u pipeline.ADUser) pipeline.ADUser {
	if len(u.OtherMobile) > 5 {
		u.OtherMobile = append(u.OtherMobile[:5:5], "…"+strconv.Itoa(len(u.OtherMobile)))
	}
	return u
}

func findSeeded(seeded []samba.SeedUser, dn string) (samba.SeedUser, bool) {
	for _, s := range seeded {
		if s.DN == dn {
			return s, true
		}
	}
	return samba.SeedUser{}, false
}

// checkSeedCoverage makes sure the seed has what the issue asks the tests
// to cover, so a change to the generator cannot quietly thin them out.
func checkSeedCoverage(t *testing.T, seeded []samba.SeedUser) {
	t.Helper()
	var disabled, guid, utf8Name, deep, multi, big int
	for _, s := range seeded {
		if !s.Enabled {
			disabled++
		}
		if s.ConsistencyGUID != nil {
			guid++
		}
		if utf8.RuneCountInString(s.DN) != len(s.DN) {
			utf8Name++
		}
		if strings.Count(s.DN, "OU=") >= 3 {
			deep++
		}
		if len(s.OtherMobile) >= 2 {
			multi++
		}
		if len(s.OtherMobile) > 1500 {
			big++
		}
	}
	if len(seeded) < 3000 || disabled == 0 || guid == 0 || utf8Name == 0 || deep == 0 || multi == 0 || big != 1 {
		t.Fatalf("seed lacks coverage: %d users, %d disabled, %d with consistency GUID, %d UTF-8 names, %d three OUs deep, %d with several otherMobile, %d with >1500",
			len(seeded), disabled, guid, utf8Name, deep, multi, big)
	}
}

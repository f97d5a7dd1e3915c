package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syncgap/fixtures/ldaptest"
	"syncgap/fixtures/samba"
	"syncgap/ldapconn"
	"syncgap/pipeline"
	"syncgap/stages/extractad"
)

// ldapRun is one run of the binary against the DC, kept for the password check.
type ldapRun struct {
	args           []string
	stdout, stderr string
	code           int
}

// The live extract as a user runs it, against a real Samba AD DC.
func TestLiveLDAP(t *testing.T) {
	dc := samba.Start(t)
	seeded := dc.Seed(t, 2000, 3)
	// The administrator's first bind changes its whenChanged; take it before comparing tables.
	if conn, err := ldapconn.Connect(context.Background(), ldapconn.Config{URL: dc.LDAPSURL, CAFile: dc.CAFile,
		BindID: dc.AdminUPN, Password: dc.Password}); err != nil {
		t.Fatal(err)
	} else {
		conn.Close()
	}
	work := t.TempDir()
	pwFile := filepath.Join(work, "pw")
	if err := os.WriteFile(pwFile, []byte(dc.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"SG_TEST_PW=" + dc.Password, "SG_WRONG_PW=Wrong-" + dc.Password}
	var runs []ldapRun
	run := func(t *testing.T, args ...string) ldapRun {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		r := ldapRun{args: args, stdout: o.String(), stderr: e.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
		return r
	}
	mustRun := func(t *testing.T, args ...string) ldapRun {
		t.Helper()
		r := run(t, args...)
		if r.code != 0 {
			t.Fatalf("syncgap %v: exit %d\n%s", args, r.code, r.stderr)
		}
		return r
	}
	live := []string{"--base", dc.BaseDN, "--bind-dn", dc.AdminUPN, "--password-env", "SG_TEST_PW"}
	snap := func(name string) string { return filepath.Join(work, name) }

	var liveRows []pipeline.ADUser
	t.Run("live table equals the LDIF path on an ldapsearch export", func(t *testing.T) {
		export := filepath.Join(work, "ad.ldif")
		ldapsearch(t, dc, export)
		mustRun(t, "extract-ad", "--ldif", export, "--out", snap("from-ldif"))
		mustRun(t, append([]string{"extract-ad", "--ldap", "ldaps://127.0.0.1", "--ca-file", dc.CAFile, "--out", snap("from-ldap")}, live...)...)
		fromLDIF := adUsers(t, snap("from-ldif"))
		liveRows = adUsers(t, snap("from-ldap"))
		if len(liveRows) < len(seeded) {
			t.Fatalf("%d rows for %d seeded users", len(liveRows), len(seeded))
		}
		for i := range liveRows {
			if liveRows[i].Origin != "ldaps://127.0.0.1:636" || !strings.HasPrefix(fromLDIF[i].Origin, "ad.ldif:") {
				t.Fatalf("origins %q and %q", liveRows[i].Origin, fromLDIF[i].Origin)
			}
		}
		ldaptest.SameUsers(t, liveRows, fromLDIF)
		var big bool
		for _, u := range liveRows {
			big = big || len(u.OtherMobile) == samba.BigUserValues
		}
		if !big {
			t.Error("the user with 2,000 otherMobile values is missing or cut short")
		}
	})

	t.Run("StartTLS, NTLM bind, password file, small pages", func(t *testing.T) {
		mustRun(t, "extract-ad", "--ldap", dc.URL, "--starttls", "--ca-file", dc.CAFile, "--base", dc.BaseDN,
			"--bind-dn", dc.AdminNTLM, "--password-file", pwFile, "--page-size", "7", "--out", snap("ntlm"))
		ldaptest.SameUsers(t, adUsers(t, snap("ntlm")), liveRows)
		m, err := pipeline.LoadManifest(snap("ntlm"))
		if err != nil {
			t.Fatal(err)
		}
		p := m.Stage("extract-ad").Parameters
		if p["bind_method"] != "ntlm" || p["tls"] != "starttls" || p["page_size"] != "7" || p["bind"] != dc.AdminNTLM || p["ldap"] != dc.URL {
			t.Errorf("parameters %v", p)
		}
	})

	t.Run("audit with a live AD", func(t *testing.T) {
		d := filepath.Join(repoRoot(t), "fixtures", "demo")
		r := mustRun(t, append([]string{"audit", "--ldap", dc.LDAPSURL, "--ca-file", dc.CAFile, "--export", filepath.Join(d, "graph"),
			"--export", filepath.Join(d, "msol.csv"), "--out", snap("audit")}, live...)...)
		if got := adUsers(t, snap("audit")); len(got) != len(liveRows) {
			t.Errorf("audit extracted %d users, extract-ad %d", len(got), len(liveRows))
		}
		if !strings.Contains(r.stdout, "ad_only") {
			t.Errorf("summary:\n%s", r.stdout)
		}
	})

	t.Run("debug logging", func(t *testing.T) {
		mustRun(t, append([]string{"-v", "extract-ad", "--ldap", dc.LDAPSURL, "--ca-file", dc.CAFile, "--out", snap("verbose")}, live...)...)
	})

	failures := []struct {
		name string
		args []string
		want string
	}{
		{"plaintext simple bind refused", []string{"--ldap", dc.URL}, "--allow-plaintext-bind"},
		{"wrong password", []string{"--ldap", dc.LDAPSURL, "--ca-file", dc.CAFile, "--password-env", "SG_WRONG_PW"},
			"syncgap: error: invalid credentials for " + dc.AdminUPN + " at " + dc.LDAPSURL + " (wrong password)\n"},
		{"wrong NTLM password", []string{"--ldap", dc.URL, "--bind-dn", dc.AdminNTLM, "--password-env", "SG_WRONG_PW"},
			"syncgap: error: invalid credentials for " + dc.AdminNTLM + " at " + dc.URL},
		{"untrusted certificate", []string{"--ldap", dc.LDAPSURL}, "certificate"},
		{"no password and no terminal", []string{"--ldap", dc.LDAPSURL, "--password-env", ""}, "standard input is not a terminal"},
		{"password in the URL", []string{"--ldap", "ldaps://admin:" + dc.Password + "@127.0.0.1"}, "must not carry credentials"},
		{"both sources", []string{"--ldap", dc.LDAPSURL, "--ldif", "ad.ldif"}, "none of the others can be"},
		{"bad base", []string{"--ldap", dc.LDAPSURL, "--base", "syncgap.test"}, `search base "syncgap.test"`},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			out := snap(strings.ReplaceAll(tc.name, " ", "-"))
			// Later flags win, so the case's flags override the working ones.
			args := append(append([]string{"extract-ad", "--out", out}, live...), tc.args...)
			r := run(t, args...)
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q, want %q", r.code, r.stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(out, pipeline.FileName(pipeline.ADUsersTable))); err == nil {
				t.Error("a table was written")
			}
		})
	}

	t.Run("unreachable server", func(t *testing.T) {
		closedURL := "ldaps://" + ldaptest.ClosedAddr(t)
		silentURL := "ldaps://" + ldaptest.SilentAddr(t)
		for _, tc := range []struct{ url, want string }{
			{closedURL, "syncgap: error: connect to " + closedURL + ": dial tcp"},
			{silentURL, "syncgap: error: connect to " + silentURL + ": no answer within 1s"},
		} {
			start := time.Now()
			r := run(t, append(append([]string{"extract-ad", "--out", snap("unreachable")}, live...), "--ldap", tc.url, "--connect-timeout", "1s")...)
			if r.code == 0 || !strings.HasPrefix(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q, want a line starting %q", r.code, r.stderr, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s took %s", tc.url, d)
			}
		}
	})

	// Last, over everything the runs above printed and wrote.
	t.Run("the password appears nowhere", func(t *testing.T) {
		if len(runs) < 10 {
			t.Fatalf("only %d runs to check", len(runs))
		}
		// The wrong password contains the right one, so echoing either is caught.
		for _, r := range runs {
			if strings.Contains(r.stdout+r.stderr, dc.Password) {
				t.Errorf("syncgap %v printed the password:\n%s%s", r.args, r.stdout, r.stderr)
			}
		}
		files := 0
		filepath.WalkDir(work, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || path == pwFile {
				return err
			}
			files++
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if bytes.Contains(b, []byte(dc.Password)) {
				t.Errorf("%s holds the password", path)
			}
			return nil
		})
		if files < 10 {
			t.Errorf("only %d files checked", files)
		}
	})
}

// ldapsearch exports the domain's users with OpenLDAP's client, as the README shows.
func ldapsearch(t *testing.T, dc *samba.DC, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("ldapsearch", "-LLL", "-x", "-H", dc.LDAPSURL, "-D", dc.AdminUPN, "-y", filepath.Join(dc.Dir, "admin.pass"),
		"-b", dc.BaseDN, "-E", "pr=1000/noprompt", extractad.DefaultFilter,
		"userPrincipalName", "sAMAccountName", "mobile", "otherMobile", "c", "userAccountControl",
		"whenChanged", "objectGUID", "mS-DS-ConsistencyGuid")
	cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+dc.CAFile)
	var e bytes.Buffer
	cmd.Stdout, cmd.Stderr = f, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("ldapsearch: %v\n%s", err, e.String())
	}
}

func adUsers(t *testing.T, dir string) []pipeline.ADUser {
	t.Helper()
	rows, err := pipeline.ReadRows[pipeline.ADUser](filepath.Join(dir, pipeline.FileName(pipeline.ADUsersTable)))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/fixtures/ldaptest"
	"syncgap/fixtures/samba"
	"syncgap/fixtures/tenantgen"
	"syncgap/pipeline"
)

// Kerberos sign-in as a user runs it: the binary against a Samba DC and
// its own KDC, the DC requiring signing on plain LDAP (as AD does with LDAP
// signing required) and serving a self-signed certificate with a negative
// serial number. No password is given to syncgap anywhere.
func TestKerberosSignIn(t *testing.T) {
	dc := samba.StartWith(t, samba.Options{RequireSigning: true, NegativeSerial: true})
	seeded := dc.Seed(t, 300, 11)
	k := dc.Kerberos(t)
	work := t.TempDir()
	snap := func(name string) string { return filepath.Join(work, name) }
	var runs []ldapRun
	run := func(t *testing.T, env []string, args ...string) ldapRun {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(append(os.Environ(), k.Env()...), env...)
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
		r := run(t, nil, args...)
		if r.code != 0 {
			t.Fatalf("syncgap %v: exit %d\n%s", args, r.code, r.stderr)
		}
		return r
	}
	oneLine := func(t *testing.T, r ldapRun, want string) {
		t.Helper()
		if r.code == 0 || !strings.HasPrefix(r.stderr, "syncgap: error: "+want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("exit %d, stderr %q, want one line starting %q", r.code, r.stderr, want)
		}
	}

	t.Run("no ticket", func(t *testing.T) {
		r := run(t, nil, "extract-ad", "--ldap", "ldaps://localhost", "--kerberos", "--ca-file", dc.CAFile, "--out", snap("none"))
		oneLine(t, r, "no Kerberos ticket: the ticket cache "+k.CCache+" does not exist: run kinit user@REALM, or give --keytab FILE --bind-dn user@REALM\n")
	})
	k.Kinit(t, "")

	var rows []pipeline.ADUser
	t.Run("signed ldap://, no --base", func(t *testing.T) {
		mustRun(t, "extract-ad", "--ldap", dc.URL, "--kerberos", "--spn", dc.SPN, "--out", snap("plain"))
		rows = adUsers(t, snap("plain"))
		if len(rows) < len(seeded) {
			t.Fatalf("%d rows for %d seeded users", len(rows), len(seeded))
		}
		// Logged in the snapshot's log (the terminal shows it with -v).
		if log := readLog(t, snap("plain")); !strings.Contains(log, "search base from the rootDSE") || !strings.Contains(log, `base="`+dc.BaseDN+`"`) {
			t.Errorf("the base read from the rootDSE is not logged:\n%s", log)
		}
		m, err := pipeline.LoadManifest(snap("plain"))
		if err != nil {
			t.Fatal(err)
		}
		st := m.Stage("extract-ad")
		p, d := st.Parameters, st.Detail
		if p["bind_method"] != "kerberos" || p["bind"] != dc.AdminKrb || p["spn"] != dc.SPN || p["tls"] != "none" || p["base"] != "" {
			t.Errorf("parameters %v", p)
		}
		if d["base"] != dc.BaseDN || d["base_from_rootdse"] != "true" {
			t.Errorf("detail %v", d)
		}
	})

	t.Run("ldaps:// with --ca-file of a negative-serial certificate, the default SPN", func(t *testing.T) {
		mustRun(t, "extract-ad", "--ldap", "ldaps://localhost", "--kerberos", "--ca-file", dc.CAFile, "--base", dc.BaseDN, "--out", snap("ldaps"))
		ldaptest.SameUsers(t, adUsers(t, snap("ldaps")), rows)
		m, _ := pipeline.LoadManifest(snap("ldaps"))
		if st := m.Stage("extract-ad"); st.Parameters["base"] != dc.BaseDN || st.Detail["base_from_rootdse"] != "" {
			t.Errorf("a given --base: parameters %v, detail %v", st.Parameters, st.Detail)
		}
	})

	t.Run("StartTLS, --insecure-skip-verify, a keytab", func(t *testing.T) {
		kt := k.Keytab(t, dc.AdminKrb)
		r := run(t, []string{"KRB5CCNAME=FILE:" + snap("no-such-cache")}, "extract-ad", "--ldap", "ldap://localhost", "--starttls",
			"--insecure-skip-verify", "--kerberos", "--keytab", kt, "--bind-dn", dc.AdminKrb, "--out", snap("keytab"))
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "TLS CERTIFICATE VERIFICATION IS OFF") {
			t.Errorf("no warning:\n%s", r.stderr)
		}
		ldaptest.SameUsers(t, adUsers(t, snap("keytab")), rows)
		m, _ := pipeline.LoadManifest(snap("keytab"))
		if p := m.Stage("extract-ad").Parameters; p["keytab"] != kt || p["bind"] != dc.AdminKrb || p["tls"] != "starttls" {
			t.Errorf("parameters %v", p)
		}
	})

	t.Run("a simple bind with --ca-file of a negative-serial certificate", func(t *testing.T) {
		r := run(t, []string{"SG_KRB_TEST_PW=" + dc.Password}, "extract-ad", "--ldap", dc.LDAPSURL, "--ca-file", dc.CAFile,
			"--bind-dn", dc.AdminUPN, "--password-env", "SG_KRB_TEST_PW", "--out", snap("simple"))
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		ldaptest.SameUsers(t, adUsers(t, snap("simple")), rows)
	})

	t.Run("audit with --kerberos and no --base", func(t *testing.T) {
		d := filepath.Join(repoRoot(t), "fixtures", "demo")
		r := mustRun(t, "audit", "--ldap", "ldaps://localhost", "--ca-file", dc.CAFile, "--kerberos",
			"--export", filepath.Join(d, "graph"), "--out", snap("audit"))
		if got := adUsers(t, snap("audit")); len(got) != len(rows) || !strings.Contains(r.stdout, "ad_only") {
			t.Errorf("%d users, summary:\n%s", len(got), r.stdout)
		}
	})

	// apply and verify write and read back over a signed plain ldap:// connection.
	t.Run("apply and verify with --kerberos", func(t *testing.T) {
		tenant := snap("tenant")
		if _, err := tenantgen.Generate(tenantgen.Config{Users: 300, Seed: 11}, tenant); err != nil {
			t.Fatal(err)
		}
		s := snap("apply")
		mustRun(t, "audit", "--ldap", "ldaps://localhost", "--ca-file", dc.CAFile, "--kerberos",
			"--export", filepath.Join(tenant, "graph"), "--export", filepath.Join(tenant, "msol.csv"),
			"--tenant-features", filepath.Join(tenant, "tenant-features.json"), "--out", s)
		mustRun(t, "plan", "--snapshot", s, "--policy", "entra-wins")
		ldapArgs := []string{"--snapshot", s, "--ldap", dc.URL, "--kerberos", "--spn", dc.SPN, "--approve-all"}
		out := mustRun(t, append([]string{"apply", "--execute"}, ldapArgs...)...).stdout
		var applied, drifted, failed, skipped int
		if _, err := fmt.Sscanf(out, "Applied %d, drifted %d (left alone), failed %d, not reached %d", &applied, &drifted, &failed, &skipped); err != nil ||
			applied < 20 || drifted+failed+skipped != 0 {
			t.Fatalf("apply:\n%s", out)
		}
		out = mustRun(t, append([]string{"verify"}, ldapArgs...)...).stdout
		if !strings.HasPrefix(out, fmt.Sprintf("Verified %d actions: 0 differ", applied)) {
			t.Errorf("verify:\n%s", out)
		}
		m, _ := pipeline.LoadManifest(s)
		if p := m.Stage("apply").Parameters; p["bind"] != "kerberos" {
			t.Errorf("apply parameters %v", p)
		}
	})

	t.Run("wrong SPN", func(t *testing.T) {
		r := run(t, nil, "extract-ad", "--ldap", "ldaps://127.0.0.1", "--kerberos", "--ca-file", dc.CAFile, "--out", snap("spn"))
		oneLine(t, r, "unknown Kerberos service principal ldap/127.0.0.1: the KDC of SYNCGAP.TEST knows no such service: connect by the DC's DNS name")
	})

	t.Run("flag mistakes", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--kerberos", "--password-env", "X"}, "--kerberos signs in with a ticket, not a password: drop --password-env/--password-file\n"},
			{[]string{"--kerberos", "--password-file", "pw"}, "--kerberos signs in with a ticket, not a password"},
			{[]string{"--keytab", "kt"}, "--keytab and --spn are for --kerberos\n"},
			{[]string{"--kerberos", "--keytab", "kt"}, "--keytab needs --bind-dn user@REALM"},
			{[]string{"--kerberos", "--bind-dn", dc.AdminKrb}, "--bind-dn with --kerberos names the principal of a --keytab"},
			{[]string{"--kerberos", "--spn", "ldap"}, "service principal \"ldap\": want service/host"},
		} {
			r := run(t, nil, append([]string{"extract-ad", "--ldap", dc.LDAPSURL, "--out", snap("flags")}, tc.args...)...)
			oneLine(t, r, tc.want)
		}
	})

	// The test binary takes main.go's go:debug setting, so in-process code
	// reads the certificate as the binary does.
	t.Run("the test binary accepts a negative serial", func(t *testing.T) {
		block, _ := pem.Decode(mustReadFile(t, dc.CAFile))
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil || cert.SerialNumber.Sign() >= 0 {
			t.Errorf("%v, serial %v", err, cert)
		}
	})

	t.Run("the password appears nowhere", func(t *testing.T) {
		for _, r := range runs {
			if strings.Contains(r.stdout+r.stderr, dc.Password) {
				t.Errorf("syncgap %v printed the password", r.args)
			}
		}
		filepath.WalkDir(work, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(dc.Password)) {
				t.Errorf("%s holds the password", path)
			}
			return nil
		})
	})
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

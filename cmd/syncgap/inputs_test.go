package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// TestInputsAsGiven runs the binary on inputs as people give them: an LDIF
// whose attribute list left mobile and otherMobile out (refused, then read
// with --allow-missing-attributes), ldapsearch's paged output without
// -LLL, and an LDIF given where an Entra export belongs.
func TestInputsAsGiven(t *testing.T) {
	demo := filepath.Join(repoRoot(t), "fixtures", "demo")
	graph := filepath.Join(demo, "graph")
	work := t.TempDir()

	// The demo export as an attribute list without mobile and otherMobile
	// would have written it: those lines (and any continuation) dropped.
	data, err := os.ReadFile(filepath.Join(demo, "ad.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	dropping := false
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, " ") && dropping {
			continue
		}
		dropping = strings.HasPrefix(line, "mobile:") || strings.HasPrefix(line, "otherMobile")
		if !dropping {
			kept = append(kept, line)
		}
	}
	if len(kept) == strings.Count(string(data), "\n")+1 {
		t.Fatal("the demo LDIF has no mobile lines to drop")
	}
	noMobile := filepath.Join(work, "no-mobile.ldif")
	if err := os.WriteFile(noMobile, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}

	lastLine := func(stderr string) string {
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		return lines[len(lines)-1]
	}

	t.Run("no user has mobile or otherMobile", func(t *testing.T) {
		out := filepath.Join(work, "refused", "snap")
		_, stderr, code := syncgap(t, "audit", "--ldif", noMobile, "--export", graph, "--out", out)
		want := "syncgap: error: " + noMobile + ": none of its 290 users has mobile or otherMobile: the export's attribute list left them out; " +
			"export again with ldapsearch … userPrincipalName sAMAccountName mobile otherMobile c userAccountControl whenChanged objectGUID " +
			`mS-DS-ConsistencyGuid, or ldifde -f no-mobile.ldif -l "userPrincipalName,sAMAccountName,mobile,otherMobile,c,` +
			`userAccountControl,whenChanged,objectGUID,mS-DS-ConsistencyGuid" (or pass --allow-missing-attributes if the directory truly holds none)`
		if code != 1 || lastLine(stderr) != want {
			t.Fatalf("exit %d, last line\n%s\nwant\n%s", code, lastLine(stderr), want)
		}
		if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
			t.Errorf("left behind after a refused audit: %v", entries)
		}
	})

	t.Run("--allow-missing-attributes reads it and says so", func(t *testing.T) {
		out := filepath.Join(work, "allowed")
		if _, stderr, code := syncgap(t, "audit", "--ldif", noMobile, "--allow-missing-attributes", "--export", graph, "--out", out); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		m, err := pipeline.LoadManifest(out)
		if err != nil {
			t.Fatal(err)
		}
		rec := m.Stage("extract-ad")
		if rec.Parameters["allow_missing_attributes"] != "true" || rec.Detail["missing_attributes"] != "mobile or otherMobile" {
			t.Errorf("parameters %v, detail %v", rec.Parameters, rec.Detail)
		}
		for _, u := range adUsers(t, out) {
			if u.Mobile != "" || len(u.OtherMobile) != 0 {
				t.Fatalf("%s has AD numbers", u.DN)
			}
		}
	})

	t.Run("ldapsearch paged output without -LLL", func(t *testing.T) {
		out := filepath.Join(work, "paged")
		export := filepath.Join(repoRoot(t), "ldif", "testdata", "ldapsearch-paged.ldif")
		if _, stderr, code := syncgap(t, "extract-ad", "--ldif", export, "--out", out); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if rows := adUsers(t, out); len(rows) != 5 {
			t.Errorf("%d users, want 5", len(rows))
		}
	})

	t.Run("an LDIF given to --export", func(t *testing.T) {
		ldif := filepath.Join(demo, "ad.ldif")
		_, stderr, code := syncgap(t, "audit", "--ldif", ldif, "--export", ldif, "--out", filepath.Join(work, "swapped"))
		want := "syncgap: error: " + ldif + ":1: is an LDIF file (the AD side), not an Entra export: pass it to --ldif"
		if code != 1 || lastLine(stderr) != want {
			t.Errorf("exit %d: %s", code, lastLine(stderr))
		}
	})
}

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBadInput runs the real binary on broken inputs: each must give one
// clear line naming the file and position, a non-zero exit, and no table.
func TestBadInput(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(secret, []byte("+1 425 555 0100\n"), 0o600)
	// A good export carries the attributes extract-ad requires of an LDIF (an
	// anchor, a mobile number, a UPN), so only the bad file can fail.
	goodLDIF := "dn: CN=A,DC=x\nobjectClass: user\nuserPrincipalName: a@x.com\nsAMAccountName: a\n" +
		"objectGUID:: AAECAwQFBgcICQoLDA0ODw==\nmobile: +1 425 555 0199\n\n"
	goodPage := `{"value":[{"id":"00000000-0000-0000-0000-000000000001","userPrincipalName":"a@x.com","onPremisesSyncEnabled":true}]}`
	tests := []struct {
		name     string
		file     string // name of the bad input file
		content  string
		ldif     bool   // the bad file is the LDIF (else it is the export)
		wantPos  string // regexp of file:position in the error line
		wantText string
	}{
		{"truncated ldif", "ad.ldif", "dn: CN=A,DC=x\nobjectClass: user\nobjectGUID:: AAECAwQFBgcI", true, `ad\.ldif:3`, ""},
		{"bad base64", "ad.ldif", "dn: CN=A,DC=x\nobjectClass: user\nsAMAccountName:: !!!notbase64\n", true, `ad\.ldif:3`, "base64"},
		{"invalid utf-8", "ad.ldif", "dn: CN=A,DC=x\nobjectClass: user\nsAMAccountName: a\xff\xfeb\n", true, `ad\.ldif:3`, "UTF-8"},
		{"url value", "ad.ldif", "dn: CN=A,DC=x\nobjectClass: user\nmobile:< file://" + secret + "\n", true, `ad\.ldif:3`, ""},
		{"json cut mid-object", "page.json", `{"value":[{"id":"00000000-0000-0000-0000-000000000001",` + "\n" + `"userPrincipalName":"a@x`, false, `page\.json:2`, ""},
		{"csv missing column", "users.csv", "displayName,mobilePhone\nA,+1 425 555 0100\n", false, `users\.csv:1`, "userPrincipalName"},
		{"empty export", "empty.json", "", false, `empty\.json`, "no"},
		{"duplicate upns", "dup.jsonl", `{"id":"00000000-0000-0000-0000-000000000001","userPrincipalName":"a@x.com"}` + "\n" +
			`{"id":"00000000-0000-0000-0000-000000000002","userPrincipalName":"A@x.com"}` + "\n", false, `dup\.jsonl:2`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := t.TempDir()
			bad := filepath.Join(in, tt.file)
			os.WriteFile(bad, []byte(tt.content), 0o644)
			ldif, export := filepath.Join(in, "good.ldif"), filepath.Join(in, "good.json")
			os.WriteFile(ldif, []byte(goodLDIF), 0o644)
			os.WriteFile(export, []byte(goodPage), 0o644)
			if tt.ldif {
				ldif = bad
			} else {
				export = bad
			}
			out := filepath.Join(t.TempDir(), "snap")
			stdout, stderr, code := syncgap(t, "audit", "--ldif", ldif, "--export", export, "--out", out)
			if code == 0 {
				t.Fatalf("exit 0 on bad input\n%s", stdout)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "syncgap: error: ") || !regexp.MustCompile(tt.wantPos).MatchString(last) || !strings.Contains(last, tt.wantText) {
				t.Fatalf("error line %q does not name %s / %q", last, tt.wantPos, tt.wantText)
			}
			if strings.Contains(stderr, "+1 425 555 0100") {
				t.Fatalf("the content of a file named by :< was read: %s", stderr)
			}
			// Neither the snapshot nor its scratch directory may be left behind.
			if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
				t.Errorf("left behind after a failed audit: %v", entries)
			}
		})
	}
}

package planfile

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// payloads are directory values built to break out of an LDIF line or a
// spreadsheet cell.
var payloads = []string{
	"=cmd|' /C calc'!A0",
	"+1 206 555 0100\ndn: CN=Administrator,CN=Users,DC=contoso,DC=com\nchangetype: delete",
	" leading space",
	"trailing space ",
	": colon first",
	"< file:///etc/shadow",
	"nul\x00byte",
	"crlf\r\nreplace: userPassword",
	"Zoë Ålesund ☎",
	"-",
	"#not a comment",
}

func injectionActions() []pipeline.Action {
	var acts []pipeline.Action
	for i, v := range payloads {
		acts = append(acts, pipeline.Action{
			ActionID: "id" + string(rune('a'+i)), Kind: pipeline.KindWrite, Target: pipeline.TargetAD,
			DN: "CN=" + strings.ReplaceAll(v, "\n", " ") + ",DC=contoso,DC=com", Attribute: "otherMobile", Op: pipeline.OpReplace,
			Expected: []string{v, "+1 206 555 0101"}, Value: []string{"+1 206 555 0102", v},
			Reason: "reason quoting " + v,
		})
	}
	// Rows that must not appear: not decidable, or not for AD.
	acts = append(acts,
		pipeline.Action{ActionID: "review", Kind: pipeline.KindReview, Target: pipeline.TargetAD, DN: "CN=R", Attribute: "mobile"},
		pipeline.Action{ActionID: "record", Kind: pipeline.KindRecord, Target: pipeline.TargetEntra, DN: "CN=S", Attribute: "mobile",
			Op: pipeline.OpDelete, Expected: []string{"+1"}, Value: []string{}},
		pipeline.Action{ActionID: "tenant", Kind: pipeline.KindWrite, Target: pipeline.TargetTenant, Attribute: pipeline.BypassFeature,
			Op: pipeline.OpReplace, Value: []string{"true"}},
	)
	return acts
}

// change is one modify record as an LDIF reader sees it.
type change struct {
	DN      string
	Deletes []string
	Adds    []string
}

// parseChanges is a strict reader of the subset of RFC 2849 WriteChanges
// emits; it fails the test on any line it does not expect, so a value that
// broke out of its line shows up as a foreign line.
func parseChanges(t *testing.T, b []byte) []change {
	t.Helper()
	var out []change
	var cur *change
	var mode string
	sc := bufio.NewScanner(bytes.NewReader(b))
	value := func(line, attr string) (string, bool) {
		if v, ok := strings.CutPrefix(line, attr+":: "); ok {
			d, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatalf("bad base64 in %q: %v", line, err)
			}
			return string(d), true
		}
		if v, ok := strings.CutPrefix(line, attr+": "); ok {
			return v, true
		}
		return "", false
	}
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"), line == "version: 1" && n < 10:
		case line == "":
			cur, mode = nil, ""
		case cur == nil:
			dn, ok := value(line, "dn")
			if !ok {
				t.Fatalf("line %d: %q where a dn belongs", n, line)
			}
			out = append(out, change{DN: dn})
			cur = &out[len(out)-1]
		case line == "changetype: modify", line == "-":
			mode = ""
		case line == "delete: otherMobile":
			mode = "delete"
		case line == "add: otherMobile":
			mode = "add"
		default:
			v, ok := value(line, "otherMobile")
			if !ok || mode == "" {
				t.Fatalf("line %d: unexpected %q", n, line)
			}
			if mode == "delete" {
				cur.Deletes = append(cur.Deletes, v)
			} else {
				cur.Adds = append(cur.Adds, v)
			}
		}
	}
	return out
}

func TestWriteChangesInert(t *testing.T) {
	acts := injectionActions()
	var buf bytes.Buffer
	if _, err := WriteChanges(&buf, "header\nwith a second line\ndn: not a record", Slice(acts), func(*pipeline.Action) bool { return true }); err != nil {
		t.Fatal(err)
	}
	got := parseChanges(t, buf.Bytes())
	if len(got) != len(payloads) {
		t.Fatalf("%d records, want %d (review, record and tenant rows must not appear)", len(got), len(payloads))
	}
	for i, v := range payloads {
		want := change{DN: acts[i].DN, Deletes: []string{v, "+1 206 555 0101"}, Adds: []string{"+1 206 555 0102", v}}
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("record %d:\n got %q\nwant %q", i, got[i], want)
		}
	}
	ldapmodifyParses(t, buf.Bytes(), len(payloads))
}

// ldapmodifyParses runs OpenLDAP's ldapmodify in no-op mode (-n: parse and
// print, never connect) over the file: the real tool must accept every record.
func ldapmodifyParses(t *testing.T, ldif []byte, records int) {
	t.Helper()
	bin, err := exec.LookPath("ldapmodify")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ldapmodify not installed (Debian package ldap-utils; make test installs it)")
		}
		t.Skip("ldapmodify not installed (apt-get install ldap-utils)")
	}
	p := filepath.Join(t.TempDir(), "changes.ldif")
	if err := os.WriteFile(p, ldif, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-n", "-f", p, "-H", "ldap://127.0.0.1:1").CombinedOutput()
	if err != nil {
		t.Fatalf("ldapmodify -n: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "!modifying entry"); n != records {
		t.Errorf("ldapmodify saw %d modify records, want %d:\n%s", n, records, out)
	}
}

func TestWriteChangesKeep(t *testing.T) {
	acts := injectionActions()
	var buf bytes.Buffer
	keep := func(a *pipeline.Action) bool { return a.ActionID == "idc" }
	if _, err := WriteChanges(&buf, "h", Slice(acts), keep); err != nil {
		t.Fatal(err)
	}
	got := parseChanges(t, buf.Bytes())
	if len(got) != 1 || got[0].DN != acts[2].DN {
		t.Errorf("kept %q, want only %q", got, acts[2].DN)
	}
}

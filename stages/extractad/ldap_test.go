package extractad

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syncgap/fixtures/ldaptest"
	"syncgap/ldapconn"
	"syncgap/pipeline"
)

// wantRows runs LDIF text through the LDIF path: the rows a live extract of
// the same entries must give, but for the origin.
func wantRows(t *testing.T, ldif string) []pipeline.ADUser {
	t.Helper()
	users := newUserSort(context.Background(), t.TempDir())
	defer users.Close()
	if _, err := ReadLDIF(strings.NewReader(ldif), "want.ldif", users.add); err != nil {
		t.Fatal(err)
	}
	return rows(t, users)
}

// rows are the collected users in table order.
func rows(t *testing.T, users *userSort) []pipeline.ADUser {
	t.Helper()
	var out []pipeline.ADUser
	if err := users.Sorted(context.Background(), func(u *pipeline.ADUser) error {
		out = append(out, *u)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameRows compares every column but origin, and checks the live origin.
func sameRows(t *testing.T, got, want []pipeline.ADUser, origin string) {
	t.Helper()
	for i := range got {
		if got[i].Origin != origin {
			t.Fatalf("row %d origin %q, want %q", i, got[i].Origin, origin)
		}
	}
	ldaptest.SameUsers(t, got, want)
}

func TestLDAPPagingAsAD(t *testing.T) {
	entries, ldif := fakeUsers(2500, -1, 0)
	want := wantRows(t, ldif)
	for _, tc := range []struct {
		name      string
		pageSize  int
		wantPages int
	}{
		{"default page size", 0, 3},
		{"asks for more than AD's 1000 a page", 5000, 3},
		{"small pages", 7, 358},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeAD(t, entries).start()
			src := LDAPSource{Conn: s.config(), Query: LDAPQuery{Base: "DC=fake,DC=test", PageSize: tc.pageSize}}
			users, stats, err := src.collect(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, rows(t, users), want, src.Conn.Server())
			if stats.Pages != tc.wantPages || stats.Referrals != tc.wantPages || stats.Entries != 2500 {
				t.Errorf("stats %+v, want %d pages, %d referrals, 2500 entries", stats, tc.wantPages, tc.wantPages)
			}
			if got := s.maxSeenPage.Load(); got > 1000 {
				t.Errorf("fake AD sent a page of %d", got)
			}
		})
	}
}

func TestLDAPRangeRetrieval(t *testing.T) {
	// 3,200 values arrive as 0-1499, then 1500-2999 and 3000-* on request.
	entries, ldif := fakeUsers(30, 3, 3200)
	want := wantRows(t, ldif)
	if n := len(want[3].OtherMobile); n != 3200 {
		t.Fatalf("expected rows: user 3 has %d values", n)
	}
	s := newFakeAD(t, entries).start()
	src := LDAPSource{Conn: s.config(), Query: LDAPQuery{Base: "DC=fake,DC=test", PageSize: 7}}
	users, stats, err := src.collect(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, rows(t, users), want, src.Conn.Server())
	if stats.RangeRequests != 2 || s.rangeQueries.Load() != 2 {
		t.Errorf("range requests: client counted %d, server saw %d, want 2", stats.RangeRequests, s.rangeQueries.Load())
	}
}

func TestLDAPRetriesDroppedConnection(t *testing.T) {
	entries, ldif := fakeUsers(2500, 10, 1600)
	want := wantRows(t, ldif)
	s := newFakeAD(t, entries)
	s.dropAfter, s.dropConns = 1700, 2 // two connections die mid-search, in the second page
	s.start()
	src := LDAPSource{Conn: s.config(), Query: LDAPQuery{Base: "DC=fake,DC=test"}, Backoff: time.Millisecond}
	// A budget this small spills every few hundred users: the lost
	// attempts' spills must go with them.
	spill := t.TempDir()
	users, stats, err := src.collect(pipeline.WithMemory(context.Background(), 3*64<<10), spill)
	if err != nil {
		t.Fatal(err)
	}
	defer users.Close()
	if users.Runs() < 3 {
		t.Errorf("%d runs spilled", users.Runs())
	}
	// The attempt kept has two: its users' sort and its DN check's.
	if left, _ := filepath.Glob(filepath.Join(spill, ".syncgap-spill-*")); len(left) != 2 || !users.dns.spilled() {
		t.Errorf("spill directories after the lost attempts: %v", left)
	}
	// Rows from the lost attempts were discarded, not added twice.
	sameRows(t, rows(t, users), want, src.Conn.Server())
	if stats.Attempts != 3 || s.conns.Load() != 3 {
		t.Errorf("attempts %d, connections %d, want 3", stats.Attempts, s.conns.Load())
	}
}

func TestLDAPRetriesStalledPage(t *testing.T) {
	entries, ldif := fakeUsers(300, -1, 0)
	s := newFakeAD(t, entries)
	s.stallAfter, s.stallConns = 120, 1
	s.start()
	cfg := s.config()
	cfg.RequestTimeout = 300 * time.Millisecond
	src := LDAPSource{Conn: cfg, Query: LDAPQuery{Base: "DC=fake,DC=test", PageSize: 100}, Backoff: time.Millisecond}
	users, stats, err := src.collect(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, rows(t, users), wantRows(t, ldif), cfg.Server())
	if stats.Attempts != 2 {
		t.Errorf("attempts %d, want 2", stats.Attempts)
	}
}

// A connection that keeps dropping ends in one clear error and no table.
func TestLDAPGivesUpWithoutWriting(t *testing.T) {
	entries, _ := fakeUsers(2500, -1, 0)
	s := newFakeAD(t, entries)
	s.dropAfter, s.dropConns = 1500, 1000
	s.start()
	src := LDAPSource{Conn: s.config(), Query: LDAPQuery{Base: "DC=fake,DC=test"}, Attempts: 3, Backoff: time.Millisecond}
	dir := t.TempDir()
	_, _, err := pipeline.NewRunner(dir).Run(context.Background(), LDAPStage.With(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"extract from " + src.Conn.Server(), "connection lost 3 times", "nothing written"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("snapshot holds %v after a failed extract", files)
	}
	if n := s.conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
}

func TestLDAPStageRecordsNoPassword(t *testing.T) {
	entries, _ := fakeUsers(20, -1, 0)
	s := newFakeAD(t, entries).start()
	src := LDAPSource{Conn: s.config(), Query: LDAPQuery{Base: "DC=fake,DC=test"}}
	dir := t.TempDir()
	rec, _, err := pipeline.NewRunner(dir).Run(context.Background(), LDAPStage.With(src))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outputs[0].Rows != 20 || rec.Detail["referrals_skipped"] != "1" || rec.Parameters["bind"] != s.bindDN {
		t.Errorf("record %+v", rec)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), s.password) {
			t.Errorf("%s holds the password", filepath.Base(f))
		}
	}
}

func TestConnectRefusals(t *testing.T) {
	s := newFakeAD(t, nil).start()
	closedURL := "ldap://" + ldaptest.ClosedAddr(t)
	silentAddr := ldaptest.SilentAddr(t)
	good := s.config()
	for _, tc := range []struct {
		name    string
		edit    func(*ldapconn.Config)
		is      error
		want    []string
		maxWait time.Duration
	}{
		{"plaintext simple bind", func(c *ldapconn.Config) { c.AllowPlaintextBind = false }, ldapconn.ErrPlaintextBind,
			[]string{"ldap://" + s.ln.Addr().String(), s.bindDN}, 0},
		{"wrong password", func(c *ldapconn.Config) { c.Password = "not-" + c.Password }, ldapconn.ErrInvalidCredentials,
			[]string{"invalid credentials for " + s.bindDN + " at " + good.Server(), "(wrong password)"}, 0},
		{"credentials in URL", func(c *ldapconn.Config) { c.URL = "ldap://reader:" + c.Password + "@" + s.ln.Addr().String() }, nil,
			[]string{"must not carry credentials"}, 0},
		{"StartTLS on ldaps", func(c *ldapconn.Config) { c.URL = "ldaps://" + s.ln.Addr().String(); c.StartTLS = true }, nil,
			[]string{"already encrypted"}, 0},
		{"NTLM without domain", func(c *ldapconn.Config) { c.BindID = `\reader` }, nil, []string{`want DOMAIN\user`}, 0},
		{"closed port", func(c *ldapconn.Config) { c.URL = closedURL }, nil,
			[]string{"connect to " + closedURL, "connection refused"}, time.Second},
		{"silent server, ldap", func(c *ldapconn.Config) { c.URL = "ldap://" + silentAddr; c.DialTimeout = 300 * time.Millisecond }, nil,
			[]string{"connect to ldap://" + silentAddr, "no answer within 300ms"}, 2 * time.Second},
		{"silent server, ldaps", func(c *ldapconn.Config) { c.URL = "ldaps://" + silentAddr; c.DialTimeout = 300 * time.Millisecond }, nil,
			[]string{"connect to ldaps://" + silentAddr, "no answer within 300ms"}, 2 * time.Second},
		{"silent server, StartTLS", func(c *ldapconn.Config) {
			c.URL = "ldap://" + silentAddr
			c.StartTLS = true
			c.DialTimeout = 300 * time.Millisecond
		}, nil, []string{"no answer within 300ms"}, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			start := time.Now()
			conn, err := ldapconn.Connect(context.Background(), cfg)
			if err == nil {
				conn.Close()
				t.Fatal("connected")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %q", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), s.password) {
				t.Errorf("error %q holds the password", err)
			}
			if tc.maxWait > 0 && time.Since(start) > tc.maxWait {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}
	// The refusal happens before any connection is made.
	if n := s.conns.Load(); n != 1 {
		t.Errorf("fake AD saw %d connections, want 1 (the wrong password)", n)
	}
}

// A first connection that fails is not retried: it is a wrong address or
// a server that is down, and waiting would only delay the message.
func TestLDAPNoRetryWhenFirstConnectFails(t *testing.T) {
	url := "ldap://" + ldaptest.ClosedAddr(t)
	src := LDAPSource{Conn: ldapconn.Config{URL: url}, Query: LDAPQuery{Base: "DC=fake,DC=test"}, Backoff: time.Hour}
	_, stats, err := src.collect(context.Background(), t.TempDir())
	if err == nil || stats.Attempts != 1 {
		t.Fatalf("err %v after %d attempts", err, stats.Attempts)
	}
}

func TestBindMethod(t *testing.T) {
	for id, want := range map[string]string{
		"":                                    ldapconn.BindAnonymous,
		"svc-syncgap@contoso.com":             ldapconn.BindSimple,
		"CN=svc,OU=Service,DC=contoso,DC=com": ldapconn.BindSimple,
		`CN=Doe\\Jane,DC=contoso,DC=com`:      ldapconn.BindSimple,
		`CONTOSO\svc-syncgap`:                 ldapconn.BindNTLM,
	} {
		if got := (ldapconn.Config{BindID: id}).BindMethod(); got != want {
			t.Errorf("%q: %s, want %s", id, got, want)
		}
	}
}

func TestRangeOption(t *testing.T) {
	for _, tc := range []struct {
		desc      string
		low, high int
		ok        bool
	}{
		{"otherMobile", 0, 0, false},
		{"otherMobile;range=0-1499", 0, 1499, true},
		{"otherMobile;Range=1500-*", 1500, -1, true},
		{"member;binary;range=3000-4499", 3000, 4499, true},
		{"otherMobile;range=10-2", 0, 0, false},
		{"otherMobile;range=x-*", 0, 0, false},
	} {
		low, high, ok := rangeOption(tc.desc)
		if low != tc.low || high != tc.high || ok != tc.ok {
			t.Errorf("%s: %d %d %v", tc.desc, low, high, ok)
		}
	}
}

func TestLDAPSourceValidate(t *testing.T) {
	good := LDAPSource{Conn: ldapconn.Config{URL: "ldaps://dc01.contoso.com"}, Query: LDAPQuery{Base: "DC=contoso,DC=com"}}
	for name, edit := range map[string]func(*LDAPSource){
		"bad base":       func(s *LDAPSource) { s.Query.Base = "contoso.com" },
		"bad filter":     func(s *LDAPSource) { s.Query.Filter = "(objectClass=user" },
		"bad scope":      func(s *LDAPSource) { s.Query.Scope = "tree" },
		"negative page":  func(s *LDAPSource) { s.Query.PageSize = -1 },
		"http URL":       func(s *LDAPSource) { s.Conn.URL = "http://dc01" },
		"URL with base":  func(s *LDAPSource) { s.Conn.URL = "ldap://dc01/DC=contoso,DC=com" },
		"password alone": func(s *LDAPSource) { s.Conn.Password = "x" },
		"no password":    func(s *LDAPSource) { s.Conn.BindID = "svc@contoso.com" },
	} {
		s := good
		edit(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := good.Validate(); err != nil {
		t.Error(err)
	}
	if p, err := LDAPStage.With(good).Params(); err != nil || p["ldap"] != "ldaps://dc01.contoso.com:636" || p["tls"] != "ldaps" ||
		p["filter"] != DefaultFilter || p["page_size"] != "1000" || p["scope"] != "sub" {
		t.Errorf("params %v", p)
	}
}

func TestLDAPBadEntries(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func([]fakeEntry) []fakeEntry
		want string
	}{
		{"bad whenChanged", func(es []fakeEntry) []fakeEntry {
			for i, a := range es[4].attrs {
				if a.name == "whenChanged" {
					es[4].attrs[i].values = vals("yesterday")
				}
			}
			return es
		}, `: entry "CN=Usér 00004,OU=Staff,OU=Fake,DC=fake,DC=test": whenChanged: bad GeneralizedTime "yesterday"`},
		{"same DN twice", func(es []fakeEntry) []fakeEntry { return append(es, es[2]) },
			`: entry "CN=Usér 00002,OU=Staff,OU=Fake,DC=fake,DC=test" returned twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entries, _ := fakeUsers(10, -1, 0)
			s := newFakeAD(t, tc.edit(entries)).start()
			src := LDAPSource{Conn: s.config(), Query: LDAPQuery{Base: "DC=fake,DC=test", PageSize: 3}}
			_, _, err := src.collect(context.Background(), t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), src.Conn.Server()) {
				t.Fatalf("error %v, want %q after the server", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") || s.conns.Load() != 1 {
				t.Errorf("multi-line error or retried (%d connections)", s.conns.Load())
			}
		})
	}
}

// A live search in which no user carries mobile or otherMobile (an account
// that may not read them, say) is refused like an LDIF without them, and
// read with AllowMissingAttributes, which the summary records.
func TestLDAPRefusesMissingAttributes(t *testing.T) {
	entries, _ := fakeUsers(30, -1, 0)
	for i := range entries {
		var keep []fakeAttr
		for _, a := range entries[i].attrs {
			if a.name != "mobile" && a.name != "otherMobile" {
				keep = append(keep, a)
			}
		}
		entries[i].attrs = keep
	}
	s := newFakeAD(t, entries).start()
	src := LDAPSource{Conn: s.config(), Query: LDAPQuery{Base: "DC=fake,DC=test"}}
	dir := t.TempDir()
	_, _, err := pipeline.NewRunner(dir).Run(context.Background(), LDAPStage.With(src))
	if !errors.Is(err, ErrMissingAttributes) || !strings.Contains(err.Error(), "none of the 30 users read has mobile or otherMobile") ||
		!strings.Contains(err.Error(), "--allow-missing-attributes") {
		t.Fatalf("err %v", err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("a refused extract left %v", files)
	}
	src.AllowMissingAttributes = true
	rec, _, err := pipeline.NewRunner(dir).Run(context.Background(), LDAPStage.With(src))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Detail["missing_attributes"] != "mobile or otherMobile" || rec.Parameters["allow_missing_attributes"] != "true" || rec.Outputs[0].Rows != 30 {
		t.Errorf("record %+v", rec)
	}
}

// A timed-out page is a lost connection whether or not the watch had
// closed the connection by the time the search returned: under load it
// often has not, and the search used to end instead of restarting.
func TestPageTimeoutIsConnectionLoss(t *testing.T) {
	err := fmt.Errorf("search %q on %s: %w", "DC=fake,DC=test", "ldap://127.0.0.1:389", timeoutError(context.Background(), 300*time.Millisecond))
	if !isConnectionLoss(err) {
		t.Errorf("%v: not taken for a lost connection", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := timeoutError(ctx, time.Second); isConnectionLoss(err) {
		t.Errorf("%v: a cancelled run taken for a lost connection", err)
	}
}

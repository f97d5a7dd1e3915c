package livegraph

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"syncgap/fixtures/graphserver"
	"syncgap/fixtures/tenantgen"
	"syncgap/pipeline"
)

// edgeUsers are user objects as Graph could write them, each property
// where the SDK's parse and ours might part: escapes of every kind,
// surrogate pairs and lone surrogates, raw UTF-8, an escaped key, null and
// empty values, upper-case ids, fractions and offsets in times.
var edgeUsers = []string{
	`{"id":"0B1C2D3E-AAAA-4BBB-8CCC-DDDDEEEEFFFF","userPrincipalName":"Zoë.Ünïcode@contoso.com",` +
		`"mobilePhone":"+49 \u0031 555 \"x\" \\ \/ \b\f\n\r\t end","businessPhones":["+1 425 555 0100","+1 (425) 555-0101"],` +
		`"usageLocation":"DE","onPremisesSyncEnabled":false,"onPremisesImmutableId":"abc+/=",` +
		`"onPremisesUserPrincipalName":"","onPremisesSamAccountName":"\u00e9\u00E9",` +
		`"onPremisesDistinguishedName":"CN=\ud83d\ude00 Smile\\, Jr.,OU=\u4e2d\u6587,DC=x",` +
		`"onPremisesLastSyncDateTime":"2024-02-29T23:59:59.1234567Z","accountEnabled":false}`,
	`{"id":"b2000000-0000-4000-8000-000000000002","userPrincipalName":"nulls@contoso.com","mobilePhone":null,` +
		`"businessPhones":null,"usageLocation":null,"onPremisesSyncEnabled":null,"onPremisesImmutableId":null,` +
		`"onPremisesUserPrincipalName":null,"onPremisesSamAccountName":null,"onPremisesDistinguishedName":null,` +
		`"onPremisesLastSyncDateTime":null,"accountEnabled":null}`,
	`{"id":"b3000000-0000-4000-8000-000000000003","userPrincipalName":"lone@contoso.com","mobilePhone":"\ud800x",` +
		`"businessPhones":[],"usageLocation":"","onPremisesSyncEnabled":true,"onPremisesImmutableId":"\udc00\ud83d",` +
		`"onPremisesUserPrincipalName":"\ud83d\u0041","onPremisesSamAccountName":"nul\u0000byte",` +
		`"onPremisesDistinguishedName":"CN=\u0022quoted\u0022","onPremisesLastSyncDateTime":"2024-06-01T12:00:00+02:00",` +
		`"accountEnabled":true}`,
	`{"id":"B4000000-0000-4000-8000-00000000000A","userPrincipalName":"offset@contoso.com","mobil\u0065Phone":"+1 555 0100",` +
		`"businessPhones":[""],"usageLocation":"US","onPremisesSyncEnabled":true,"onPremisesImmutableId":"x",` +
		`"onPremisesUserPrincipalName":"offset@corp.contoso.com","onPremisesSamAccountName":"off",` +
		`"onPremisesDistinguishedName":"CN=Off,DC=corp","onPremisesLastSyncDateTime":"2023-12-31T23:30:00.5-07:30",` +
		`"accountEnabled":true}`,
}

// rawUsers are user objects only a hand-written server sends: properties
// left out altogether, members the audit does not read (nested ones
// among them), keys in another order.
var rawUsers = []string{
	`{"@odata.type":"#microsoft.graph.user","id":"c1000000-0000-4000-8000-000000000001","userPrincipalName":"sparse@contoso.com"}`,
	`{"accountEnabled":true,"displayName":"Ann \"Nested\"","identities":[{"signInType":"userPrincipalName","issuer":"x",` +
		`"deep":{"a":[1,2.5e3,-0,true,false,null,{"b":"\u00e9"}]}}],"userPrincipalName":"ann@contoso.com",` +
		`"businessPhones":["+44 20 7946 0000"],"id":"C2000000-0000-4000-8000-000000000002","onPremisesLastSyncDateTime":"2020-01-01T00:00:00Z"}`,
}

// rawServer serves the given user pages at /v1.0/users, each linked to the
// next; "@next@" in a page stands for the next page's URL. It counts the
// requests it answered.
func rawServer(t *testing.T, pages ...string) (string, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	var base string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.URL.Path != "/v1.0/users" {
			http.NotFound(w, r)
			return
		}
		i, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
		if i < 0 || i >= len(pages) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, strings.ReplaceAll(pages[i], "@next@", base+"/v1.0/users?$skiptoken="+strconv.Itoa(i+1)))
	}))
	t.Cleanup(ts.Close)
	base = ts.URL
	return base, &n
}

// page is a users page holding users, with a next link unless last.
func page(last bool, users ...string) string {
	s := `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[` + strings.Join(users, ",") + "]"
	if !last {
		s += `,"@odata.nextLink":"@next@"`
	}
	return s + "}"
}

// edgeTenant is a tenant directory holding edgeUsers as Graph page files,
// for the Graph-compatible server to serve as they are.
func edgeTenant(t *testing.T) *graphserver.Data {
	t.Helper()
	gen, _ := tenant(t, 3000)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, tenantgen.GraphDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, tenantgen.GraphDir, "users-1.json"), []byte(page(true, edgeUsers...)), 0o644); err != nil {
		t.Fatal(err)
	}
	features, err := os.ReadFile(filepath.Join(gen, tenantgen.FeaturesFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, tenantgen.FeaturesFile), features, 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := graphserver.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestUsersDecodeLikeTheSDK reads the same server both ways, through the
// SDK's typed Get as Users did before (sdkUsers) and through Users: the
// rows must be equal, nil lists and all, and entra_users.parquet the same
// bytes.
func TestUsersDecodeLikeTheSDK(t *testing.T) {
	_, gen := tenant(t, 3000)
	edge := edgeTenant(t)
	var all []pipeline.EntraUser
	for _, tt := range []struct {
		name string
		base func(t *testing.T) string
	}{
		{"generated tenant, pages of 250", func(t *testing.T) string {
			_, base := start(t, gen, graphserver.Config{MaxPageSize: 250})
			return base
		}},
		{"edge cases, Graph-compatible server", func(t *testing.T) string {
			_, base := start(t, edge, graphserver.Config{})
			return base
		}},
		{"edge cases, absent properties, other members", func(t *testing.T) string {
			base, _ := rawServer(t, page(false, rawUsers[0]), page(false, edgeUsers...), page(true, rawUsers[1]))
			return base
		}},
		{"pretty-printed pages", func(t *testing.T) string {
			pretty := strings.NewReplacer(`,"`, ",\r\n\t\"", `{"`, "{\n  \"", `]`, "\n]\n", `}`, " }\n")
			base, _ := rawServer(t, pretty.Replace(page(false, edgeUsers[:2]...)), pretty.Replace(page(true, rawUsers...)))
			return base
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tokenConfig(tt.base(t)))
			want, err := sdkUsers(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Users(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || len(want) == 0 {
				t.Fatalf("%d users, the SDK read %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("user %d:\n got %#v\nwant %#v", i, got[i], want[i])
				}
			}
			if g, w := tableHash(t, got), tableHash(t, want); g != w {
				t.Errorf("entra_users.parquet differs: %s, the SDK path's %s", g, w)
			}
			all = append(all, got...)
		})
	}
	// The cases must hold what they claim, or the equality proves little.
	has := map[string]bool{}
	for _, u := range all {
		has["nil list"] = has["nil list"] || u.BusinessPhones == nil
		has["empty list"] = has["empty list"] || u.BusinessPhones != nil && len(u.BusinessPhones) == 0
		has["two phones"] = has["two phones"] || len(u.BusinessPhones) > 1
		has["unknown flag"] = has["unknown flag"] || !u.AccountEnabled.Valid
		has["false flag"] = has["false flag"] || u.OnPremisesSyncEnabled == pipeline.Known(false)
		has["no sync time"] = has["no sync time"] || u.OnPremisesLastSync.IsZero()
		has["fractional time"] = has["fractional time"] || u.OnPremisesLastSync.Nanosecond() != 0
		has["beyond the BMP"] = has["beyond the BMP"] || strings.ContainsRune(u.OnPremisesDN, '😀')
		has["replacement"] = has["replacement"] || strings.ContainsRune(u.MobilePhone, utf8.RuneError)
		has["quote and backslash"] = has["quote and backslash"] || strings.Contains(u.MobilePhone, `"x" \ /`)
		has["non-ASCII"] = has["non-ASCII"] || strings.Contains(u.UPN, "Zoë")
		has["escaped key"] = has["escaped key"] || u.MobilePhone == "+1 555 0100"
		has["absent"] = has["absent"] || u.UPN == "sparse@contoso.com" && u.MobilePhone == "" && u.BusinessPhones == nil
		has["upper-case id lowered"] = has["upper-case id lowered"] || u.ID == "c2000000-0000-4000-8000-000000000002"
	}
	for _, k := range []string{"nil list", "empty list", "two phones", "unknown flag", "false flag", "no sync time",
		"fractional time", "beyond the BMP", "replacement", "quote and backslash", "non-ASCII", "escaped key", "absent",
		"upper-case id lowered"} {
		if !has[k] {
			t.Errorf("no user read has %s", k)
		}
	}
}

// tableHash writes users as entra_users.parquet and hashes the file.
func tableHash(t *testing.T, users []pipeline.EntraUser) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := pipeline.WriteTable(dir, pipeline.EntraUsersTable, users); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, pipeline.FileName(pipeline.EntraUsersTable)))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// TestMalformedPage: a page that is not a users page fails the whole read
// with one line naming the page and the place in its body.
func TestMalformedPage(t *testing.T) {
	good := page(false, edgeUsers[1])
	for _, tt := range []struct {
		name, body string
		at         string // the body from the error's column on starts with this; "" for the end
		line       int
		want       string
	}{
		{"junk after a user", `{"value":[{"id":"x","userPrincipalName":"a@b"}x]}`, `x]}`, 1,
			"invalid character 'x' after array element"},
		{"cut short", `{"value":[{"id":"x","userPrincipalName":"a@`, "", 1, "unexpected end of JSON input"},
		{"not UTF-8", "{\"value\":[{\"id\":\"x\",\"userPrincipalName\":\"a\xff@b\"}]}", "\xff", 1, "not valid UTF-8"},
		{"duplicate key", `{"value":[{"id":"x","mobilePhone":"1","userPrincipalName":"a@b","mobilePhone":"2"}]}`,
			`"mobilePhone":"2"`, 1, `key "mobilePhone" appears twice in one object: which value is meant is undefined`},
		{"no value", `{"@odata.context":"x"}`, `{"@odata`, 1, `the page has no "value" array of users`},
		{"value not an array", `{"value":{"id":"x"}}`, `{"id"`, 1, "property value: expected an array of users"},
		{"no userPrincipalName", `{"value":[{"id":"a","userPrincipalName":"a@b"},{"id":"x","userPrincipalName":null}]}`, `{"id":"x"`, 1,
			"user object x has no userPrincipalName"},
		{"wrong type", "{\n\"value\":[\n{\"id\":\"x\",\"userPrincipalName\":\"a@b\",\n \"accountEnabled\":7}]}", "7}", 4,
			"property accountEnabled: expected true, false or null"},
		{"bad next link", `{"value":[],"@odata.nextLink":5}`, `5}`, 1, "property @odata.nextLink: expected a string"},
		{"two values", `{"value":[]}{"value":[]}`, `{"value":[]}`, 1, "invalid character '{' after top-level value"},
		{"an HTML page", `<html><body>Proxy error</body></html>`, `<html>`, 1, `expected a page of users, {"value":[…]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, _ := rawServer(t, good, tt.body)
			_, err := newClient(t, tokenConfig(base)).Users(context.Background())
			var ge *Error
			if !errors.As(err, &ge) || ge.Status != 0 {
				t.Fatalf("err = %v", err)
			}
			lineStart := 0
			for range tt.line - 1 {
				lineStart += strings.IndexByte(tt.body[lineStart:], '\n') + 1
			}
			off := len(tt.body)
			if tt.at != "" {
				off = strings.LastIndex(tt.body, tt.at)
			}
			msg := err.Error()
			prefix := fmt.Sprintf("graph GET /users: page 2 is not a valid users page: line %d, column %d of the response body: ",
				tt.line, off-lineStart+1)
			if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("message\n %q\nwant\n %q + …%q…", msg, prefix, tt.want)
			}
		})
	}
}

// TestMalformedPageFromTheGraphServer breaks one user's value in the
// Graph-compatible server's data: the error names the page it is on and
// the column of the bad byte in the body the server sent.
func TestMalformedPageFromTheGraphServer(t *testing.T) {
	_, gen := tenant(t, 3000)
	data := *gen // the cached tenant is shared: copy what is changed
	data.Users = append([]graphserver.User(nil), gen.Users...)
	const bad = 1500 // on page 2 of 999
	u := &data.Users[bad]
	u.Props = append([]graphserver.Prop(nil), u.Props...)
	u.Props[2].Value = []byte(`"+1 \u00zz"`)
	srv, base := start(t, &data, graphserver.Config{})
	_, err := newClient(t, tokenConfig(base)).Users(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	// The server logs a request once its handler has returned, which can
	// be after the client read the whole body and gave up.
	reqs := userPages(srv)
	for deadline := time.Now().Add(5 * time.Second); len(reqs) < 2 && time.Now().Before(deadline); reqs = userPages(srv) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(reqs) != 2 {
		t.Fatalf("%d page requests, want 2", len(reqs))
	}
	body := fetch(t, base+reqs[1].URL)
	col := bytes.Index(body, []byte(`\u00zz`)) + len(`\u00`) + 1
	want := fmt.Sprintf("graph GET /users: page 2 is not a valid users page: line 1, column %d of the response body: "+
		`invalid character 'z' in \u hexadecimal character escape`, col)
	if col <= len(`\u00`) || err.Error() != want {
		t.Errorf("message\n %q\nwant\n %q", err, want)
	}
}

// fetch GETs url with the test token.
func fetch(t *testing.T, url string) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s, %v", url, resp.Status, err)
	}
	return b
}

// TestPageBodyBound: a body past the bound fails at once, counted after
// gzip is undone, so a small compressed body cannot expand without limit.
func TestPageBodyBound(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	io.WriteString(zw, page(true, edgeUsers...))
	zw.Write(bytes.Repeat([]byte{' '}, 1<<20)) // whitespace after the page is still valid JSON
	zw.Close()
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	}))
	t.Cleanup(ts.Close)
	if gz.Len() > 64<<10 {
		t.Fatalf("the compressed body is %d bytes: it should be far below what it expands to", gz.Len())
	}

	c := newClient(t, tokenConfig(ts.URL))
	users, err := c.Users(context.Background())
	if err != nil || len(users) != len(edgeUsers) {
		t.Fatalf("within the bound: %d users, %v", len(users), err)
	}
	n.Store(0)
	c.retry.maxBody = 512 << 10
	_, err = c.Users(context.Background())
	if err == nil || !strings.Contains(err.Error(), "graph GET /users: ") ||
		!strings.Contains(err.Error(), "response body larger than 512 KiB") {
		t.Errorf("err = %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests: a body too large was retried", n.Load())
	}
}

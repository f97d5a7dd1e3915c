package livegraph

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"syncgap/fixtures/graphserver"
	"syncgap/pipeline"
)

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// userPages returns the user page requests the server saw.
func userPages(srv *graphserver.Server) []graphserver.Request {
	var out []graphserver.Request
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.URL, "/v1.0/users") {
			out = append(out, r)
		}
	}
	return out
}

func TestUsersPageThroughEveryPage(t *testing.T) {
	_, data := tenant(t, 7000)
	n := len(data.Users)
	for _, tt := range []struct {
		name    string
		maxPage int // the server's cap below $top
		perPage int
	}{
		{"$top=999", 0, 999},
		{"server pages smaller than $top", 250, 250},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, base := start(t, data, graphserver.Config{MaxPageSize: tt.maxPage})
			users, err := newClient(t, tokenConfig(base)).Users(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != n {
				t.Fatalf("%d users, want %d", len(users), n)
			}
			reqs := userPages(srv)
			if want := (n + tt.perPage - 1) / tt.perPage; len(reqs) != want || want < 6 {
				t.Errorf("%d page requests, want %d (at least 6)", len(reqs), want)
			}
			first, err := url.Parse(reqs[0].URL)
			if err != nil {
				t.Fatal(err)
			}
			q := first.Query()
			sel := strings.Split(q.Get("$select"), ",")
			if !slices.Equal(sel, Select) || q.Get("$top") != "999" {
				t.Errorf("first request %s: want $select=%s and $top=999", reqs[0].URL, strings.Join(Select, ","))
			}
			for _, r := range reqs[1:] {
				if !strings.Contains(r.URL, "skiptoken") {
					t.Errorf("later request %s does not follow the next link", r.URL)
				}
			}
			u := users[0]
			if u.ID == "" || u.UPN == "" || u.Origin != base+"/v1.0/users" || u.AlternateMobilePhones != nil {
				t.Errorf("first user %+v", u)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	_, data := tenant(t, 3000)
	for _, tt := range []struct {
		name   string
		faults graphserver.Faults
		check  func(t *testing.T, s *graphserver.Stats)
	}{
		{"429 storm, fractional Retry-After", graphserver.Faults{ThrottleRate: 0.5, RetryAfter: "0.05", Seed: 2},
			func(t *testing.T, s *graphserver.Stats) {
				if s.Throttled.Load() < 2 {
					t.Errorf("only %d throttled", s.Throttled.Load())
				}
			}},
		{"429 with HTTP-date Retry-After", graphserver.Faults{ThrottleRate: 0.5, RetryAfter: "date", Seed: 3},
			func(t *testing.T, s *graphserver.Stats) {
				if s.Throttled.Load() < 1 {
					t.Error("nothing throttled")
				}
			}},
		{"503 then success", graphserver.Faults{UnavailableFirst: 2, RetryAfter: "0.01"},
			func(t *testing.T, s *graphserver.Stats) {
				if s.Unavailable.Load() != 2 {
					t.Errorf("%d 503s", s.Unavailable.Load())
				}
			}},
		{"pages cut mid-stream", graphserver.Faults{CutRate: 0.4, Seed: 4},
			func(t *testing.T, s *graphserver.Stats) {
				if s.Cut.Load() < 1 {
					t.Error("nothing cut")
				}
			}},
		{"slow pages", graphserver.Faults{SlowRate: 0.5, SlowDelay: 20 * time.Millisecond, Seed: 5},
			func(t *testing.T, s *graphserver.Stats) {
				if s.Slow.Load() < 1 {
					t.Error("nothing slow")
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, base := start(t, data, graphserver.Config{Faults: tt.faults})
			users, err := newClient(t, tokenConfig(base)).Users(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != len(data.Users) {
				t.Errorf("%d users, want %d", len(users), len(data.Users))
			}
			tt.check(t, srv.Stats())
		})
	}
}

func TestRetriesGiveUpWithGraphsError(t *testing.T) {
	_, data := tenant(t, 3000)
	t.Run("retries exhausted", func(t *testing.T) {
		srv, base := start(t, data, graphserver.Config{Faults: graphserver.Faults{ThrottleRate: 1, RetryAfter: "0.02"}})
		cfg := tokenConfig(base)
		cfg.Retry.MaxRetries = 3
		_, err := newClient(t, cfg).Users(context.Background())
		var ge *Error
		if !errors.As(err, &ge) || ge.Status != 429 || ge.Code != "TooManyRequests" || ge.RequestID == "" || ge.Retries != 3 {
			t.Fatalf("err = %v", err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "graph GET /users: 429 TooManyRequests: ") || !strings.Contains(msg, "(request-id "+ge.RequestID+")") ||
			!strings.Contains(msg, "gave up after 3 retries") || strings.Contains(msg, "\n") {
			t.Errorf("message %q", msg)
		}
		if n := srv.Stats().Throttled.Load(); n != 4 {
			t.Errorf("%d attempts, want 4", n)
		}
	})
	t.Run("Retry-After beyond the budget", func(t *testing.T) {
		srv, base := start(t, data, graphserver.Config{Faults: graphserver.Faults{ThrottleRate: 1, RetryAfter: "30"}})
		cfg := tokenConfig(base)
		cfg.Retry.MaxWait = time.Second
		start := time.Now()
		_, err := newClient(t, cfg).Users(context.Background())
		if err == nil || !strings.Contains(err.Error(), "429 TooManyRequests") || !strings.Contains(err.Error(), "exceeds the retry budget") ||
			time.Since(start) > 5*time.Second {
			t.Fatalf("err = %v after %s", err, time.Since(start))
		}
		if srv.Stats().Throttled.Load() != 1 {
			t.Errorf("retried although the wait exceeds the budget")
		}
	})
	t.Run("a cancelled run stops waiting", func(t *testing.T) {
		_, base := start(t, data, graphserver.Config{Faults: graphserver.Faults{ThrottleRate: 1, RetryAfter: "20"}})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := newClient(t, tokenConfig(base)).Users(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Fatalf("err = %v after %s", err, time.Since(start))
		}
	})
}

func TestExpiredTokenMessage(t *testing.T) {
	_, data := tenant(t, 3000)
	_, base := start(t, data, graphserver.Config{Expired: true})
	_, err := newClient(t, tokenConfig(base)).Users(context.Background())
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 401 {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"graph GET /users: 401 InvalidAuthenticationToken: Lifetime validation failed, the token is expired.",
		"(request-id ", "az account get-access-token"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, testToken) {
		t.Errorf("message holds the token: %q", msg)
	}
}

func TestFeaturesAndSetBypass(t *testing.T) {
	_, data := tenant(t, 3000)
	srv, base := start(t, data, graphserver.Config{})
	c := newClient(t, tokenConfig(base))
	ctx := context.Background()
	id, flags, err := c.Features(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id != data.Sync.ID || len(flags) != len(data.Sync.Features) {
		t.Fatalf("id %q, %d flags; want %q, %d", id, len(flags), data.Sync.ID, len(data.Sync.Features))
	}
	bypass := func(flags []pipeline.TenantFlag) pipeline.TenantFlag {
		for _, f := range flags {
			if f.Feature == pipeline.BypassFeature {
				return f
			}
		}
		t.Fatalf("no %s in %+v", pipeline.BypassFeature, flags)
		return pipeline.TenantFlag{}
	}
	if f := bypass(flags); f.Enabled != pipeline.Known(false) || f.Source != base+"/v1.0/directory/onPremisesSynchronization" {
		t.Fatalf("before: %+v", f)
	}
	f, err := c.SetBypass(ctx, id, true)
	if err != nil || f.Enabled != pipeline.Known(true) {
		t.Fatalf("SetBypass: %+v, %v", f, err)
	}
	var patched bool
	for _, r := range srv.Requests() {
		if r.Method == "PATCH" {
			patched = r.Gzip && r.Status == 204 && strings.HasSuffix(r.URL, "/onPremisesSynchronization/"+id)
		}
	}
	if !patched {
		t.Errorf("no gzip-compressed PATCH of the object: %+v", srv.Requests())
	}
	if _, flags, _ = c.Features(ctx); bypass(flags).Enabled != pipeline.Known(true) {
		t.Errorf("after: %+v", bypass(flags))
	}

	if _, err := c.SetBypass(ctx, "no-such-id", true); err == nil || !strings.Contains(err.Error(), "404 Request_ResourceNotFound") {
		t.Errorf("unknown id: %v", err)
	}
	srv.SetDenyFeatures(true)
	_, _, err = c.Features(ctx)
	if !Denied(err) || !strings.Contains(err.Error(), "graph GET /directory/onPremisesSynchronization: 403 Authorization_RequestDenied: Insufficient privileges") ||
		!strings.Contains(err.Error(), "request-id") {
		t.Errorf("denied: %v", err)
	}
}

func TestNationalCloudEndpoint(t *testing.T) {
	_, data := tenant(t, 3000)
	_, addr, ca := startTLS(t, data, graphserver.Config{}, "graph.microsoft.us")
	cred := &recordingCredential{}
	cfg := Config{
		Endpoint: "https://graph.microsoft.us", Auth: AuthAccessToken, CAFile: ca, Credential: cred,
		// The test server stands in for GCC High: every connection to
		// graph.microsoft.us:443 reaches it, TLS verified for that name.
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			if a != "graph.microsoft.us:443" {
				t.Errorf("dialled %s", a)
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	c := newClient(t, cfg)
	users, err := c.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != len(data.Users) || users[0].Origin != "https://graph.microsoft.us/v1.0/users" {
		t.Errorf("%d users, origin %q", len(users), users[0].Origin)
	}
	if !slices.Equal(cred.scopes, []string{"https://graph.microsoft.us/.default"}) {
		t.Errorf("token scopes %v", cred.scopes)
	}

	cfg.CAFile = ""
	_, err = newClient(t, cfg).Users(context.Background())
	if err == nil || !strings.Contains(err.Error(), "certificate") || strings.Contains(err.Error(), "retries") {
		t.Errorf("untrusted certificate: %v (want a certificate error, not retried)", err)
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, tt := range []struct {
		in, root, authority, err string
	}{
		{"", "https://graph.microsoft.com", "https://login.microsoftonline.com/", ""},
		{"https://graph.microsoft.com/v1.0/", "https://graph.microsoft.com", "https://login.microsoftonline.com/", ""},
		{"https://graph.microsoft.us", "https://graph.microsoft.us", "https://login.microsoftonline.us/", ""},
		{"https://DoD-Graph.microsoft.us", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us/", ""},
		{"https://microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn/", ""},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", "", ""},
		{"http://graph.microsoft.com", "", "", "only sent over https"},
		{"https://graph.microsoft.com/beta", "", "", "without a path"},
		{"graph.microsoft.com", "", "", "absolute URL"},
		{"https://user:SECRET@graph.microsoft.com", "", "", "credentials in the URL are refused"},
		{"https://u:SECRET@host%zz", "", "", "not repeated here"},
	} {
		e, err := parseEndpoint(tt.in, "")
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("%q: the error echoes the secret: %v", tt.in, err)
			}
		case err != nil || e.root != tt.root || e.authority != tt.authority:
			t.Errorf("%q: %+v, %v", tt.in, e, err)
		}
	}
	if e, err := parseEndpoint("https://127.0.0.1:1", "https://127.0.0.1:2/x"); err != nil || e.authority != "https://127.0.0.1:2/" || e.knownAuthority() {
		t.Errorf("authority override: %+v, %v", e, err)
	}
}

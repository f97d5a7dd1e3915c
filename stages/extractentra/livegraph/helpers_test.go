package livegraph

import (
	"context"
	"crypto/tls"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"syncgap/fixtures/graphserver"
	"syncgap/fixtures/tenantgen"
)

const testToken = "live-test-token"

// tenants caches generated tenants by size for the whole test binary.
var tenants = struct {
	sync.Mutex
	dirs map[int]string
	data map[int]*graphserver.Data
	root string
}{dirs: map[int]string{}, data: map[int]*graphserver.Data{}}

func TestMain(m *testing.M) {
	code := m.Run()
	if tenants.root != "" {
		os.RemoveAll(tenants.root)
	}
	os.Exit(code)
}

// tenant returns the directory and data of a generated tenant of n people.
func tenant(t *testing.T, n int) (string, *graphserver.Data) {
	t.Helper()
	tenants.Lock()
	defer tenants.Unlock()
	if d, ok := tenants.dirs[n]; ok {
		return d, tenants.data[n]
	}
	if tenants.root == "" {
		r, err := os.MkdirTemp("", "livegraph-tenants-")
		if err != nil {
			t.Fatal(err)
		}
		tenants.root = r
	}
	dir := filepath.Join(tenants.root, strconv.Itoa(n))
	if _, err := tenantgen.Generate(tenantgen.Config{Users: n, Seed: 11}, dir); err != nil {
		t.Fatal(err)
	}
	data, err := graphserver.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tenants.dirs[n], tenants.data[n] = dir, data
	return dir, data
}

// start serves data over plain HTTP on loopback (kiota and this client
// allow tokens there without TLS).
func start(t *testing.T, data *graphserver.Data, cfg graphserver.Config) (*graphserver.Server, string) {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	srv := graphserver.New(data, cfg)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

// startTLS serves data over TLS with a certificate for hosts, and returns
// the server, its address and the path of a CA file trusting it.
func startTLS(t *testing.T, data *graphserver.Data, cfg graphserver.Config, hosts ...string) (*graphserver.Server, string, string) {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	cert, pem, err := graphserver.SelfSigned(hosts...)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := graphserver.New(data, cfg)
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return srv, ts.Listener.Addr().String(), ca
}

// tokenConfig is a client config signing in with the test token.
func tokenConfig(endpoint string) Config {
	return Config{
		Endpoint: endpoint, TenantID: "t", Auth: AuthAccessToken,
		Secrets: Secrets{AccessToken: testToken},
		Retry:   RetryPolicy{BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond, MaxWait: 30 * time.Second},
	}
}

// recordingCredential hands out the test token and remembers the scopes
// it was asked for.
type recordingCredential struct {
	mu     sync.Mutex
	scopes []string
}

func (c *recordingCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range o.Scopes {
		if !slices.Contains(c.scopes, s) {
			c.scopes = append(c.scopes, s)
		}
	}
	return azcore.AccessToken{Token: testToken, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// Package livegraph reads Entra ID users and the tenant's
// onPremisesSynchronization features live from Microsoft Graph through
// msgraph-sdk-go, and writes the same entra_users and tenant tables as the
// export path (docs/inputs.md, docs/tables.md); only origin and the tenant rows' source
// name the endpoint instead of a file.
//
// It is the only package that imports msgraph-sdk-go (docs/dependencies.md): a clean
// build of the SDK's models package costs minutes and gigabytes, so
// nothing else may pull it into its tests. It uses the users and directory
// request-builder packages, never the root client, which would compile
// every request builder of Graph.
//
// The SDK's retry handler is left out of the middleware chain: it
// truncates fractional Retry-After values and does not take HTTP dates.
// Retries are ours (retry.go), beneath the SDK's middleware.
//
//	c, err := livegraph.NewClient(cfg)
//	users, err := c.Users(ctx)
//	id, flags, err := c.Features(ctx)
package livegraph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syncgap/pipeline"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// Auth is how the client signs in.
type Auth string

// The sign-in methods an admin actually uses.
const (
	// AuthClientSecret is an app registration's client secret.
	AuthClientSecret Auth = "client-secret"
	// AuthCertificate is an app registration's certificate (PEM or PKCS#12).
	AuthCertificate Auth = "certificate"
	// AuthDeviceCode signs a person in interactively with a device code.
	AuthDeviceCode Auth = "device-code"
	// AuthInteractive has a person sign in through a web browser on this
	// machine, with MFA and whatever Conditional Access asks; device code
	// sign-in is often blocked by Conditional Access.
	AuthInteractive Auth = "interactive"
	// AuthAccessToken is a token obtained beforehand, e.g. with
	// az account get-access-token --resource-type ms-graph.
	AuthAccessToken Auth = "access-token"
)

// Config selects the tenant and how to reach it. It is not recorded
// anywhere as a whole: Params takes from it what may go into a manifest,
// and Secrets never leave the process.
type Config struct {
	// Endpoint is the Graph service root without the version, e.g.
	// https://graph.microsoft.com or a national cloud's
	// (https://graph.microsoft.us, https://dod-graph.microsoft.us,
	// https://microsoftgraph.chinacloudapi.cn). Empty means the global one.
	Endpoint string
	TenantID string
	ClientID string
	Auth     Auth
	// CertFile is the certificate with its private key, for AuthCertificate.
	CertFile string
	// CAFile adds PEM certificates to the roots trusted for TLS (a test
	// server, or a TLS-inspecting proxy); verification stays on.
	CAFile string
	// AuthorityHost overrides the Entra ID sign-in host the endpoint implies.
	AuthorityHost string
	// Secrets are the credentials themselves, read from the environment
	// or files by the caller.
	Secrets Secrets
	// PageSize is the $top of user pages (0: 999, Graph's maximum).
	PageSize int
	Retry    RetryPolicy
	// Exports are export files read after the live users to fill what
	// Graph lacks: an MSOnline or ADSyncTools CSV for AlternateMobilePhones.
	Exports []string
	// Prompt tells the person signing in what to do: the device code
	// instruction, or that a browser is opening (default: log it).
	Prompt func(message string)
	// BrowserTimeout bounds the wait for an interactive sign-in to finish
	// in the browser (0: 5 minutes).
	BrowserTimeout time.Duration

	// Credential replaces the one Auth would build (tests).
	Credential azcore.TokenCredential
	// DialContext replaces the dialer of the HTTP transport, so tests can
	// stand the test server in for a national cloud's host name.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Secrets holds the credentials. It prints as [redacted] in every format
// and log, so a Config can never leak one by being printed.
type Secrets struct {
	ClientSecret string
	CertPassword string
	AccessToken  string
}

func (Secrets) String() string               { return "[redacted]" }
func (Secrets) GoString() string             { return "[redacted]" }
func (Secrets) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (s Secrets) Format(f fmt.State, _ rune) { f.Write([]byte(s.String())) }

// MarshalJSON keeps secrets out of JSON logs and dumps.
func (Secrets) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// DefaultEndpoint is the global Graph service.
const DefaultEndpoint = "https://graph.microsoft.com"

// clouds maps each Graph national cloud to its Entra ID sign-in host.
var clouds = map[string]string{
	"graph.microsoft.com":             "https://login.microsoftonline.com/",
	"graph.microsoft.us":              "https://login.microsoftonline.us/",
	"dod-graph.microsoft.us":          "https://login.microsoftonline.us/",
	"microsoftgraph.chinacloudapi.cn": "https://login.chinacloudapi.cn/",
}

// endpoint is a checked Graph service root.
type endpoint struct {
	root      string // scheme://host[:port], no trailing slash
	host      string // host name without port
	authority string // sign-in host URL; empty when unknown
}

// parseEndpoint checks a --graph-endpoint value. Bearer tokens go only
// over TLS, except to this machine (as kiota allows), where the test
// server may run without a certificate.
func parseEndpoint(raw, authorityOverride string) (endpoint, error) {
	if raw == "" {
		raw = DefaultEndpoint
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil && strings.Contains(raw, "@") {
		return endpoint{}, errors.New("graph endpoint: not a URL, and it may hold credentials, so it is not repeated here: want an absolute URL such as " + DefaultEndpoint)
	}
	if err == nil && u.User != nil {
		// Never echo it: the part before @ may be a password.
		return endpoint{}, fmt.Errorf("graph endpoint %s://…@%s: credentials in the URL are refused (sign in with the --client-secret-env, --cert-file, --interactive, --device-code or --access-token-env options)", u.Scheme, u.Host)
	}
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return endpoint{}, fmt.Errorf("graph endpoint %q: want an absolute URL such as %s", pipeline.ShortText([]byte(raw)), DefaultEndpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return endpoint{}, fmt.Errorf("graph endpoint %q: want only scheme and host", raw)
	}
	if p := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1.0"); p != "" {
		return endpoint{}, fmt.Errorf("graph endpoint %q: want the service root without a path (the client adds /v1.0)", raw)
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme == "http" && !isLoopback(host) {
		return endpoint{}, fmt.Errorf("graph endpoint %q: tokens are only sent over https (plain http is allowed to this machine only)", raw)
	}
	e := endpoint{root: u.Scheme + "://" + strings.ToLower(u.Host), host: host, authority: clouds[host]}
	if authorityOverride != "" {
		a, err := url.Parse(authorityOverride)
		if err != nil || a.Scheme != "https" || a.Host == "" {
			return endpoint{}, fmt.Errorf("authority host %q: want an https URL such as https://login.microsoftonline.com/", authorityOverride)
		}
		e.authority = "https://" + a.Host + "/"
	}
	return e, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// scope asks for the endpoint's application permissions (or, for a
// person, the delegated ones the app registration grants).
func (e endpoint) scope() string { return e.root + "/.default" }

// knownAuthority reports whether the sign-in host is one of Microsoft's,
// where azidentity's instance discovery works; elsewhere (a test server)
// it must be off.
func (e endpoint) knownAuthority() bool {
	for _, a := range clouds {
		if a == e.authority {
			return true
		}
	}
	return false
}

// RetryPolicy bounds how long throttled and failed requests are retried.
type RetryPolicy struct {
	// MaxRetries is the most retries of one request (0: 8).
	MaxRetries int
	// MaxWait is the total time all retries of the client may wait
	// (0: 10 minutes); a Retry-After beyond what is left fails at once.
	MaxWait time.Duration
	// BaseDelay starts the exponential backoff used when the answer has no
	// Retry-After: BaseDelay, 2×, 4×, … up to MaxDelay (0: 1 s and 30 s).
	BaseDelay, MaxDelay time.Duration
	// AttemptTimeout bounds one attempt, body included (0: 100 s, the
	// SDK's own timeout).
	AttemptTimeout time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if p.MaxRetries <= 0 {
		p.MaxRetries = 8
	}
	def(&p.MaxWait, 10*time.Minute)
	def(&p.BaseDelay, time.Second)
	def(&p.MaxDelay, 30*time.Second)
	def(&p.AttemptTimeout, 100*time.Second)
	return p
}

package livegraph

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"syncgap/pipeline"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	kauth "github.com/microsoft/kiota-authentication-azure-go"
	khttp "github.com/microsoft/kiota-http-go"
	jsonser "github.com/microsoft/kiota-serialization-json-go"
	core "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// Client talks to one tenant's Graph endpoint.
type Client struct {
	adapter  *khttp.NetHttpRequestAdapter
	ep       endpoint
	pageSize int32
	retry    *retryTransport
}

// sdkVersion is reported in the SdkVersion header, as the SDK's own
// client does, so Microsoft can tell our requests apart when asked.
const sdkVersion = "1.89.0"

// NewClient checks cfg, builds the credential and the SDK's request
// adapter: the SDK's middleware (telemetry, parameter decoding, user agent,
// request compression, redirects) without its retry handler, over our
// retry transport, over an HTTP transport that verifies TLS against the
// system roots plus cfg.CAFile.
func NewClient(cfg Config) (*Client, error) {
	ep, base, cred, err := prepare(&cfg)
	if err != nil {
		return nil, err
	}
	rt := newRetryTransport(base, cfg.Retry)
	// Tokens are attached only to the endpoint's host, so a next link
	// pointing elsewhere could not carry one away.
	auth, err := kauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{ep.scope()}, []string{ep.host})
	if err != nil {
		return nil, fmt.Errorf("graph client: %w", err)
	}
	opts := core.GraphClientOptions{GraphServiceLibraryVersion: sdkVersion}
	mw := []khttp.Middleware{
		core.NewGraphTelemetryHandler(&opts),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewCompressionHandler(),
		khttp.NewRedirectHandler(),
	}
	hc := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(rt, mw...),
		// Redirects are the middleware's to follow; attempts are bounded
		// by the retry transport, which may wait longer than any one
		// request timeout should.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	parse := absser.NewParseNodeFactoryRegistry()
	parse.ContentTypeAssociatedFactories["application/json"] = jsonser.NewJsonParseNodeFactory()
	write := absser.NewSerializationWriterFactoryRegistry()
	write.ContentTypeAssociatedFactories["application/json"] = jsonser.NewJsonSerializationWriterFactory()
	adapter, err := khttp.NewNetHttpRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, parse, write, hc)
	if err != nil {
		return nil, fmt.Errorf("graph client: %w", err)
	}
	adapter.SetBaseUrl(ep.root + "/v1.0")
	size := cfg.PageSize
	if size <= 0 || size > maxPage {
		size = maxPage
	}
	return &Client{adapter: adapter, ep: ep, pageSize: int32(size), retry: rt}, nil
}

// prepare checks cfg's endpoint and builds the HTTP transport and the
// credential, whose own HTTP client trusts the same roots.
func prepare(cfg *Config) (endpoint, *http.Transport, azcore.TokenCredential, error) {
	ep, err := parseEndpoint(cfg.Endpoint, cfg.AuthorityHost)
	if err != nil {
		return ep, nil, nil, err
	}
	base, err := baseTransport(*cfg)
	if err != nil {
		return ep, nil, nil, err
	}
	cred, err := credential(cfg, ep, &http.Client{Transport: base, Timeout: 2 * time.Minute})
	return ep, base, cred, err
}

// maxPage is Graph's largest $top for users.
const maxPage = 999

// Endpoint is the service root the client talks to, e.g.
// https://graph.microsoft.com.
func (c *Client) Endpoint() string { return c.ep.root }

// baseTransport is the HTTP transport under the retries.
func baseTransport(cfg Config) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ForceAttemptHTTP2 = true
	t.MaxIdleConnsPerHost = 4
	if cfg.DialContext != nil {
		t.DialContext = cfg.DialContext
	}
	if cfg.CAFile != "" {
		pem, err := pipeline.ReadSmallFile(cfg.CAFile, "a CA file", 4<<20)
		if err != nil {
			return nil, fmt.Errorf("graph CA file: %w", err)
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("graph CA file %s: no PEM certificates in it", cfg.CAFile)
		}
		t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return t, nil
}

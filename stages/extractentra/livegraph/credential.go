package livegraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"syncgap/pipeline"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// credential builds the azidentity credential for cfg.Auth. Its HTTP
// client trusts the same roots as Graph's, so a test server can play the
// sign-in host too.
func credential(cfg *Config, ep endpoint, hc *http.Client) (azcore.TokenCredential, error) {
	if cfg.Credential != nil {
		return cfg.Credential, nil
	}
	if cfg.Auth == AuthAccessToken {
		if cfg.Secrets.AccessToken == "" {
			return nil, errors.New("graph sign-in: the access token is empty")
		}
		return staticToken(cfg.Secrets.AccessToken), nil
	}
	if ep.authority == "" {
		return nil, fmt.Errorf("graph sign-in: no known sign-in host for %s: give the authority host (e.g. https://login.microsoftonline.us/)", ep.root)
	}
	opts := azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: ep.authority}, Transport: hc}
	noDiscovery := !ep.knownAuthority()
	switch cfg.Auth {
	case AuthClientSecret:
		if cfg.Secrets.ClientSecret == "" {
			return nil, errors.New("graph sign-in: the client secret is empty")
		}
		c, err := azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.Secrets.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		if err != nil {
			return nil, fmt.Errorf("graph sign-in: %w", err)
		}
		return c, nil
	case AuthCertificate:
		data, err := pipeline.ReadSmallFile(cfg.CertFile, "a certificate file", 1<<20)
		if err != nil {
			return nil, fmt.Errorf("graph sign-in: read certificate: %w", err)
		}
		certs, key, err := azidentity.ParseCertificates(data, []byte(cfg.Secrets.CertPassword))
		if err != nil {
			// The parser's own message never includes the password.
			hint := ""
			if strings.Contains(err.Error(), "unknown digest algorithm") {
				// OpenSSL 3 and recent Windows encrypt PKCS#12 with AES and
				// SHA-256, which azidentity's parser does not read.
				hint = " (a PKCS#12 file with AES/SHA-256 encryption, which azidentity cannot read: re-export it with 'openssl pkcs12 -export -legacy', or give the certificate and key as PEM)"
			}
			return nil, fmt.Errorf("graph sign-in: certificate %s: %w%s", cfg.CertFile, err, hint)
		}
		c, err := azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: noDiscovery})
		if err != nil {
			return nil, fmt.Errorf("graph sign-in: %w", err)
		}
		return c, nil
	case AuthDeviceCode:
		c, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
			ClientOptions: opts, TenantID: cfg.TenantID, ClientID: cfg.ClientID, DisableInstanceDiscovery: noDiscovery,
			UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
				cfg.prompt(m.Message)
				return nil
			},
		})
		if err != nil {
			return nil, fmt.Errorf("graph sign-in: %w", err)
		}
		return c, nil
	case AuthInteractive:
		return newBrowserSignIn(cfg, opts, noDiscovery)
	}
	return nil, fmt.Errorf("graph sign-in: unknown method %q (want %s, %s, %s, %s or %s)", cfg.Auth,
		AuthClientSecret, AuthCertificate, AuthInteractive, AuthDeviceCode, AuthAccessToken)
}

// prompt shows a sign-in instruction to the person signing in.
func (cfg *Config) prompt(msg string) {
	if cfg.Prompt != nil {
		cfg.Prompt(msg)
		return
	}
	slog.Warn("sign in to Graph", "instruction", msg)
}

// staticToken is a token obtained beforehand. Its expiry is not known
// here; Graph says when it has passed, and the error says what to do.
type staticToken string

func (t staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func (staticToken) String() string { return "[redacted]" }

// SignInError is a failed sign-in in one line: the credential, Entra ID's
// error code and description, and the endpoint that answered.
// azidentity's own message spans a dozen lines with a dump of the
// response.
type SignInError struct {
	msg string
	err error
}

func (e *SignInError) Error() string { return e.msg }
func (e *SignInError) Unwrap() error { return e.err }

// signInError rewrites an azidentity failure, or returns nil for other errors.
func signInError(err error) error {
	var se *SignInError
	if errors.As(err, &se) {
		return se
	}
	var af *azidentity.AuthenticationFailedError
	if !errors.As(err, &af) {
		return nil
	}
	full := af.Error()
	cred, _, _ := strings.Cut(full, " ")
	cred = strings.TrimSuffix(cred, ":")
	resp := af.RawResponse
	if resp == nil {
		return &SignInError{msg: "graph sign-in: " + oneLine(full), err: err}
	}
	var body struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
	}
	if b, perr := runtime.Payload(resp); perr == nil {
		json.Unmarshal(b, &body)
	}
	msg := fmt.Sprintf("graph sign-in (%s): %d", cred, resp.StatusCode)
	if body.Code != "" {
		msg += " " + body.Code
	}
	if body.Description != "" {
		msg += ": " + oneLine(body.Description)
	}
	if r := resp.Request; r != nil {
		msg += fmt.Sprintf(" (%s %s://%s%s)", r.Method, r.URL.Scheme, r.URL.Host, r.URL.Path)
	}
	return &SignInError{msg: msg, err: err}
}

// oneLine collapses runs of white space, line breaks included.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

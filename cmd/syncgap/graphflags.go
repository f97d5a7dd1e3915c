package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/spf13/pflag"

	"syncgap/pipeline"
	"syncgap/stages/extractentra"
	"syncgap/stages/extractentra/livegraph"
)

// graphFlags select a live Microsoft Graph source for extract-entra and
// audit. Secrets are never flag values (they would show in ps, shell
// history and CI logs): flags name the environment variable or file
// holding them.
type graphFlags struct {
	live                  bool
	endpoint, caFile      string
	authority             string
	tenantID, clientID    string
	secretEnv, tokenEnv   string
	certFile, certPassEnv string
	deviceCode            bool
	interactive           bool
}

const graphHelp = `
Live Graph (--graph) reads the users with $select of exactly the properties
the audit needs, $top=999, following @odata.nextLink to the end, and the
tenant's onPremisesSynchronization features, through msgraph-sdk-go.
Sign in with exactly one of:
  --interactive             a person signs in in the web browser that opens
                            on this machine, with MFA as the tenant asks
  --device-code             a person signs in on another device (Conditional
                            Access often blocks this)
  --client-secret-env VAR   an app registration's secret, from the environment
  --cert-file FILE          its certificate and key (PEM or PKCS#12), with
                            --cert-password-env VAR if the file is protected
  --access-token-env VAR    a token from e.g. az account get-access-token
                            --resource-type ms-graph --query accessToken -o tsv
` + graphPermissions + `
Throttling (429, 503, 504) is retried as Retry-After says, within a bounded
total wait. --export may still add an MSOnline CSV for AlternateMobilePhones,
which Graph does not expose. Try it without a tenant against
'syncgap fixtures serve-graph'.`

// graphPermissions is what each use of Graph needs, as Microsoft documents
// it for the onPremisesSynchronization API (docs/inputs.md, "Facts").
const graphPermissions = `Microsoft Graph permissions of the app registration:
  reading users (audit, extract-entra)
      User.Read.All
  reading the tenant flag (audit, extract-entra)
      OnPremDirectorySynchronization.Read.All. Microsoft documents it as
      delegated, with a Global Administrator signed in; when it is refused
      the users are still read and the flag is recorded as unknown.
  enabling the flag (apply)
      OnPremDirectorySynchronization.ReadWrite.All, delegated, with a Global
      Administrator signed in (--interactive or --device-code); Microsoft
      documents no other role and no app-only permission for it.
For --interactive, register http://localhost as a redirect URI of the
platform "Mobile and desktop applications" (any port matches); for
--device-code, turn on "Allow public client flows". Without --client-id,
--interactive and --device-code sign in through Microsoft's Azure CLI app.`

func (g *graphFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&g.live, "graph", false, "read users and tenant features live from Microsoft Graph")
	fs.StringVar(&g.endpoint, "graph-endpoint", livegraph.DefaultEndpoint,
		"Graph service root: national clouds https://graph.microsoft.us, https://dod-graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn")
	fs.StringVar(&g.caFile, "graph-ca-file", "", "PEM file of extra CA certificates to trust for Graph and sign-in (TLS stays verified)")
	fs.StringVar(&g.authority, "authority-host", "", "Entra ID sign-in host, when the endpoint does not imply it (e.g. https://login.microsoftonline.us/)")
	fs.StringVar(&g.tenantID, "tenant-id", "", "Entra tenant id (or a verified domain)")
	fs.StringVar(&g.clientID, "client-id", "", "application (client) id of the app registration")
	fs.StringVar(&g.secretEnv, "client-secret-env", "", "name of the environment variable holding the client secret")
	fs.StringVar(&g.certFile, "cert-file", "", "certificate with private key, PEM or PKCS#12")
	fs.StringVar(&g.certPassEnv, "cert-password-env", "", "name of the environment variable holding the certificate's password")
	fs.BoolVar(&g.interactive, "interactive", false, "sign in as a person in the web browser that opens here (MFA; redirect URI http://localhost)")
	fs.BoolVar(&g.deviceCode, "device-code", false, "sign in as a person with a device code, on another device")
	fs.StringVar(&g.tokenEnv, "access-token-env", "", "name of the environment variable holding an access token for Graph")
}

// entraSource returns the extract-entra stage for the flags: export files,
// or live Graph plus optional exports.
func entraSource(g *graphFlags, fs *pflag.FlagSet, exports []string, features string) (pipeline.Stage, error) {
	if !g.live {
		for _, name := range []string{"graph-endpoint", "graph-ca-file", "authority-host", "tenant-id", "client-id",
			"client-secret-env", "cert-file", "cert-password-env", "interactive", "device-code", "access-token-env"} {
			if fs.Changed(name) {
				return nil, fmt.Errorf("--%s is for live Graph: add --graph", name)
			}
		}
		if len(exports) == 0 {
			return nil, errors.New("give the Entra side: --export PATH (repeatable) or --graph")
		}
		return extractentra.Stage.With(extractentra.Config{Exports: exports, TenantFeatures: features}), nil
	}
	if features != "" {
		return nil, errors.New("--tenant-features is read live with --graph: leave it out")
	}
	cfg, err := g.config(exports)
	if err != nil {
		return nil, err
	}
	return livegraph.Stage.With(cfg), nil
}

// config builds the live Graph configuration, reading secrets from the
// environment.
func (g *graphFlags) config(exports []string) (livegraph.Config, error) {
	cfg := livegraph.Config{
		Endpoint: g.endpoint, CAFile: g.caFile, AuthorityHost: g.authority,
		TenantID: g.tenantID, ClientID: g.clientID, CertFile: g.certFile, Exports: exports,
		Prompt: func(msg string) { fmt.Fprintln(os.Stderr, msg) },
	}
	n := 0
	if g.secretEnv != "" {
		n++
		cfg.Auth = livegraph.AuthClientSecret
	}
	if g.certFile != "" {
		n++
		cfg.Auth = livegraph.AuthCertificate
	}
	if g.deviceCode {
		n++
		cfg.Auth = livegraph.AuthDeviceCode
	}
	if g.interactive {
		n++
		cfg.Auth = livegraph.AuthInteractive
	}
	if g.tokenEnv != "" {
		n++
		cfg.Auth = livegraph.AuthAccessToken
	}
	if n != 1 {
		return cfg, errors.New("--graph needs exactly one sign-in: --interactive, --device-code, --client-secret-env VAR, --cert-file FILE or --access-token-env VAR")
	}
	if g.certPassEnv != "" && cfg.Auth != livegraph.AuthCertificate {
		return cfg, errors.New("--cert-password-env goes with --cert-file")
	}
	if cfg.Auth != livegraph.AuthAccessToken && cfg.TenantID == "" {
		return cfg, errors.New("--graph needs --tenant-id to sign in")
	}
	if (cfg.Auth == livegraph.AuthClientSecret || cfg.Auth == livegraph.AuthCertificate) && cfg.ClientID == "" {
		return cfg, errors.New("--graph needs --client-id of the app registration")
	}
	if cfg.Auth == livegraph.AuthInteractive {
		// Now, not when the sign-in comes: apply signs in to Graph only
		// after writing to AD.
		if err := livegraph.CheckBrowser(); err != nil {
			return cfg, err
		}
	}
	var err error
	switch cfg.Auth {
	case livegraph.AuthClientSecret:
		cfg.Secrets.ClientSecret, err = secretFromEnv("client-secret-env", g.secretEnv, true)
	case livegraph.AuthCertificate:
		if g.certPassEnv != "" {
			cfg.Secrets.CertPassword, err = secretFromEnv("cert-password-env", g.certPassEnv, false)
		}
	case livegraph.AuthAccessToken:
		cfg.Secrets.AccessToken, err = secretFromEnv("access-token-env", g.tokenEnv, true)
	}
	return cfg, err
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretFromEnv reads the variable a --*-env flag names. A value that is
// not a variable name is most likely the secret itself pasted in by
// mistake, so it is not repeated in the error.
func secretFromEnv(flag, name string, required bool) (string, error) {
	if !envName.MatchString(name) {
		return "", fmt.Errorf("--%s takes the name of an environment variable holding the secret, not the secret itself", flag)
	}
	v, ok := os.LookupEnv(name)
	if required && v == "" {
		if ok {
			return "", fmt.Errorf("--%s: environment variable %s is empty", flag, name)
		}
		return "", fmt.Errorf("--%s: environment variable %s is not set", flag, name)
	}
	return v, nil
}

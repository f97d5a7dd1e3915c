package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"syncgap/ldapconn"
	"syncgap/pipeline"
	"syncgap/stages/extractad"
)

// ldapFlags are how a command reaches and binds to AD. extract-ad and audit
// read with them, apply and verify write and read back with the same flags.
// The password is never a flag value: it comes from an environment
// variable, a file, or a prompt on the terminal; with --kerberos there is none.
type ldapFlags struct {
	url            string
	startTLS       bool
	caFile         string
	insecure       bool
	bindID         string
	passwordEnv    string
	passwordFile   string
	allowPlaintext bool
	kerberos       bool
	keytab         string
	spn            string
	connectTimeout time.Duration
	requestTimeout time.Duration
}

func addLDAPFlags(cmd *cobra.Command) *ldapFlags {
	f := &ldapFlags{}
	fs := cmd.Flags()
	fs.StringVar(&f.url, "ldap", "", "live AD: ldaps://host[:port] or ldap://host[:port]")
	fs.BoolVar(&f.startTLS, "starttls", false, "upgrade an ldap:// connection with StartTLS before binding")
	fs.StringVar(&f.caFile, "ca-file", "", "PEM file of the CA certificates to trust for the DC's certificate (default: the system's)")
	fs.BoolVar(&f.insecure, "insecure-skip-verify", false, "accept any server certificate (lab use only: the password can be intercepted)")
	fs.StringVar(&f.bindID, "bind-dn", "", `bind as this account: a DN or UPN (simple bind) or DOMAIN\user (NTLM bind); with --keytab the keytab's user@REALM; none: anonymous`)
	fs.StringVar(&f.passwordEnv, "password-env", "", "read the bind password from this environment variable")
	fs.StringVar(&f.passwordFile, "password-file", "", "read the bind password from this file (one line)")
	fs.BoolVar(&f.allowPlaintext, "allow-plaintext-bind", false, "allow a simple bind over ldap:// without TLS (sends the password in clear text)")
	fs.BoolVar(&f.kerberos, "kerberos", false, "sign in with Kerberos, no password: the logged-on user on Windows, the ticket cache (KRB5CCNAME, from kinit) elsewhere, or --keytab")
	fs.StringVar(&f.keytab, "keytab", "", "with --kerberos: sign in from this keytab as --bind-dn user@REALM (KRB5_CONFIG names the Kerberos configuration)")
	fs.StringVar(&f.spn, "spn", "", "with --kerberos: the DC's LDAP service principal (default: ldap/<host of the --ldap URL>)")
	fs.DurationVar(&f.connectTimeout, "connect-timeout", ldapconn.DefaultDialTimeout, "give up connecting (TCP, TLS and bind) after this long")
	fs.DurationVar(&f.requestTimeout, "request-timeout", ldapconn.DefaultRequestTimeout, "give up on one request (e.g. a result page) after this long")
	cmd.Long += kerberosHelp
	cmd.Example += "\n\n" + kerberosExample(cmd.Name())
	return f
}

const kerberosHelp = `

Kerberos: --kerberos signs in without a password. On a domain-joined
Windows machine it is the logged-on user (SSPI); elsewhere the ticket that
kinit put in the ticket cache (KRB5CCNAME), or --keytab FILE with --bind-dn
user@REALM. The DC's service principal is ldap/<host of the URL>, so give
the DC's DNS name in the URL (not an IP address), or --spn. Over ldaps://
or StartTLS the sign-in is bound to the TLS channel; over plain ldap://
every message is signed, as DCs that require LDAP signing want, but not
encrypted: prefer ldaps://. The manifest records the method and principal.`

// kerberosExample is the one-line Kerberos example of each LDAP command.
func kerberosExample(name string) string {
	switch name {
	case "audit":
		return `  # on a domain-joined Windows machine: no password and no --base (the DC names its domain)
  syncgap audit --ldap ldaps://dc01.contoso.com --kerberos --export graph/ --out snap/`
	case "extract-ad":
		return `  # Kerberos from the ticket cache (run kinit first); the base is the DC's own domain
  kinit svc-syncgap@CONTOSO.COM
  syncgap extract-ad --ldap ldaps://dc01.contoso.com --kerberos --out snap/`
	case "apply":
		return `  # Kerberos: the logged-on Windows user, or kinit's ticket elsewhere
  syncgap apply --snapshot snap/ --ldap ldaps://dc01.contoso.com --kerberos --execute`
	}
	return "  # Kerberos: the logged-on Windows user, or kinit's ticket elsewhere\n  syncgap " + name +
		" --snapshot snap/ --ldap ldaps://dc01.contoso.com --kerberos"
}

// config returns the connection settings with the password resolved. It
// refuses a plaintext simple bind before asking for a password.
func (f *ldapFlags) config() (ldapconn.Config, error) {
	cfg := ldapconn.Config{
		URL: f.url, StartTLS: f.startTLS, CAFile: f.caFile, InsecureSkipVerify: f.insecure,
		BindID: f.bindID, AllowPlaintextBind: f.allowPlaintext,
		Kerberos: f.kerberos, Keytab: f.keytab, SPN: f.spn,
		DialTimeout: f.connectTimeout, RequestTimeout: f.requestTimeout,
	}
	if f.connectTimeout <= 0 || f.requestTimeout <= 0 {
		return cfg, errors.New("--connect-timeout and --request-timeout must be positive")
	}
	if f.kerberos || f.keytab != "" || f.spn != "" {
		return f.kerberosConfig(cfg)
	}
	// Validate wants a password with a bind identity; any stands in for the
	// real one, which is only asked for once the rest is known to be usable.
	probe := cfg
	if probe.BindID != "" {
		probe.Password = "-"
	}
	if err := probe.Validate(); err != nil {
		return cfg, ldapHint(err)
	}
	pw, err := f.password(cfg)
	if err != nil {
		return cfg, err
	}
	cfg.Password = pw
	if f.insecure {
		slog.Warn("TLS CERTIFICATE VERIFICATION IS OFF (--insecure-skip-verify): anyone on the network path can impersonate the server and capture the bind password; use --ca-file instead",
			"server", cfg.Server())
	}
	return cfg, nil
}

// kerberosConfig checks the Kerberos flags and finds the principal, which
// also tells a missing or expired ticket before anything is sent.
func (f *ldapFlags) kerberosConfig(cfg ldapconn.Config) (ldapconn.Config, error) {
	switch {
	case !f.kerberos:
		return cfg, errors.New("--keytab and --spn are for --kerberos")
	case f.passwordEnv != "" || f.passwordFile != "":
		return cfg, errors.New("--kerberos signs in with a ticket, not a password: drop --password-env/--password-file")
	case f.allowPlaintext:
		return cfg, errors.New("--allow-plaintext-bind is for simple binds: a Kerberos bind sends no password")
	case f.bindID != "" && f.keytab == "":
		return cfg, errors.New("--bind-dn with --kerberos names the principal of a --keytab; without one the ticket cache says who signs in")
	case f.keytab != "" && f.bindID == "":
		return cfg, errors.New("--keytab needs --bind-dn user@REALM, the principal whose keys it holds")
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	who, err := ldapconn.KerberosPrincipal(cfg)
	if err != nil {
		return cfg, ldapHint(err)
	}
	cfg.BindID = who
	if f.insecure {
		slog.Warn("TLS CERTIFICATE VERIFICATION IS OFF (--insecure-skip-verify): anyone on the network path can impersonate the server; use --ca-file instead",
			"server", cfg.Server())
	}
	return cfg, nil
}

// password reads the bind password from the one source given, or asks for it
// on the terminal. Messages name the source, never the value.
func (f *ldapFlags) password(cfg ldapconn.Config) (string, error) {
	if f.passwordEnv != "" && f.passwordFile != "" {
		return "", errors.New("give --password-env or --password-file, not both")
	}
	if f.bindID == "" {
		if f.passwordEnv != "" || f.passwordFile != "" {
			return "", errors.New("a password source was given without --bind-dn")
		}
		return "", nil
	}
	switch {
	case f.passwordEnv != "":
		pw := os.Getenv(f.passwordEnv)
		if pw == "" {
			return "", fmt.Errorf("--password-env: environment variable %s is not set or empty", f.passwordEnv)
		}
		return pw, nil
	case f.passwordFile != "":
		b, err := pipeline.ReadSmallFile(f.passwordFile, "a password file", maxPasswordFile)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		// One line, as `echo` or an editor writes it: the line end is not part of the password.
		pw := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if pw == "" {
			return "", fmt.Errorf("--password-file: %s is empty", f.passwordFile)
		}
		return pw, nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return "", fmt.Errorf("no password for %s: give --password-env VAR or --password-file FILE (standard input is not a terminal, so syncgap cannot ask)", f.bindID)
	}
	fmt.Fprintf(os.Stderr, "Password for %s at %s: ", f.bindID, cfg.Server())
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if len(b) == 0 {
		return "", errors.New("empty password")
	}
	return string(b), nil
}

// maxPasswordFile bounds --password-file: a password is a line, not a file.
const maxPasswordFile = 64 << 10

// ldapHint adds the flags that resolve a refusal.
func ldapHint(err error) error {
	switch {
	case errors.Is(err, ldapconn.ErrPlaintextBind):
		return fmt.Errorf(`%w: use ldaps://, --starttls, --kerberos or an NTLM bind (--bind-dn DOMAIN\user), or pass --allow-plaintext-bind to accept that`, err)
	case errors.Is(err, ldapconn.ErrNoTicket), errors.Is(err, ldapconn.ErrTicketExpired):
		return fmt.Errorf("%w, or give --keytab FILE --bind-dn user@REALM", err)
	}
	return err
}

// adSourceFlags choose where extract-ad reads AD users: an LDIF export or a
// live directory, exactly one.
type adSourceFlags struct {
	ldif         string
	allowMissing bool
	ldap         *ldapFlags
	base         string
	filter       string
	scope        string
	pageSize     int
}

func addADSourceFlags(cmd *cobra.Command) *adSourceFlags {
	f := &adSourceFlags{}
	cmd.Flags().StringVar(&f.ldif, "ldif", "", "LDIF export with the AD users")
	cmd.Flags().BoolVar(&f.allowMissing, "allow-missing-attributes", false,
		"read an export or directory in which no user has mobile or otherMobile, objectGUID or userPrincipalName (a directory that truly has none)")
	f.ldap = addLDAPFlags(cmd)
	cmd.Flags().StringVar(&f.base, "base", "", "with --ldap: the DN to search under, e.g. OU=Staff,DC=contoso,DC=com (default: the DC's domain, its rootDSE's defaultNamingContext)")
	cmd.Flags().StringVar(&f.filter, "filter", extractad.DefaultFilter, "with --ldap: LDAP filter selecting the users")
	cmd.Flags().StringVar(&f.scope, "scope", extractad.ScopeSub, "with --ldap: search scope: sub, one or base")
	cmd.Flags().IntVar(&f.pageSize, "page-size", extractad.DefaultPageSize, "with --ldap: entries per result page (AD sends at most its MaxPageSize, by default 1000)")
	cmd.MarkFlagsMutuallyExclusive("ldif", "ldap")
	cmd.MarkFlagsOneRequired("ldif", "ldap")
	return f
}

// ldapOnlyFlags make no sense with --ldif; giving one is a mistake worth saying.
var ldapOnlyFlags = []string{"base", "filter", "scope", "page-size", "starttls", "ca-file", "insecure-skip-verify",
	"bind-dn", "password-env", "password-file", "allow-plaintext-bind", "kerberos", "keytab", "spn", "connect-timeout", "request-timeout"}

// stage returns the extract-ad stage for the chosen source. The password
// stays inside the stage value; the manifest records where and as whom.
func (f *adSourceFlags) stage(cmd *cobra.Command) (pipeline.Stage, error) {
	if f.ldif != "" {
		for _, name := range ldapOnlyFlags {
			if cmd.Flags().Changed(name) {
				return nil, fmt.Errorf("--%s is for --ldap, not --ldif", name)
			}
		}
		return extractad.LDIFStage.With(extractad.LDIFConfig{LDIF: f.ldif, AllowMissingAttributes: f.allowMissing}), nil
	}
	q := extractad.LDAPQuery{Base: f.base, Filter: f.filter, Scope: f.scope, PageSize: f.pageSize}
	if f.pageSize < 1 {
		return nil, errors.New("--page-size must be 1 or more")
	}
	// Check the search before asking for a password.
	if err := (&extractad.LDAPSource{Conn: ldapconn.Config{URL: f.ldap.url}, Query: q}).Validate(); err != nil {
		return nil, err
	}
	cfg, err := f.ldap.config()
	if err != nil {
		return nil, err
	}
	return extractad.LDAPStage.With(extractad.LDAPSource{Conn: cfg, Query: q, AllowMissingAttributes: f.allowMissing}), nil
}

// Package ldapconn connects and binds to an Active Directory domain controller
// over LDAP, LDAPS or StartTLS: simple, NTLM and Kerberos binds, TLS verification, and
// errors that say in one line what to fix. Extraction, apply and verify
// share it, so the rules about TLS and passwords live in one place.
package ldapconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Config says how to reach and bind to a directory server. Extraction
// and the later AD writes share it, so the rules about TLS and passwords
// live in one place.
type Config struct {
	// URL is ldap://host[:port] or ldaps://host[:port]; it must not carry credentials.
	URL string
	// StartTLS upgrades an ldap:// connection to TLS before binding.
	StartTLS bool
	// CAFile is a PEM file of the CA certificates to trust instead of the system's.
	CAFile string
	// InsecureSkipVerify accepts any server certificate (for a lab, never production).
	InsecureSkipVerify bool
	// BindID names the account: a DN or UPN for a simple bind, DOMAIN\user
	// for an NTLM bind; empty binds anonymously.
	BindID string
	// Password is the account's password. It is never logged, recorded in a
	// manifest or put into an error message.
	Password string
	// Kerberos binds with SASL GSSAPI instead of a password: as BindID
	// (user@REALM) from Keytab if given, else as the signed-in user (the
	// ticket cache KRB5CCNAME names; on Windows the logon session). Over
	// ldap:// every message after the bind is signed.
	Kerberos bool
	// Keytab is a keytab file holding BindID's keys, for a Kerberos bind.
	Keytab string
	// SPN is the directory's Kerberos service principal; ldap/<host of the URL> when empty.
	SPN string
	// AllowPlaintextBind permits a simple bind over ldap:// without TLS,
	// which sends the password in clear text.
	AllowPlaintextBind bool
	// DialTimeout bounds connecting: TCP, TLS handshake, StartTLS and bind.
	DialTimeout time.Duration
	// RequestTimeout bounds each request after the bind, e.g. one result page.
	RequestTimeout time.Duration
}

// Default timeouts for a zero Config field.
const (
	DefaultDialTimeout    = 15 * time.Second
	DefaultRequestTimeout = 2 * time.Minute
)

// Bind methods, as recorded in the manifest.
const (
	BindAnonymous = "anonymous"
	BindSimple    = "simple"
	BindNTLM      = "ntlm"
	BindKerberos  = "kerberos"
)

// Errors that callers match with errors.Is, e.g. to add a hint naming CLI flags.
var (
	// ErrPlaintextBind is a simple bind that would send the password unencrypted.
	ErrPlaintextBind = errors.New("a simple bind over ldap:// without TLS would send the password in clear text")
	// ErrInvalidCredentials is LDAP result 49: wrong password, unknown, locked or expired account.
	ErrInvalidCredentials = errors.New("invalid credentials")
)

// BindMethod tells how Connect binds: Kerberos when asked, NTLM for
// DOMAIN\user, simple for a DN or UPN, anonymous without a bind identity.
func (c Config) BindMethod() string {
	switch {
	case c.Kerberos:
		return BindKerberos
	case c.BindID == "":
		return BindAnonymous
	case strings.Contains(c.BindID, `\`) && !strings.Contains(c.BindID, "="):
		// A DN may hold an escaped backslash, but DOMAIN\user has no "=".
		return BindNTLM
	default:
		return BindSimple
	}
}

// Server returns the URL reduced to scheme://host:port: what an ad_users
// row records as its origin and what messages name. It holds no credentials.
func (c Config) Server() string {
	u, err := parseLDAPURL(c.URL)
	if err != nil {
		return "(bad LDAP URL)"
	}
	return u.Scheme + "://" + u.Host
}

// Validate checks the configuration without touching the network.
func (c Config) Validate() error {
	u, err := parseLDAPURL(c.URL)
	if err != nil {
		return err
	}
	if c.StartTLS && u.Scheme == "ldaps" {
		return errors.New("StartTLS is for ldap:// URLs; an ldaps:// connection is already encrypted")
	}
	if c.Kerberos {
		return c.validateKerberos()
	}
	if c.Keytab != "" || c.SPN != "" {
		return errors.New("a keytab or service principal was given without Kerberos")
	}
	if c.BindID == "" && c.Password != "" {
		return errors.New("a password was given without a bind identity")
	}
	if c.BindID != "" && c.Password == "" {
		// go-ldap would send an unauthenticated bind, which AD accepts and then answers nothing.
		return fmt.Errorf("no password for %s", c.BindID)
	}
	if c.BindMethod() == BindNTLM {
		if d, user, _ := strings.Cut(c.BindID, `\`); d == "" || user == "" {
			return fmt.Errorf("NTLM bind identity %q: want DOMAIN\\user", c.BindID)
		}
	}
	if c.BindMethod() == BindSimple && u.Scheme == "ldap" && !c.StartTLS && !c.AllowPlaintextBind {
		return fmt.Errorf("bind to %s as %s: %w", c.Server(), c.BindID, ErrPlaintextBind)
	}
	return nil
}

// parseLDAPURL accepts ldap:// and ldaps:// URLs with a host and fills in the default port.
func parseLDAPURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("no LDAP URL given")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the whole input, and an input holding user:password@ must not be echoed.
		return nil, errors.New("LDAP URL does not parse: want ldap://host[:port] or ldaps://host[:port]")
	}
	if u.User != nil {
		return nil, errors.New("LDAP URL must not carry credentials: give the bind identity and password separately")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "ldap" && u.Scheme != "ldaps" {
		return nil, fmt.Errorf("LDAP URL scheme %q: want ldap:// or ldaps://", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("LDAP URL %s://…: no host", u.Scheme)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		// An RFC 4516 URL may carry base, attributes and filter; they have their own options here.
		return nil, fmt.Errorf("LDAP URL %s://%s: give only scheme, host and port (base and filter are separate options)", u.Scheme, u.Host)
	}
	if u.Port() == "" {
		port := ldap.DefaultLdapPort
		if u.Scheme == "ldaps" {
			port = ldap.DefaultLdapsPort
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	return u, nil
}

// Connect dials the server, sets up TLS (ldaps:// or StartTLS), binds and
// returns the connection with cfg.RequestTimeout applied to later requests.
// Errors name the server and, for a failed bind, the bind identity; never the password.
func Connect(ctx context.Context, cfg Config) (*ldap.Conn, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := parseLDAPURL(cfg.URL)
	server := cfg.Server()
	dialTimeout := cfg.DialTimeout
	if dialTimeout <= 0 {
		dialTimeout = DefaultDialTimeout
	}
	reqTimeout := cfg.RequestTimeout
	if reqTimeout <= 0 {
		reqTimeout = DefaultRequestTimeout
	}
	var tlsConf *tls.Config
	if u.Scheme == "ldaps" || cfg.StartTLS {
		var err error
		if tlsConf, err = cfg.tlsConfig(u.Hostname()); err != nil {
			return nil, err
		}
	}

	// Kerberos talks to the KDC first, so that its waits do not count
	// against the LDAP connection's deadline.
	var gss gssContext
	if cfg.BindMethod() == BindKerberos {
		var err error
		if gss, err = newGSSContext(cfg, cfg.spn(u.Hostname())); err != nil {
			return nil, err
		}
		cfg.BindID = gss.principal() // what messages name
	}
	closeGSS := func() {
		if gss != nil {
			gss.close()
		}
	}

	// Everything up to the end of the bind shares one deadline, set on the
	// raw connection: go-ldap's own timeouts cover neither the StartTLS
	// handshake nor a server that accepts TCP and then says nothing.
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	d := &net.Dialer{}
	raw, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		closeGSS()
		return nil, connectError(ctx, server, dialTimeout, err)
	}
	raw.SetDeadline(deadline)
	// A cancelled context (Ctrl-C) must also interrupt a handshake or bind in progress.
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	rc := &rawConn{c: raw}
	fail := func(err error) (*ldap.Conn, error) {
		rc.c.Close()
		closeGSS()
		return nil, connectError(ctx, server, dialTimeout, err)
	}
	if u.Scheme == "ldaps" {
		tc := tls.Client(raw, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(fmt.Errorf("TLS handshake: %w", err))
		}
		rc.c = tc
	}
	if cfg.StartTLS {
		if _, err := rc.startTLS(ctx, tlsConf); err != nil {
			return fail(fmt.Errorf("StartTLS: %w", err))
		}
	}
	var bindErr error
	switch cfg.BindMethod() {
	case BindNTLM:
		domain, user, _ := strings.Cut(cfg.BindID, `\`)
		bindErr = rc.ntlmBind(domain, user, cfg.Password)
	case BindKerberos:
		var signed *saslConn
		if signed, bindErr = rc.kerberosBind(gss, cfg.spn(u.Hostname())); signed != nil {
			rc.c = signed // it closes the context with the connection
		} else {
			closeGSS()
		}
	}
	conn := ldap.NewConn(rc.c, u.Scheme == "ldaps" || cfg.StartTLS)
	conn.Start()
	conn.SetTimeout(dialTimeout)
	if bindErr == nil && cfg.BindMethod() == BindSimple {
		bindErr = conn.Bind(cfg.BindID, cfg.Password)
	}
	if bindErr != nil {
		conn.Close()
		return nil, bindError(ctx, cfg, server, dialTimeout, bindErr)
	}
	if !stop() || ctx.Err() != nil {
		conn.Close()
		return nil, connectError(ctx, server, dialTimeout, ctx.Err())
	}
	raw.SetDeadline(time.Time{})
	conn.SetTimeout(reqTimeout)
	return conn, nil
}

// bindError turns a failed bind into one line naming the identity and server.
func bindError(ctx context.Context, cfg Config, server string, timeout time.Duration, err error) error {
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials):
		return fmt.Errorf("%w for %s at %s%s", ErrInvalidCredentials, cfg.BindID, server, adBindHint(err))
	case ldap.IsErrorAnyOf(err, ldap.LDAPResultStrongAuthRequired, ldap.LDAPResultConfidentialityRequired):
		return fmt.Errorf("%s refuses a %s bind without TLS (it requires signing or encryption): use ldaps:// or StartTLS: %w",
			server, cfg.BindMethod(), err)
	}
	return connectError(ctx, server, timeout, fmt.Errorf("%s bind as %s: %w", cfg.BindMethod(), cfg.BindID, err))
}

func (c Config) tlsConfig(host string) (*tls.Config, error) {
	conf := &tls.Config{ServerName: host, InsecureSkipVerify: c.InsecureSkipVerify}
	if c.CAFile != "" {
		pool, err := readCAFile(c.CAFile)
		if err != nil {
			return nil, err
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

// connectError says what failed while connecting, naming the server; a
// timeout says how long it waited, as "i/o timeout" alone does not.
func connectError(ctx context.Context, server string, timeout time.Duration, err error) error {
	// go-ldap reports a read that hit the deadline as plain text, so the
	// deadline having passed is the reliable sign of a timeout. (The
	// connection's deadline may fire a moment before the context's.)
	var ne net.Error
	deadline, ok := ctx.Deadline()
	if ok && !time.Now().Before(deadline) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("connect to %s: no answer within %s (is the server reachable and the port right?): %w", server, timeout, err)
	}
	return fmt.Errorf("connect to %s: %w", server, err)
}

// adBindHint decodes the "data NNN" code AD puts into a result-49
// diagnostic, which tells a wrong password from a locked or expired account.
func adBindHint(err error) string {
	var le *ldap.Error
	if !errors.As(err, &le) || le.Err == nil {
		return ""
	}
	msg := le.Err.Error()
	i := strings.Index(msg, "data ")
	if i < 0 {
		return ""
	}
	code, _, _ := strings.Cut(msg[i+5:], ",")
	why := map[string]string{
		"525": "user not found", "52e": "wrong password", "530": "logon not permitted at this time",
		"531": "logon not permitted from this workstation", "532": "password expired",
		"533": "account disabled", "701": "account expired", "773": "password must be changed",
		"775": "account locked out",
	}[strings.TrimSpace(code)]
	if why == "" {
		return ""
	}
	return " (" + why + ")"
}

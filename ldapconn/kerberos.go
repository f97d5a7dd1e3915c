package ldapconn

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// A Kerberos bind is SASL GSSAPI (RFC 4752) run on the bare connection,
// like the NTLM bind, rather than go-ldap's GSSAPIBind: go-ldap v3.4.15
// always selects "no security layer" and never wraps later traffic, so
// over plain ldap:// a DC that requires signing (AD's "LDAP server signing
// requirements", Samba's "ldap server require strong auth") refuses it.
// Here the client selects the integrity layer whenever the connection is
// not TLS, and every later LDAP message travels signed (saslConn); over
// ldaps:// or StartTLS it selects no layer, as AD requires, and binds the
// authenticator to the TLS channel (RFC 5929 tls-server-end-point), which
// a DC enforcing LDAP channel binding requires. docs/inputs.md, "Kerberos".

// Errors of a Kerberos sign-in that callers match with errors.Is, e.g. to
// add a hint naming CLI flags. Each message says what to do.
var (
	// ErrNoTicket is a ticket cache that is missing, empty or holds no TGT.
	ErrNoTicket = errors.New("no Kerberos ticket")
	// ErrTicketExpired is a ticket cache whose TGT has expired.
	ErrTicketExpired = errors.New("Kerberos ticket expired")
	// ErrUnknownSPN is a KDC that knows no service principal of that name.
	ErrUnknownSPN = errors.New("unknown Kerberos service principal")
	// ErrKDCUnreachable is a KDC that cannot be found or does not answer.
	ErrKDCUnreachable = errors.New("no Kerberos KDC answered")
)

// SASL security layers, the first octet of the layer negotiation (RFC 4752 section 3.3).
const (
	layerNone      = 1
	layerIntegrity = 2
)

// maxRecvBuffer is the largest wrapped buffer we accept, announced to the
// server in the layer negotiation: the most its three octets can say.
const maxRecvBuffer = 1<<24 - 1

// gssContext is a GSS-API Kerberos security context as the SASL GSSAPI
// mechanism uses it: the gokrb5 client (ticket cache or keytab) or, on
// Windows, SSPI with the logged-on user's credentials.
type gssContext interface {
	// start returns the first token for the server (the AP-REQ), bound to
	// the TLS channel when binding is not nil (tls-server-end-point data).
	start(binding []byte) ([]byte, error)
	// step takes the server's answer; done once the context is established.
	step(in []byte) (out []byte, done bool, err error)
	// wrap is GSS_Wrap with integrity only; unwrap checks and strips it.
	wrap(payload []byte) ([]byte, error)
	unwrap(token []byte) ([]byte, error)
	// principal is who the context signs in as (user@REALM).
	principal() string
	close()
}

// spn is the service principal Kerberos asks a ticket for: cfg.SPN, or
// ldap/<host of the URL>, which is what AD registers for a DC's DNS name.
func (c Config) spn(host string) string {
	if c.SPN != "" {
		return c.SPN
	}
	return "ldap/" + host
}

// validateKerberos checks a Kerberos configuration without touching the network.
func (c Config) validateKerberos() error {
	switch {
	case c.Password != "":
		return errors.New("a Kerberos bind uses a ticket or a keytab, not a password")
	case c.Keytab != "" && !strings.Contains(c.BindID, "@"):
		return fmt.Errorf("a keytab needs the principal whose keys it holds, as user@REALM (got %q)", c.BindID)
	case strings.ContainsAny(c.BindID, `\=`):
		return fmt.Errorf("Kerberos principal %q: want user@REALM, not a DN or DOMAIN\\user", c.BindID)
	case c.SPN != "" && !strings.Contains(c.SPN, "/"):
		return fmt.Errorf("service principal %q: want service/host, e.g. ldap/dc01.contoso.com", c.SPN)
	}
	return nil
}

// kerberosBind runs the SASL GSSAPI exchange on the bare connection. It
// returns the connection go-ldap is to use: the same one over TLS, or one
// that signs and checks every message when the integrity layer is in force.
func (r *rawConn) kerberosBind(gss gssContext, spn string) (wrapped *saslConn, err error) {
	tc, isTLS := r.c.(*tls.Conn)
	var binding []byte
	if isTLS {
		binding = tlsServerEndPoint(tc.ConnectionState().PeerCertificates)
	}
	out, err := gss.start(binding)
	if err != nil {
		return nil, err
	}
	var in []byte
	for done := false; ; {
		resp, err := r.exchange(saslBind("GSSAPI", out))
		if err != nil {
			return nil, err
		}
		if _, err := resultOf(resp, ldap.LDAPResultSaslBindInProgress); err != nil {
			return nil, err
		}
		in = serverSaslCreds(resp)
		if done {
			break
		}
		if out, done, err = gss.step(in); err != nil {
			return nil, fmt.Errorf("Kerberos reply of %s: %w", spn, err)
		}
	}
	// The server offers its security layers in a wrapped token (RFC 4752 section 3.1).
	offer, err := gss.unwrap(in)
	if err != nil {
		return nil, fmt.Errorf("security layer offer: %w", err)
	}
	if len(offer) != 4 {
		return nil, fmt.Errorf("security layer offer of %d bytes, want 4", len(offer))
	}
	serverMax := int(binary.BigEndian.Uint32(offer) & maxRecvBuffer)
	choice := make([]byte, 4)
	switch {
	case !isTLS && offer[0]&layerIntegrity != 0:
		// AD refuses signing inside TLS, and needs it outside.
		binary.BigEndian.PutUint32(choice, maxRecvBuffer)
		choice[0] = layerIntegrity
	case offer[0]&layerNone != 0:
		choice[0] = layerNone
	default:
		return nil, fmt.Errorf("the server offers security layers %#x, and syncgap supports none (1) and integrity (2)", offer[0])
	}
	reply, err := gss.wrap(choice)
	if err != nil {
		return nil, err
	}
	resp, err := r.exchange(saslBind("GSSAPI", reply))
	if err != nil {
		return nil, err
	}
	if _, err := resultOf(resp); err != nil {
		return nil, err
	}
	if choice[0] != layerIntegrity {
		return nil, nil
	}
	return newSASLConn(r.c, gss, serverMax), nil
}

// tlsServerEndPoint is the RFC 5929 channel binding of a TLS connection:
// "tls-server-end-point:" and the hash of the server's certificate, with
// the hash of its signature algorithm (SHA-256 for MD5 and SHA-1). It is
// nil when no hash is defined for the certificate (e.g. Ed25519).
func tlsServerEndPoint(certs []*x509.Certificate) []byte {
	if len(certs) == 0 {
		return nil
	}
	var h crypto.Hash
	switch certs[0].SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256, x509.DSAWithSHA256:
		h = crypto.SHA256
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = crypto.SHA512
	default:
		return nil
	}
	d := h.New()
	d.Write(certs[0].Raw)
	return append([]byte("tls-server-end-point:"), d.Sum(nil)...)
}

// newGSSContext signs in for a Kerberos bind to spn: from cfg.Keytab as
// cfg.BindID, else as the signed-in user (the ticket cache, or SSPI on
// Windows). It talks to the KDC, before any LDAP traffic.
func newGSSContext(cfg Config, spn string) (gssContext, error) {
	if cfg.Keytab != "" {
		return newKrb5Context(cfg, spn)
	}
	return logonContext(cfg, spn)
}

// KerberosPrincipal returns who a Kerberos bind with cfg signs in as:
// cfg.BindID with a keytab (whose file must be readable), else the
// signed-in user (the ticket cache's client, or the Windows logon). It
// reads only local files, so a missing or expired ticket is reported before
// any network traffic.
func KerberosPrincipal(cfg Config) (string, error) {
	if cfg.Keytab == "" {
		return logonPrincipal()
	}
	if _, err := keytab.Load(cfg.Keytab); err != nil {
		return "", fmt.Errorf("keytab %s: %v", cfg.Keytab, err)
	}
	return cfg.BindID, nil
}

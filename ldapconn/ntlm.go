package ldapconn

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/Azure/go-ntlmssp"
	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// The exchanges here run on the bare connection before go-ldap takes it
// over: go-ldap can only send its NTLM tokens as a "Sicily" bind, which
// Windows AD accepts and Samba does not, and its SASL bind names the
// GSSAPI mechanism only. SASL GSS-SPNEGO carrying raw NTLMSSP messages is
// what both accept. StartTLS has to come before that bind, so it runs here too.

// rawConn speaks LDAP on a connection go-ldap does not own yet.
type rawConn struct {
	c  net.Conn
	id int64
}

// exchange sends one request and reads its response. Servers answer these
// requests one at a time, so the next packet is the response.
func (r *rawConn) exchange(op *ber.Packet) (*ber.Packet, error) {
	r.id++
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, r.id, "MessageID"))
	msg.AppendChild(op)
	if _, err := r.c.Write(msg.Bytes()); err != nil {
		return nil, err
	}
	// ber.ReadPacket reads exactly one packet, so nothing meant for go-ldap is consumed.
	resp, err := ber.ReadPacket(r.c)
	if err != nil {
		return nil, err
	}
	if len(resp.Children) < 2 || len(resp.Children[1].Children) < 3 {
		return nil, errors.New("malformed LDAP response")
	}
	return resp.Children[1], nil
}

// resultOf returns the result code of an LDAPResult-shaped response and an
// *ldap.Error for any code but success and the one allowed in passing.
func resultOf(op *ber.Packet, ok ...uint16) (uint16, error) {
	code, isInt := op.Children[0].Value.(int64)
	if !isInt {
		return 0, errors.New("malformed LDAP result code")
	}
	rc := uint16(code)
	if rc == ldap.LDAPResultSuccess {
		return rc, nil
	}
	for _, o := range ok {
		if rc == o {
			return rc, nil
		}
	}
	diag, _ := op.Children[2].Value.(string)
	return rc, ldap.NewError(rc, errors.New(diag))
}

// startTLS sends the StartTLS extended operation and upgrades the connection.
func (r *rawConn) startTLS(ctx context.Context, conf *tls.Config) (*tls.Conn, error) {
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationExtendedRequest, nil, "Start TLS")
	req.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "1.3.6.1.4.1.1466.20037", "TLS Extended Command"))
	resp, err := r.exchange(req)
	if err != nil {
		return nil, err
	}
	if _, err := resultOf(resp); err != nil {
		return nil, err
	}
	tc := tls.Client(r.c, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	r.c = tc
	return tc, nil
}

// ntlmBind authenticates DOMAIN\user with NTLMv2 inside SASL GSS-SPNEGO. It
// negotiates no signing or sealing: on TLS none is needed, and on plain LDAP
// a server that requires signing refuses the bind (strongAuthRequired),
// which Connect reports with a hint to use TLS.
func (r *rawConn) ntlmBind(domain, user, password string) error {
	negotiate, err := ntlmssp.NewNegotiateMessage(domain, "")
	if err != nil {
		return err
	}
	resp, err := r.exchange(saslBind("GSS-SPNEGO", negotiate))
	if err != nil {
		return err
	}
	if _, err := resultOf(resp, ldap.LDAPResultSaslBindInProgress); err != nil {
		return err
	}
	challenge := serverSaslCreds(resp)
	if !bytes.HasPrefix(challenge, []byte("NTLMSSP\x00")) {
		return errors.New("server did not answer with an NTLM challenge")
	}
	// With the domain in the name the NTLMv2 response is computed for it;
	// an empty domain makes some DCs guess.
	auth, err := ntlmssp.NewAuthenticateMessage(challenge, domain+`\`+user, password, nil)
	if err != nil {
		return fmt.Errorf("NTLM: %w", err)
	}
	resp, err = r.exchange(saslBind("GSS-SPNEGO", auth))
	if err != nil {
		return err
	}
	_, err = resultOf(resp)
	return err
}

func saslBind(mech string, creds []byte) *ber.Packet {
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationBindRequest, nil, "Bind Request")
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 3, "Version"))
	req.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "User Name"))
	auth := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, nil, "SASL")
	auth.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, mech, "Mechanism"))
	if len(creds) > 0 {
		// No credentials is not empty credentials: Samba hands an empty
		// string to GSS-API as a token, which then fails to parse.
		auth.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(creds), "Credentials"))
	}
	req.AppendChild(auth)
	return req
}

// serverSaslCreds returns the [7] serverSaslCreds of a BindResponse.
func serverSaslCreds(op *ber.Packet) []byte {
	for _, c := range op.Children[3:] {
		if c.ClassType == ber.ClassContext && c.Tag == 7 {
			return c.Data.Bytes()
		}
	}
	return nil
}

//go:build windows

package ldapconn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/alexbrainman/sspi"
	"github.com/alexbrainman/sspi/kerberos"
	"golang.org/x/sys/windows"
)

// On Windows the signed-in user's Kerberos identity is the logon session,
// reached through SSPI: no ticket cache, no password. A keytab
// (--keytab) still goes through gokrb5.

// SSPI status codes a sign-in meets (winerror.h).
const (
	secETargetUnknown       = syscall.Errno(0x80090303)
	secENoCredentials       = syscall.Errno(0x8009030E)
	secENoAuthority         = syscall.Errno(0x80090311)
	secEWrongPrincipal      = syscall.Errno(0x80090322)
	secETimeSkew            = syscall.Errno(0x80090324)
	kerbWrapNoEncrypt       = 0x80000001 // SECQOP_WRAP_NO_ENCRYPT: sign, do not seal
	sspiFlags               = sspi.ISC_REQ_INTEGRITY | sspi.ISC_REQ_CONFIDENTIALITY | sspi.ISC_REQ_MUTUAL_AUTH
	secChannelBindingsBytes = 32 // SEC_CHANNEL_BINDINGS: eight DWORDs before the data
)

type sspiContext struct {
	creds *sspi.Credentials
	ctx   *kerberos.ClientContext
	spn   string
	who   string
	once  sync.Once
}

func logonContext(_ Config, spn string) (gssContext, error) {
	who, err := logonPrincipal()
	if err != nil {
		return nil, err
	}
	creds, err := kerberos.AcquireCurrentUserCredentials()
	if err != nil {
		return nil, fmt.Errorf("%w: Windows has no Kerberos credentials for %s (%v): sign in with a domain account", ErrNoTicket, who, err)
	}
	return &sspiContext{creds: creds, spn: spn, who: who}, nil
}

// logonPrincipal is the logged-on user's user@domain name.
func logonPrincipal() (string, error) {
	n := uint32(256)
	for {
		b := make([]uint16, n)
		err := windows.GetUserNameEx(windows.NameUserPrincipal, &b[0], &n)
		if err == nil {
			return windows.UTF16ToString(b[:n]), nil
		}
		if !errors.Is(err, windows.ERROR_MORE_DATA) {
			return "", fmt.Errorf("%w: the logged-on user has no Kerberos principal name (%v): sign in with a domain account", ErrNoTicket, err)
		}
	}
}

func (s *sspiContext) principal() string { return s.who }

func (s *sspiContext) start(binding []byte) ([]byte, error) {
	var cb []byte
	if binding != nil {
		cb = make([]byte, secChannelBindingsBytes, secChannelBindingsBytes+len(binding))
		binary.LittleEndian.PutUint32(cb[24:], uint32(len(binding)))    // cbApplicationDataLength
		binary.LittleEndian.PutUint32(cb[28:], secChannelBindingsBytes) // dwApplicationDataOffset
		cb = append(cb, binding...)
	}
	ctx, _, out, err := kerberos.NewClientContextWithChannelBindings(s.creds, s.spn, sspiFlags, cb)
	if err != nil {
		return nil, s.error(err)
	}
	s.ctx = ctx
	return out, nil
}

func (s *sspiContext) step(in []byte) ([]byte, bool, error) {
	done, out, err := s.ctx.Update(in)
	if err != nil {
		return nil, false, s.error(err)
	}
	return out, done, nil
}

func (s *sspiContext) wrap(payload []byte) ([]byte, error) {
	return s.ctx.EncryptMessage(payload, kerbWrapNoEncrypt, 0)
}

func (s *sspiContext) unwrap(token []byte) ([]byte, error) {
	_, plain, err := s.ctx.DecryptMessage(token, 0)
	return plain, err
}

func (s *sspiContext) close() {
	s.once.Do(func() {
		if s.ctx != nil {
			s.ctx.Release()
		}
		s.creds.Release()
	})
}

// error says in one line what an SSPI failure means.
func (s *sspiContext) error(err error) error {
	switch {
	case errors.Is(err, secETargetUnknown), errors.Is(err, secEWrongPrincipal):
		return fmt.Errorf("%w: the domain knows no service principal %s: connect by the DC's DNS name (ldaps://dc01.contoso.com), or give the SPN the DC is registered under (--spn ldap/dc01.contoso.com)", ErrUnknownSPN, s.spn)
	case errors.Is(err, secENoCredentials):
		return fmt.Errorf("%w: Windows holds no Kerberos ticket for %s: lock and unlock the session, or sign in again", ErrNoTicket, s.who)
	case errors.Is(err, secENoAuthority):
		return fmt.Errorf("%w: no domain controller answered for %s's domain: check the network path to the domain", ErrKDCUnreachable, s.who)
	case errors.Is(err, secETimeSkew):
		return errors.New("the clock of this machine and the domain's differ by more than 5 minutes: set the clock right and try again")
	}
	return fmt.Errorf("Kerberos sign-in as %s for %s: %w", s.who, s.spn, err)
}

//go:build !windows

// The Samba DC runs on Linux only (fixtures/samba).

package ldapconn

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/go-ldap/ldap/v3/gssapi"

	"syncgap/fixtures/ldaptest"
	"syncgap/fixtures/samba"
)

// Kerberos sign-in against a real Samba DC and its own KDC, the DC
// requiring signing on plain LDAP as AD does with LDAP signing required.
func TestKerberosAgainstSamba(t *testing.T) {
	dc := samba.StartWith(t, samba.Options{RequireSigning: true})
	k := dc.Kerberos(t)
	useKerberos(t, k)
	var errs []error // every error, checked for the password at the end

	t.Run("no ticket yet", func(t *testing.T) {
		_, err := KerberosPrincipal(Config{Kerberos: true})
		_, cerr := Connect(context.Background(), Config{URL: dc.URL, Kerberos: true, SPN: dc.SPN})
		for _, err := range []error{err, cerr} {
			errs = append(errs, err)
			if !errors.Is(err, ErrNoTicket) || !strings.Contains(err.Error(), k.CCache+" does not exist: run kinit") {
				t.Errorf("%v", err)
			}
		}
	})
	k.Kinit(t, "")

	t.Run("the DC refuses what is not signed", func(t *testing.T) {
		// go-ldap's own GSSAPI bind selects no security layer.
		conn, err := ldap.DialURL(dc.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		cl, err := gssapi.NewClientFromCCache(k.CCache, k.Conf)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		if err := conn.GSSAPIBind(cl, dc.SPN, ""); !ldap.IsErrorWithCode(err, ldap.LDAPResultStrongAuthRequired) {
			t.Errorf("unsigned GSSAPI bind: %v, want strongAuthRequired", err)
		}
		_, err = Connect(context.Background(), Config{URL: dc.URL, BindID: dc.AdminUPN, Password: dc.Password, AllowPlaintextBind: true})
		errs = append(errs, err)
		if err == nil || !strings.Contains(err.Error(), "refuses a simple bind without TLS") {
			t.Errorf("plaintext simple bind: %v", err)
		}
	})

	t.Run("signed over ldap://: read, write, read back", func(t *testing.T) {
		conn := connect(t, Config{URL: dc.URL, Kerberos: true, SPN: dc.SPN})
		defer conn.Close()
		readAndWrite(t, conn, dc)
	})

	t.Run("ldaps:// and StartTLS with the default SPN ldap/localhost", func(t *testing.T) {
		for _, cfg := range []Config{
			{URL: "ldaps://localhost", CAFile: dc.CAFile, Kerberos: true},
			{URL: "ldap://localhost", StartTLS: true, CAFile: dc.CAFile, Kerberos: true},
		} {
			conn := connect(t, cfg)
			readAndWrite(t, conn, dc)
			conn.Close()
		}
	})

	t.Run("keytab", func(t *testing.T) {
		kt := k.Keytab(t, dc.AdminKrb)
		t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "none")) // the keytab alone must do
		cfg := Config{URL: dc.URL, Kerberos: true, SPN: dc.SPN, Keytab: kt, BindID: dc.AdminKrb}
		if who, err := KerberosPrincipal(cfg); err != nil || who != dc.AdminKrb {
			t.Errorf("principal %q, %v", who, err)
		}
		conn := connect(t, cfg)
		readAndWrite(t, conn, dc)
		conn.Close()
		_, err := Connect(context.Background(), Config{URL: dc.URL, Kerberos: true, SPN: dc.SPN, Keytab: kt, BindID: "Nobody@" + samba.Realm})
		errs = append(errs, err)
		if err == nil || err.Error() != "the KDC of SYNCGAP.TEST knows no principal Nobody@SYNCGAP.TEST: check the name and realm (user@REALM, the realm in capitals)" {
			t.Errorf("unknown principal: %v", err)
		}
	})

	t.Run("every message after the bind is signed and checked", func(t *testing.T) {
		p := newTamperProxy(t, "127.0.0.1:389")
		conn := connect(t, Config{URL: "ldap://" + p.addr, Kerberos: true, SPN: dc.SPN})
		defer conn.Close()
		bound := p.sentSoFar()
		if _, err := DefaultNamingContext(conn, "dc"); err != nil {
			t.Fatal(err)
		}
		sent := p.since(bound)
		// A SASL buffer: four octets of length, then a Wrap token (05 04), never a bare LDAP message (30).
		if len(sent) < 6 || sent[4] != 0x05 || sent[5] != 0x04 {
			t.Fatalf("after the bind the client sent % x…", sent[:min(len(sent), 8)])
		}
		p.tamper.Store(true)
		if _, err := DefaultNamingContext(conn, "dc"); err == nil {
			t.Error("a reply changed on the way was accepted")
		}
	})

	t.Run("wrong SPN", func(t *testing.T) {
		_, err := Connect(context.Background(), Config{URL: dc.URL, Kerberos: true})
		errs = append(errs, err)
		want := "unknown Kerberos service principal ldap/127.0.0.1: the KDC of SYNCGAP.TEST knows no such service: connect by the DC's DNS name"
		if !errors.Is(err, ErrUnknownSPN) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%v", err)
		}
	})

	t.Run("KDC unreachable", func(t *testing.T) {
		k2 := dc.Kerberos(t)
		copyFile(t, k.CCache, k2.CCache)
		closed := ldaptest.ClosedAddr(t)
		k2.WriteConf(t, closed)
		useKerberos(t, k2)
		_, err := Connect(context.Background(), Config{URL: dc.URL, Kerberos: true, SPN: "ldap/other.syncgap.test"})
		errs = append(errs, err)
		want := "no Kerberos KDC answered for realm SYNCGAP.TEST (kdc " + closed + " in " + k2.Conf + "): check that the KDC is up and port 88 is open to it"
		if !errors.Is(err, ErrKDCUnreachable) || err.Error() != want {
			t.Errorf("%v\nwant %s", err, want)
		}
	})

	t.Run("expired and damaged tickets", func(t *testing.T) {
		k3 := dc.Kerberos(t)
		useKerberos(t, k3)
		k3.Kinit(t, "2s")
		time.Sleep(2500 * time.Millisecond)
		_, err := KerberosPrincipal(Config{Kerberos: true})
		errs = append(errs, err)
		if !errors.Is(err, ErrTicketExpired) || !strings.Contains(err.Error(), "the ticket of "+dc.AdminKrb+" in "+k3.CCache+" expired at ") ||
			!strings.HasSuffix(err.Error(), ": run kinit "+dc.AdminKrb+" again") {
			t.Errorf("%v", err)
		}
		b, _ := os.ReadFile(k.CCache)
		os.WriteFile(k3.CCache, b[:len(b)/3], 0o600)
		_, err = KerberosPrincipal(Config{Kerberos: true})
		errs = append(errs, err)
		if !errors.Is(err, ErrNoTicket) || !strings.Contains(err.Error(), "is damaged") {
			t.Errorf("%v", err)
		}
	})

	for _, err := range errs {
		if err != nil && (strings.Contains(err.Error(), dc.Password) || strings.Contains(err.Error(), "\n")) {
			t.Errorf("an error holds the password or more than one line: %q", err)
		}
	}
}

// useKerberos points this test's Kerberos clients at k, never the machine's setup.
func useKerberos(t *testing.T, k *samba.Kerberos) {
	for _, kv := range k.Env() {
		name, value, _ := strings.Cut(kv, "=")
		t.Setenv(name, value)
	}
}

func connect(t *testing.T, cfg Config) *ldap.Conn {
	t.Helper()
	conn, err := Connect(context.Background(), cfg)
	if err != nil {
		t.Fatalf("%s: %v", cfg.URL, err)
	}
	return conn
}

// readAndWrite reads the base from the rootDSE, finds the administrator
// (which only a signed-in client may), changes its mobile and reads it
// back: the requests extract-ad, apply and verify make.
func readAndWrite(t *testing.T, conn *ldap.Conn, dc *samba.DC) {
	t.Helper()
	base, err := DefaultNamingContext(conn, dc.URL)
	if err != nil || base != dc.BaseDN {
		t.Fatalf("base %q, %v", base, err)
	}
	mobile := "+1 555 " + time.Now().Format("150405.000000")
	mod := ldap.NewModifyRequest(dc.AdminDN, nil)
	mod.Replace("mobile", []string{mobile})
	if err := conn.Modify(mod); err != nil {
		t.Fatalf("modify: %v", err)
	}
	res, err := conn.Search(ldap.NewSearchRequest(base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(sAMAccountName=Administrator)", []string{"mobile"}, nil))
	if err != nil || len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("mobile") != mobile {
		t.Fatalf("read back: %v %v", res, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// tamperProxy forwards one connection to the DC, keeps what the client
// sent, and once tamper is set flips a bit in everything the server sends.
type tamperProxy struct {
	addr   string
	tamper atomic.Bool
	mu     sync.Mutex
	sent   []byte
}

func newTamperProxy(t *testing.T, target string) *tamperProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &tamperProxy{addr: ln.Addr().String()}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			return
		}
		t.Cleanup(func() { c.Close(); s.Close() })
		go func() {
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				p.mu.Lock()
				p.sent = append(p.sent, buf[:n]...)
				p.mu.Unlock()
				if _, werr := s.Write(buf[:n]); err != nil || werr != nil {
					return
				}
			}
		}()
		buf := make([]byte, 64<<10)
		for {
			n, err := s.Read(buf)
			if n > 0 && p.tamper.Load() {
				buf[n-1] ^= 1
			}
			if _, werr := c.Write(buf[:n]); err != nil || werr != nil {
				return
			}
		}
	}()
	return p
}

// sentSoFar is how many bytes the client has sent; since returns those it sent after.
func (p *tamperProxy) sentSoFar() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sent)
}

func (p *tamperProxy) since(n int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.sent[n:]...)
}

package ldapconn

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

func aesKey(t *testing.T) types.EncryptionKey {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: k}
}

// acceptorToken is a Wrap token as a server sends it, with its
// {payload | checksum} rotated right by rrc as the header says.
func acceptorToken(t *testing.T, key types.EncryptionKey, subkey bool, seq uint64, payload []byte, rrc int) []byte {
	t.Helper()
	fl := byte(flagSentByAcceptor)
	if subkey {
		fl |= flagAcceptorSubkey
	}
	w := gssapi.WrapToken{Flags: fl, EC: 12, SndSeqNum: seq, Payload: payload}
	if err := w.SetCheckSum(key, keyusage.GSSAPI_ACCEPTOR_SEAL); err != nil {
		t.Fatal(err)
	}
	b, err := w.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	data := b[16:]
	r := rrc % len(data)
	rotated := append(append([]byte(nil), data[len(data)-r:]...), data[:len(data)-r]...)
	binary.BigEndian.PutUint16(b[6:8], uint16(rrc))
	return append(b[:16:16], rotated...)
}

func TestWrapTokens(t *testing.T) {
	session, sub := aesKey(t), aesKey(t)
	k := &krb5Context{key: session, subkey: sub, sndSeq: 41}
	payload := []byte("0\x0c\x02\x01\x02`\x07\x02\x01\x03\x04\x00\x80\x00")

	// What we send verifies as the initiator's, keyed with the acceptor's subkey, in sequence.
	for seq := uint64(41); seq < 43; seq++ {
		tok, err := k.wrap(payload)
		if err != nil {
			t.Fatal(err)
		}
		var w gssapi.WrapToken
		if err := w.Unmarshal(tok, false); err != nil {
			t.Fatal(err)
		}
		if ok, err := w.Verify(sub, keyusage.GSSAPI_INITIATOR_SEAL); !ok {
			t.Fatalf("our token does not verify: %v", err)
		}
		if w.Flags != flagAcceptorSubkey || w.SndSeqNum != seq || !bytes.Equal(w.Payload, payload) {
			t.Errorf("flags %#x seq %d payload %q", w.Flags, w.SndSeqNum, w.Payload)
		}
	}

	// What servers send: Heimdal's tokens unrotated, Windows' rotated by the checksum length.
	for _, tc := range []struct {
		name   string
		subkey bool
		rrc    int
	}{{"session key, RRC 0", false, 0}, {"subkey, RRC 12", true, 12}, {"subkey, RRC 28", true, 28}, {"RRC past the length", true, 1000}} {
		key := session
		if tc.subkey {
			key = sub
		}
		tok := acceptorToken(t, key, tc.subkey, 7, payload, tc.rrc)
		got, err := k.unwrap(tok)
		if err != nil || !bytes.Equal(got, payload) {
			t.Errorf("%s: %q, %v", tc.name, got, err)
		}
		for i := range tok {
			bad := bytes.Clone(tok)
			bad[i] ^= 0x20
			if i == 6 || i == 7 {
				continue // RRC: a changed rotation is a different split, caught below as a bad checksum or not at all
			}
			if _, err := k.unwrap(bad); err == nil {
				t.Errorf("%s: byte %d changed and the token still verifies", tc.name, i)
				break
			}
		}
	}

	for name, tok := range map[string][]byte{
		"sent by the client": func() []byte { b, _ := k.wrap(payload); return b }(),
		"sealed": func() []byte {
			b := acceptorToken(t, sub, true, 1, payload, 0)
			b[2] |= flagSealed
			return b
		}(),
		"short":       {0x05, 0x04, 0x01},
		"a MIC token": append([]byte{0x04, 0x04}, make([]byte, 30)...),
	} {
		if _, err := k.unwrap(tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := (&krb5Context{key: session}).unwrap(acceptorToken(t, sub, true, 1, payload, 0)); err == nil {
		t.Error("a token keyed with a subkey the AP-REP did not carry was accepted")
	}
}

// The integrity layer over a pipe whose far end plays the server.
func TestSASLConn(t *testing.T) {
	session, sub := aesKey(t), aesKey(t)
	client, server := net.Pipe()
	defer server.Close()
	sc := newSASLConn(client, &krb5Context{key: session, subkey: sub}, 1000)
	defer sc.Close()

	msg := make([]byte, 5000)
	rand.Read(msg)
	go func() {
		if _, err := sc.Write(msg); err != nil {
			t.Error(err)
		}
	}()
	var got []byte
	for frames := 0; len(got) < len(msg); frames++ {
		var hdr [4]byte
		if _, err := io.ReadFull(server, hdr[:]); err != nil {
			t.Fatal(err)
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > 1000 {
			t.Fatalf("a buffer of %d bytes; the server takes 1000", n)
		}
		tok := make([]byte, n)
		io.ReadFull(server, tok)
		var w gssapi.WrapToken
		if err := w.Unmarshal(tok, false); err != nil {
			t.Fatal(err)
		}
		if ok, err := w.Verify(sub, keyusage.GSSAPI_INITIATOR_SEAL); !ok {
			t.Fatalf("frame %d: %v", frames, err)
		}
		got = append(got, w.Payload...)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("the server read other bytes than were written")
	}

	frame := func(tok []byte) []byte {
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(tok))), tok...)
	}
	reply := []byte("a reply from the server")
	go func() {
		server.Write(frame(acceptorToken(t, sub, true, 1, reply[:5], 12)))
		server.Write(frame(acceptorToken(t, sub, true, 2, reply[5:], 0)))
		bad := acceptorToken(t, sub, true, 3, []byte("tampered"), 0)
		bad[len(bad)-20] ^= 1
		server.Write(frame(bad))
	}()
	buf := make([]byte, len(reply))
	if _, err := io.ReadFull(sc, buf); err != nil || !bytes.Equal(buf, reply) {
		t.Fatalf("read %q, %v", buf, err)
	}
	if n, err := sc.Read(buf); err == nil || !strings.Contains(err.Error(), "check the signature") {
		t.Errorf("a tampered buffer gave %q, %v", buf[:n], err)
	}
}

// The authenticator checksum, byte by byte as RFC 4121 section 4.1.1 lays it out.
func TestGSSChecksum(t *testing.T) {
	flags := []int{gssapi.ContextFlagMutual, gssapi.ContextFlagInteg, gssapi.ContextFlagConf}
	if got := hex.EncodeToString(gssChecksum(nil, flags)); got != "10000000"+strings.Repeat("00", 16)+"32000000" {
		t.Errorf("without channel binding: %s", got)
	}
	app := []byte("tls-server-end-point:0123456789abcdef0123456789abcdef")
	// gss_channel_bindings_struct: initiator addrtype and address length,
	// acceptor addrtype and address length, all zero; then the data's length and the data.
	cb := append(make([]byte, 16), byte(len(app)), 0, 0, 0)
	sum := md5.Sum(append(cb, app...))
	if got, want := gssChecksum(app, flags)[4:20], sum[:]; !bytes.Equal(got, want) {
		t.Errorf("Bnd %x, want %x", got, want)
	}
}

func TestTLSServerEndPoint(t *testing.T) {
	certFile, _ := negativeSerialCert(t) // RSA with SHA-256
	block, _ := pem.Decode(mustRead(t, certFile))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	got := tlsServerEndPoint([]*x509.Certificate{cert})
	if !bytes.HasPrefix(got, []byte("tls-server-end-point:")) || len(got) != len("tls-server-end-point:")+32 {
		t.Fatalf("binding %q", got)
	}
	if tlsServerEndPoint(nil) != nil {
		t.Error("a binding without a certificate")
	}
}

func TestCCachePath(t *testing.T) {
	for _, tc := range []struct{ env, want, err string }{
		{"FILE:/tmp/cc", "/tmp/cc", ""},
		{"/tmp/cc", "/tmp/cc", ""},
		{`C:\Users\me\krb5cc`, `C:\Users\me\krb5cc`, ""},
		{"KEYRING:persistent:1000", "", "FILE: ticket caches only"},
		{"KCM:", "", "FILE: ticket caches only"},
	} {
		t.Setenv("KRB5CCNAME", tc.env)
		got, err := ccachePath()
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %q, %v", tc.env, got, err)
		}
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	for _, path := range []string{filepath.Join(dir, "missing"), empty} {
		t.Setenv("KRB5CCNAME", "FILE:"+path)
		_, err := KerberosPrincipal(Config{Kerberos: true})
		if !errors.Is(err, ErrNoTicket) || !strings.Contains(err.Error(), "run kinit") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v", path, err)
		}
	}
}

func TestValidateKerberos(t *testing.T) {
	good := Config{URL: "ldap://dc01.contoso.com", Kerberos: true}
	if err := good.Validate(); err != nil || good.BindMethod() != BindKerberos {
		t.Fatalf("%v, %s", err, good.BindMethod())
	}
	if got := good.spn("dc01.contoso.com"); got != "ldap/dc01.contoso.com" {
		t.Errorf("default SPN %s", got)
	}
	for name, c := range map[string]Config{
		"password":             {URL: good.URL, Kerberos: true, Password: "x"},
		"keytab, no principal": {URL: good.URL, Kerberos: true, Keytab: "k"},
		"NTLM name":            {URL: good.URL, Kerberos: true, Keytab: "k", BindID: `CONTOSO\svc@x`},
		"SPN without host":     {URL: good.URL, Kerberos: true, SPN: "ldap"},
		"keytab alone":         {URL: good.URL, Keytab: "k", BindID: "svc@CONTOSO.COM", Password: "x"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestKRB5Config(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "krb5.conf")
	t.Setenv("KRB5_CONFIG", missing)
	if _, _, err := krb5Config(); err == nil || err.Error() != "the Kerberos configuration "+missing+" that KRB5_CONFIG names does not exist" {
		t.Errorf("%v", err)
	}
	// What gokrb5 does not support (here: includedir) is passed over, the rest read.
	os.WriteFile(missing, []byte("includedir /etc/krb5.conf.d/\n[libdefaults]\n\tdefault_realm = CONTOSO.COM\n[realms]\n\tCONTOSO.COM = {\n\t\tkdc = dc01.contoso.com\n\t}\n"), 0o644)
	c, path, err := krb5Config()
	if err != nil || path != missing || c.LibDefaults.DefaultRealm != "CONTOSO.COM" {
		t.Fatalf("%v %s %v", c, path, err)
	}
	if got := kdcSource(c, path, "CONTOSO.COM"); got != "kdc dc01.contoso.com:88 in "+missing {
		t.Errorf("kdc source %q", got)
	}
}

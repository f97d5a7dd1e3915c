// The test binary takes the setting the syncgap binary has (cmd/syncgap/main.go).

//go:debug x509negativeserial=1

package ldapconn

import (
	"crypto/tls"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// negativeSerialCert makes, with openssl as an admin would, a self-signed
// server certificate with a negative serial number, like those Samba
// generates for itself; it returns the certificate and key PEM files.
func negativeSerialCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "dc.pem"), filepath.Join(dir, "dc.key")
	out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
		"-subj", "/CN=dc01.test", "-addext", "subjectAltName=DNS:dc01.test",
		"-set_serial", "-0x5EED", "-keyout", keyFile, "-out", certFile).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl (fixtures/install-test-deps.sh installs it): %v\n%s", err, out)
	}
	return certFile, keyFile
}

func TestCAFileWithNegativeSerial(t *testing.T) {
	certFile, keyFile := negativeSerialCert(t)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	// The certificate as PEM, and as the DER a Windows export gives.
	block, _ := pem.Decode(mustRead(t, certFile))
	der := filepath.Join(t.TempDir(), "dc.cer")
	if err := os.WriteFile(der, block.Bytes, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ca := range []string{certFile, der} {
		conf, err := Config{CAFile: ca}.tlsConfig("dc01.test")
		if err != nil {
			t.Fatalf("%s: %v", ca, err)
		}
		c, err := tls.Dial("tcp", ln.Addr().String(), conf)
		if err != nil {
			t.Fatalf("%s: TLS handshake: %v", ca, err)
		}
		c.Close()
	}
	conf, err := Config{InsecureSkipVerify: true}.tlsConfig("dc01.test")
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", ln.Addr().String(), conf)
	if err != nil {
		t.Fatalf("--insecure-skip-verify: TLS handshake: %v", err)
	}
	c.Close()
}

func TestCAFileSaysWhatIsWrong(t *testing.T) {
	_, keyFile := negativeSerialCert(t)
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("this is not a certificate\n"), 0o600)
	broken := filepath.Join(dir, "broken.pem")
	os.WriteFile(broken, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("nonsense")}), 0o600)
	for _, tt := range []struct{ file, want string }{
		{keyFile, `is a "PRIVATE KEY", not a CERTIFICATE`},
		{junk, "no PEM certificate in it, and not a DER certificate either"},
		{broken, "certificate 1 does not parse"},
		{dir, "not a regular file"},
		{filepath.Join(dir, "missing.pem"), "no such file"},
	} {
		_, err := Config{CAFile: tt.file}.tlsConfig("dc01.test")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", filepath.Base(tt.file), err, tt.want)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

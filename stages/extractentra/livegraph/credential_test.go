package livegraph

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syncgap/fixtures/graphserver"
	"syncgap/pipeline"
)

// clientCert writes a PEM file with a fresh RSA certificate and its key,
// as an admin exports an app registration's certificate, and returns the
// path and the certificate's DER.
func clientCert(t *testing.T) (string, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "syncgap app"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "app.pem")
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k})...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, der
}

// pkcs12Files converts a PEM certificate and key into password-protected
// PKCS#12 files with openssl, as admins export them: legacy (3DES, what
// older Windows writes) and OpenSSL 3's default (AES, SHA-256).
func pkcs12Files(t *testing.T, pemFile, password string) (legacy, modern string) {
	t.Helper()
	dir := t.TempDir()
	legacy, modern = filepath.Join(dir, "legacy.pfx"), filepath.Join(dir, "modern.pfx")
	for _, args := range [][]string{
		{"pkcs12", "-export", "-legacy", "-in", pemFile, "-out", legacy, "-passout", "env:PFX_PASS"},
		{"pkcs12", "-export", "-in", pemFile, "-out", modern, "-passout", "env:PFX_PASS"},
	} {
		cmd := exec.Command("openssl", args...)
		cmd.Env = append(os.Environ(), "PFX_PASS="+password)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	return legacy, modern
}

// TestSignInMethods signs in with each azidentity credential against the
// test server's fake identity platform, then reads users with the token.
func TestSignInMethods(t *testing.T) {
	_, data := tenant(t, 3000)
	certFile, certDER := clientCert(t)
	_, otherDER := clientCert(t)
	legacy, modern := pkcs12Files(t, certFile, "pfx-PASSWORD")
	const secret = "app-s3cret-VALUE"
	for _, tt := range []struct {
		name    string
		regCert []byte // the certificate registered on the app
		cfg     func(*Config)
		wantErr string
	}{
		{"client secret", nil, func(c *Config) { c.Auth, c.Secrets.ClientSecret = AuthClientSecret, secret }, ""},
		{"wrong client secret", nil, func(c *Config) { c.Auth, c.Secrets.ClientSecret = AuthClientSecret, "not-it-WRONG" }, "AADSTS7000215"},
		{"certificate", certDER, func(c *Config) { c.Auth, c.CertFile = AuthCertificate, certFile }, ""},
		{"certificate not registered", otherDER, func(c *Config) { c.Auth, c.CertFile = AuthCertificate, certFile }, "AADSTS700027"},
		{"PKCS#12 with a password", certDER, func(c *Config) {
			c.Auth, c.CertFile, c.Secrets.CertPassword = AuthCertificate, legacy, "pfx-PASSWORD"
		}, ""},
		{"PKCS#12, wrong password", certDER, func(c *Config) {
			c.Auth, c.CertFile, c.Secrets.CertPassword = AuthCertificate, legacy, "not-it-WRONG"
		}, "password incorrect"},
		{"PKCS#12 with AES (OpenSSL 3's default)", certDER, func(c *Config) {
			c.Auth, c.CertFile, c.Secrets.CertPassword = AuthCertificate, modern, "pfx-PASSWORD"
		}, "-legacy"},
		{"device code", nil, func(c *Config) { c.Auth = AuthDeviceCode }, ""},
		{"empty access token", nil, func(c *Config) { c.Auth = AuthAccessToken }, "access token is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, addr, ca := startTLS(t, data, graphserver.Config{ClientID: "app-id", ClientSecret: secret, ClientCert: tt.regCert}, "127.0.0.1")
			var prompt string
			cfg := Config{
				Endpoint: "https://" + addr, AuthorityHost: "https://" + addr + "/", CAFile: ca,
				TenantID: "tenant-1", ClientID: "app-id",
				Prompt: func(m string) { prompt = m },
			}
			tt.cfg(&cfg)
			c, err := NewClient(cfg)
			var users int
			if err == nil {
				var us []pipeline.EntraUser
				us, err = c.Users(context.Background())
				users = len(us)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				for _, s := range []string{secret, "not-it-WRONG", "pfx-PASSWORD"} {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error holds a secret: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if users != len(data.Users) {
				t.Errorf("%d users, want %d", users, len(data.Users))
			}
			if cfg.Auth == AuthDeviceCode && !strings.Contains(prompt, "FAKE-CODE") {
				t.Errorf("device code prompt %q", prompt)
			}
		})
	}
}

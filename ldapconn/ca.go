package ldapconn

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
)

// maxCAFile bounds a CA file: a bundle of a few hundred certificates is
// well under it.
const maxCAFile = 4 << 20

// readCAFile reads the certificates of a CA file into a pool and, when it
// cannot, says why: the file holds no PEM block (a DER .cer exported from
// Windows is read as it is), a block is not a certificate, or a
// certificate does not parse (with x509's reason, such as a negative serial
// number, which syncgap accepts: docs/dependencies.md, "crypto/x509").
func readCAFile(path string) (*x509.CertPool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("CA file %s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCAFile+1))
	if err != nil {
		return nil, fmt.Errorf("CA file %s: %w", path, err)
	}
	if len(data) > maxCAFile {
		return nil, fmt.Errorf("CA file %s: larger than %d MiB: not a CA bundle", path, maxCAFile>>20)
	}
	pool := x509.NewCertPool()
	rest, n := data, 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("CA file %s: PEM block %d is a %q, not a CERTIFICATE (give the CA's certificate, not a key or request)", path, n, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("CA file %s: certificate %d does not parse: %w", path, n, err)
		}
		pool.AddCert(cert)
	}
	if n > 0 {
		return pool, nil
	}
	cert, derErr := x509.ParseCertificate(data)
	if derErr != nil {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it, and not a DER certificate either (%v); export the CA certificate as Base-64 (PEM) or DER", path, derErr)
	}
	pool.AddCert(cert)
	return pool, nil
}

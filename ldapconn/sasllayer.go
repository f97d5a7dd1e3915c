package ldapconn

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
)

// saslConn is a connection under a SASL integrity layer (RFC 4422 section
// 3.7): each write is sent as one or more buffers, each a four-octet
// length and a GSS_Wrap token, and each buffer read is checked with
// GSS_Unwrap before go-ldap sees its bytes. A buffer whose signature does
// not verify ends the connection: the read fails and go-ldap closes it.
type saslConn struct {
	net.Conn
	gss      gssContext
	maxChunk int // payload bytes per buffer, within what the server accepts

	wmu sync.Mutex // go-ldap writes from one goroutine, but nothing promises it
	rmu sync.Mutex
	buf []byte // unwrapped bytes not yet read
}

// tokenOverhead is room for a wrap token's header and checksum (16 and
// at most 24 octets for the AES enctypes, 16 for SSPI's own framing).
const tokenOverhead = 64

func newSASLConn(c net.Conn, gss gssContext, serverMax int) *saslConn {
	chunk := serverMax - tokenOverhead
	if serverMax == 0 || chunk > 64<<10 {
		// 0: the server named no limit; keep buffers modest either way.
		chunk = 64 << 10
	}
	return &saslConn{Conn: c, gss: gss, maxChunk: max(chunk, 1)}
}

// Write wraps p, in pieces the server can take, and sends it.
func (s *saslConn) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	n := 0
	for len(p) > 0 {
		piece := p[:min(len(p), s.maxChunk)]
		tok, err := s.gss.wrap(piece)
		if err != nil {
			return n, fmt.Errorf("sign LDAP message: %w", err)
		}
		frame := make([]byte, 4+len(tok))
		binary.BigEndian.PutUint32(frame, uint32(len(tok)))
		copy(frame[4:], tok)
		if _, err := s.Conn.Write(frame); err != nil {
			return n, err
		}
		n += len(piece)
		p = p[len(piece):]
	}
	return n, nil
}

// Read returns unwrapped bytes, reading and checking the next buffer when
// none are left.
func (s *saslConn) Read(p []byte) (int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for len(s.buf) == 0 {
		var hdr [4]byte
		if _, err := io.ReadFull(s.Conn, hdr[:]); err != nil {
			return 0, err
		}
		size := binary.BigEndian.Uint32(hdr[:])
		if size > maxRecvBuffer {
			return 0, fmt.Errorf("the server sent a signed buffer of %d bytes, more than the %d it was allowed", size, maxRecvBuffer)
		}
		tok := make([]byte, size)
		if _, err := io.ReadFull(s.Conn, tok); err != nil {
			return 0, err
		}
		plain, err := s.gss.unwrap(tok)
		if err != nil {
			return 0, fmt.Errorf("check the signature of an LDAP message: %w", err)
		}
		s.buf = plain
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// Close closes the connection and ends the security context.
func (s *saslConn) Close() error {
	err := s.Conn.Close()
	s.gss.close()
	return err
}

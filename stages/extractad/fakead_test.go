package extractad

import (
	"encoding/base64"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syncgap/ldapconn"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// fakeAD is a minimal LDAP server that behaves as Active Directory does
// where Samba does not: it never sends more than maxPage entries a page
// whatever the client asks (AD's MaxPageSize), and it cuts attributes with
// more than maxValRange values into ranges (AD's MaxValRange). It also
// sends a continuation reference in every page, and can drop or stall
// connections to exercise the client's retries.
type fakeAD struct {
	t           testing.TB
	ln          net.Listener
	entries     []fakeEntry
	maxPage     int
	maxValRange int
	bindDN      string
	password    string

	dropAfter  int   // entries sent on a connection before it is closed; 0: never
	dropConns  int32 // how many connections drop (then the rest behave)
	stallAfter int   // entries sent before a connection stops answering; 0: never
	stallConns int32

	conns        atomic.Int32
	searches     atomic.Int32
	maxSeenPage  atomic.Int32 // largest page actually sent
	rangeQueries atomic.Int32
	wg           sync.WaitGroup
}

type fakeEntry struct {
	dn    string
	attrs []fakeAttr
}

type fakeAttr struct {
	name   string
	values [][]byte
}

func newFakeAD(t testing.TB, entries []fakeEntry) *fakeAD {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeAD{t: t, ln: ln, entries: entries, maxPage: 1000, maxValRange: 1500,
		bindDN: "CN=reader,DC=fake,DC=test", password: "fake-Secret-42"}
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// start accepts connections; call it after setting the options.
func (s *fakeAD) start() *fakeAD {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			n := s.conns.Add(1)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				s.serve(c, n)
			}()
		}
	}()
	return s
}

func (s *fakeAD) url() string { return "ldap://" + s.ln.Addr().String() }

func (s *fakeAD) config() ldapconn.Config {
	return ldapconn.Config{URL: s.url(), BindID: s.bindDN, Password: s.password, AllowPlaintextBind: true,
		DialTimeout: 2 * time.Second, RequestTimeout: 2 * time.Second}
}

// conn state: how many entries this connection has sent, and whether it drops or stalls.
type fakeConn struct {
	c       net.Conn
	sent    int
	drop    bool
	stall   bool
	stopped bool
}

func (s *fakeAD) serve(c net.Conn, n int32) {
	fc := &fakeConn{c: c, drop: s.dropAfter > 0 && n <= s.dropConns, stall: s.stallAfter > 0 && n <= s.stallConns}
	for {
		p, err := ber.ReadPacket(c)
		if err != nil || len(p.Children) < 2 {
			return
		}
		id, _ := p.Children[0].Value.(int64)
		op := p.Children[1]
		switch op.Tag {
		case ldap.ApplicationBindRequest:
			name, _ := op.Children[1].Value.(string)
			code := uint16(ldap.LDAPResultSuccess)
			if name != s.bindDN || op.Children[2].Data.String() != s.password {
				code = ldap.LDAPResultInvalidCredentials
			}
			s.send(fc, id, result(ldap.ApplicationBindResponse, code, "80090308: LdapErr: DSID-0C090439, comment: AcceptSecurityContext error, data 52e, v4563"), nil)
		case ldap.ApplicationUnbindRequest:
			return
		case ldap.ApplicationSearchRequest:
			s.search(fc, id, p)
		case ldap.ApplicationAbandonRequest:
		default:
			s.send(fc, id, result(ldap.ApplicationExtendedResponse, ldap.LDAPResultProtocolError, "unsupported"), nil)
		}
		if fc.stopped {
			// A stalled connection holds the socket open and says nothing more.
			for {
				if _, err := ber.ReadPacket(c); err != nil {
					return
				}
			}
		}
		if fc.drop && fc.sent >= s.dropAfter {
			return
		}
	}
}

func (s *fakeAD) send(fc *fakeConn, id int64, op *ber.Packet, controls *ber.Packet) bool {
	if fc.stopped {
		return false
	}
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Response")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "MessageID"))
	msg.AppendChild(op)
	if controls != nil {
		msg.AppendChild(controls)
	}
	_, err := fc.c.Write(msg.Bytes())
	return err == nil
}

func result(tag ber.Tag, code uint16, diag string) *ber.Packet {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, tag, nil, "Result")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(code), "resultCode"))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "matchedDN"))
	if code == ldap.LDAPResultSuccess {
		diag = ""
	}
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diag, "diagnosticMessage"))
	return op
}

func (s *fakeAD) search(fc *fakeConn, id int64, p *ber.Packet) {
	s.searches.Add(1)
	op := p.Children[1]
	base, _ := op.Children[0].Value.(string)
	scope, _ := op.Children[1].Value.(int64)
	var want []string
	for _, a := range op.Children[7].Children {
		want = append(want, a.Value.(string))
	}
	if scope == ldap.ScopeBaseObject {
		s.rangeQueries.Add(1)
		for _, e := range s.entries {
			if e.dn == base {
				s.send(fc, id, s.entryPacket(e, want), nil)
				s.send(fc, id, result(ldap.ApplicationSearchResultDone, ldap.LDAPResultSuccess, ""), nil)
				return
			}
		}
		s.send(fc, id, result(ldap.ApplicationSearchResultDone, ldap.LDAPResultNoSuchObject, "no such object"), nil)
		return
	}
	size, offset := s.maxPage, 0
	if len(p.Children) > 2 {
		for _, c := range p.Children[2].Children {
			ctl, err := ldap.DecodeControl(c)
			if err != nil {
				s.t.Errorf("fake AD: decode control: %v", err)
				return
			}
			if pc, ok := ctl.(*ldap.ControlPaging); ok {
				if pc.PagingSize > 0 {
					size = min(int(pc.PagingSize), s.maxPage)
				}
				if len(pc.Cookie) > 0 {
					offset, _ = strconv.Atoi(string(pc.Cookie))
				}
			}
		}
	}
	end := min(offset+size, len(s.entries))
	for i := offset; i < end; i++ {
		if fc.stall && fc.sent >= s.stallAfter {
			fc.stopped = true
			return
		}
		if !s.send(fc, id, s.entryPacket(s.entries[i], want), nil) {
			return
		}
		fc.sent++
		if fc.drop && fc.sent >= s.dropAfter {
			return
		}
		if i == offset {
			// AD sends continuation references for partitions under the base.
			ref := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultReference, nil, "Reference")
			ref.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "ldap://fake.test/CN=Configuration,DC=fake,DC=test", "URI"))
			s.send(fc, id, ref, nil)
		}
	}
	s.maxSeenPage.Store(max(s.maxSeenPage.Load(), int32(end-offset)))
	cookie := ""
	if end < len(s.entries) {
		cookie = strconv.Itoa(end)
	}
	controls := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "Controls")
	controls.AppendChild((&ldap.ControlPaging{Cookie: []byte(cookie)}).Encode())
	s.send(fc, id, result(ldap.ApplicationSearchResultDone, ldap.LDAPResultSuccess, ""), controls)
}

// entryPacket encodes e with the requested attributes, cutting long value
// lists into ranges as AD does: "name" gets values 0..max-1 as
// "name;range=0-(max-1)", "name;range=N-*" gets the next slice, named with
// its real end or "*" when it reaches the last value.
func (s *fakeAD) entryPacket(e fakeEntry, want []string) *ber.Packet {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "Entry")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, e.dn, "DN"))
	attrs := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Attributes")
	for _, a := range e.attrs {
		start, ranged := -1, false
		for _, w := range want {
			name, opt, _ := strings.Cut(w, ";")
			if !strings.EqualFold(name, a.name) {
				continue
			}
			start = 0
			if lo, ok := strings.CutPrefix(opt, "range="); ok {
				lo, _, _ = strings.Cut(lo, "-")
				start, _ = strconv.Atoi(lo)
				ranged = true
			}
		}
		if start < 0 {
			continue
		}
		values, name := a.values, a.name
		if ranged || len(values) > s.maxValRange {
			end := min(start+s.maxValRange, len(values))
			hi := strconv.Itoa(end - 1)
			if end == len(values) {
				hi = "*"
			}
			values, name = values[start:end], fmt.Sprintf("%s;range=%d-%s", a.name, start, hi)
		}
		pa := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Attribute")
		pa.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, name, "Type"))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "Values")
		for _, v := range values {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(v), "Value"))
		}
		pa.AppendChild(set)
		attrs.AppendChild(pa)
	}
	op.AppendChild(attrs)
	return op
}

// fakeUsers makes n user entries with the attributes AD returns, and the
// same entries as LDIF text, which the LDIF path turns into the expected rows.
// User i has i%4 otherMobile values, every seventh is disabled, every fifth
// has a consistency GUID, and the user at bigAt (if ≥ 0) has bigValues values.
func fakeUsers(n, bigAt, bigValues int) ([]fakeEntry, string) {
	var entries []fakeEntry
	var ldif strings.Builder
	for i := range n {
		dn := fmt.Sprintf("CN=Usér %05d,OU=Staff,OU=Fake,DC=fake,DC=test", i)
		guid := make([]byte, 16)
		for k := range guid {
			guid[k] = byte(i>>(k%3*8)) ^ byte(k*37)
		}
		uac := "512"
		if i%7 == 0 {
			uac = "514"
		}
		attrs := []fakeAttr{
			{"objectClass", vals("top", "person", "organizationalPerson", "user")},
			{"objectGUID", [][]byte{guid}},
			{"sAMAccountName", vals(fmt.Sprintf("u%05d", i))},
			{"userPrincipalName", vals(fmt.Sprintf("user%05d@fake.test", i))},
			{"mobile", vals(fmt.Sprintf("+1 555 %07d", i))},
			{"userAccountControl", vals(uac)},
			{"whenChanged", vals(fmt.Sprintf("2024%02d%02d101500.0Z", i%12+1, i%28+1))},
		}
		others := i % 4
		if i == bigAt {
			others = bigValues
		}
		var om [][]byte
		for k := range others {
			om = append(om, fmt.Appendf(nil, "+44 7700 %06d", k*100000+i%100000))
		}
		if others > 0 {
			attrs = append(attrs, fakeAttr{"otherMobile", om})
		}
		if i%5 == 0 {
			cg := append([]byte(nil), guid...)
			cg[0] ^= 0xff
			attrs = append(attrs, fakeAttr{"mS-DS-ConsistencyGuid", [][]byte{cg}})
		}
		entries = append(entries, fakeEntry{dn: dn, attrs: attrs})
		fmt.Fprintf(&ldif, "dn:: %s\n", base64.StdEncoding.EncodeToString([]byte(dn)))
		for _, a := range attrs {
			for _, v := range a.values {
				fmt.Fprintf(&ldif, "%s:: %s\n", a.name, base64.StdEncoding.EncodeToString(v))
			}
		}
		ldif.WriteString("\n")
	}
	return entries, ldif.String()
}

func vals(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, v := range s {
		out[i] = []byte(v)
	}
	return out
}

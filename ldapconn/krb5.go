package ldapconn

import (
	"crypto/md5"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// krb5Context is a GSS-API context made with gokrb5 from a ticket cache or
// a keytab. gokrb5 gets tickets and builds and checks the Kerberos
// messages; the RFC 4121 token framing around them is done here, since
// gokrb5 neither binds a channel nor unwraps rotated tokens.
type krb5Context struct {
	cl     *client.Client
	spn    string
	tkt    messages.Ticket
	key    types.EncryptionKey // session key of the service ticket
	subkey types.EncryptionKey // the acceptor's subkey from the AP-REP, if it sent one

	mu     sync.Mutex
	sndSeq uint64
}

// krb5Config reads the Kerberos configuration as MIT's tools do: the
// file KRB5_CONFIG names, else /etc/krb5.conf. Without either, the
// defaults hold, with the realm's KDCs found through DNS (_kerberos SRV
// records) as a domain-joined machine finds them.
func krb5Config() (*config.Config, string, error) {
	path := os.Getenv("KRB5_CONFIG")
	if i := strings.IndexByte(path, ':'); i >= 0 {
		path = path[:i] // MIT reads a list; the first file is the one to edit
	}
	if path == "" {
		path = "/etc/krb5.conf"
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("KRB5_CONFIG") != "" {
			return nil, path, fmt.Errorf("the Kerberos configuration %s that KRB5_CONFIG names does not exist", path)
		}
		c := config.New()
		c.LibDefaults.DNSLookupKDC = true
		return c, "", nil
	}
	c, err := config.Load(path)
	var unsupported config.UnsupportedDirective
	if err != nil && !errors.As(err, &unsupported) {
		return nil, path, fmt.Errorf("Kerberos configuration %s: %v", path, err)
	}
	// gokrb5 reads what it supports of the file and reports the rest as unsupported.
	return c, path, nil
}

// ccachePath is the file ticket cache KRB5CCNAME names, else MIT's
// default. Other cache types live in the kernel or a daemon, which gokrb5
// cannot read.
func ccachePath() (string, error) {
	name := os.Getenv("KRB5CCNAME")
	if name == "" {
		return fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid()), nil
	}
	kind, rest, typed := strings.Cut(name, ":")
	switch {
	case !typed || strings.ContainsAny(kind, `/\`) || len(kind) == 1:
		return name, nil // a plain path (C:\… on Windows)
	case strings.EqualFold(kind, "FILE"):
		return rest, nil
	}
	return "", fmt.Errorf("KRB5CCNAME=%s: syncgap reads FILE: ticket caches only; run: KRB5CCNAME=FILE:/tmp/krb5cc_syncgap kinit user@REALM", name)
}

// loadCCache reads the ticket cache and checks it holds a TGT still valid.
func loadCCache() (*credentials.CCache, string, error) {
	path, err := ccachePath()
	if err != nil {
		return nil, "", err
	}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, path, fmt.Errorf("%w: the ticket cache %s does not exist: run kinit user@REALM", ErrNoTicket, path)
	case err != nil:
		return nil, path, fmt.Errorf("%w: the ticket cache %s cannot be read (%v): run kinit user@REALM", ErrNoTicket, path, err)
	case len(b) == 0:
		return nil, path, fmt.Errorf("%w: the ticket cache %s is empty: run kinit user@REALM", ErrNoTicket, path)
	}
	cc, err := parseCCache(b)
	if err != nil {
		return nil, path, fmt.Errorf("%w: the ticket cache %s is damaged (%v): run kinit user@REALM", ErrNoTicket, path, err)
	}
	who := cc.DefaultPrincipal.PrincipalName.PrincipalNameString() + "@" + cc.DefaultPrincipal.Realm
	tgt, ok := cc.GetEntry(types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", cc.DefaultPrincipal.Realm}})
	if !ok {
		return nil, path, fmt.Errorf("%w: the ticket cache %s holds no ticket-granting ticket for %s: run kinit %s", ErrNoTicket, path, who, who)
	}
	if !time.Now().Before(tgt.EndTime) {
		return nil, path, fmt.Errorf("%w: the ticket of %s in %s expired at %s: run kinit %s again",
			ErrTicketExpired, who, path, tgt.EndTime.Local().Format(time.DateTime), who)
	}
	return cc, path, nil
}

// parseCCache parses a ticket cache file. gokrb5 indexes past the end of
// a truncated file, so a panic there is a damaged file, not a crash.
func parseCCache(b []byte) (cc *credentials.CCache, err error) {
	defer func() {
		if recover() != nil {
			cc, err = nil, errors.New("truncated")
		}
	}()
	cc = new(credentials.CCache)
	if err := cc.Unmarshal(b); err != nil {
		return nil, err
	}
	return cc, nil
}

// ccachePrincipal is who the ticket cache signs in as.
func ccachePrincipal() (string, error) {
	cc, _, err := loadCCache()
	if err != nil {
		return "", err
	}
	return cc.DefaultPrincipal.PrincipalName.PrincipalNameString() + "@" + cc.DefaultPrincipal.Realm, nil
}

// newKrb5Context signs in from the ticket cache, or from cfg.Keytab as
// cfg.BindID, and gets the service ticket for spn from the KDC.
func newKrb5Context(cfg Config, spn string) (*krb5Context, error) {
	conf, confPath, err := krb5Config()
	if err != nil {
		return nil, err
	}
	settings := []func(*client.Settings){client.DisablePAFXFAST(true)}
	var cl *client.Client
	var realm string
	if cfg.Keytab != "" {
		kt, err := keytab.Load(cfg.Keytab)
		if err != nil {
			return nil, fmt.Errorf("keytab %s: %v", cfg.Keytab, err)
		}
		user, r, _ := cutLast(cfg.BindID, "@")
		realm = r
		cl = client.NewWithKeytab(user, realm, kt, conf, settings...)
		if err := cl.Login(); err != nil {
			return nil, kerberosError(err, cfg.BindID, realm, spn, conf, confPath)
		}
	} else {
		cc, _, err := loadCCache()
		if err != nil {
			return nil, err
		}
		realm = cc.DefaultPrincipal.Realm
		if cl, err = client.NewFromCCache(cc, conf, settings...); err != nil {
			return nil, fmt.Errorf("%w: %v: run kinit", ErrNoTicket, err)
		}
	}
	who := cl.Credentials.UserName() + "@" + cl.Credentials.Realm()
	tkt, key, err := cl.GetServiceTicket(spn)
	if err != nil {
		cl.Destroy()
		return nil, kerberosError(err, who, realm, spn, conf, confPath)
	}
	if key.KeyType == etypeID.RC4_HMAC || key.KeyType == etypeID.RC4_HMAC_EXP {
		cl.Destroy()
		return nil, fmt.Errorf("the KDC gave an RC4 session key for %s; syncgap signs in with AES keys only (RFC 4121): allow AES for the DC's account (msDS-SupportedEncryptionTypes)", spn)
	}
	return &krb5Context{cl: cl, spn: spn, tkt: tkt, key: key}, nil
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// kerberosError turns what gokrb5 reports, which is text only, into one
// line that says what to do.
func kerberosError(err error, who, realm, spn string, conf *config.Config, confPath string) error {
	msg := err.Error()
	has := func(s ...string) bool {
		for _, x := range s {
			if strings.Contains(msg, x) {
				return true
			}
		}
		return false
	}
	switch {
	case has("KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		return fmt.Errorf("%w %s: the KDC of %s knows no such service: connect by the DC's DNS name (ldaps://dc01.contoso.com), or give the SPN the DC is registered under (--spn ldap/dc01.contoso.com)",
			ErrUnknownSPN, spn, realm)
	case has("KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		return fmt.Errorf("the KDC of %s knows no principal %s: check the name and realm (user@REALM, the realm in capitals)", realm, who)
	case has("KDC_ERR_PREAUTH_FAILED", "KRB_AP_ERR_BAD_INTEGRITY", "Decrypting_Error"):
		return fmt.Errorf("the KDC of %s refused the key of %s: the keytab is out of date (the password changed since it was made): export it again", realm, who)
	case has("KRB_AP_ERR_TKT_EXPIRED"):
		return fmt.Errorf("%w: %s: run kinit %s again", ErrTicketExpired, who, who)
	case has("KRB_AP_ERR_SKEW"):
		return fmt.Errorf("the clock of this machine and the KDC of %s differ by more than 5 minutes: set the clock right and try again", realm)
	case has("KDC_ERR_CLIENT_REVOKED"):
		return fmt.Errorf("the KDC of %s says the account %s is disabled, locked or expired", realm, who)
	case has("communication error with KDC", "failed to communicate with KDC", "no KDCs defined", "no KDC SRV records", "error sending to a KDC", "lookup _kerberos"):
		return fmt.Errorf("%w for realm %s (%s): check that the KDC is up and port 88 is open to it", ErrKDCUnreachable, realm, kdcSource(conf, confPath, realm))
	}
	return fmt.Errorf("Kerberos sign-in as %s for %s: %s", who, spn, strings.TrimSpace(msg))
}

// kdcSource says where the KDCs of realm were looked for.
func kdcSource(conf *config.Config, confPath, realm string) string {
	var kdcs []string
	if conf != nil {
		for _, r := range conf.Realms {
			if r.Realm == realm {
				kdcs = r.KDC
			}
		}
	}
	switch {
	case len(kdcs) > 0:
		return "kdc " + strings.Join(kdcs, ", ") + " in " + confPath
	case conf != nil && conf.LibDefaults.DNSLookupKDC:
		return "looked up in DNS as _kerberos._tcp." + strings.ToLower(realm)
	case confPath != "":
		return confPath + " names no kdc for it and dns_lookup_kdc is off"
	}
	return "no Kerberos configuration"
}

// gssChecksumFlags are the context flags the AP-REQ asks for: mutual
// authentication, and integrity and confidentiality, which the SASL
// security layers need (RFC 4121 section 4.1.1.1).
var gssChecksumFlags = []int{gssapi.ContextFlagMutual, gssapi.ContextFlagInteg, gssapi.ContextFlagConf}

func (k *krb5Context) principal() string {
	return k.cl.Credentials.UserName() + "@" + k.cl.Credentials.Realm()
}

func (k *krb5Context) start(binding []byte) ([]byte, error) {
	creds := k.cl.Credentials
	auth, err := types.NewAuthenticator(creds.Domain(), creds.CName())
	if err != nil {
		return nil, fmt.Errorf("Kerberos authenticator: %w", err)
	}
	auth.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: gssChecksum(binding, gssChecksumFlags)}
	k.sndSeq = uint64(auth.SeqNumber)
	req, err := messages.NewAPReq(k.tkt, k.key, auth)
	if err != nil {
		return nil, fmt.Errorf("Kerberos AP-REQ: %w", err)
	}
	types.SetFlag(&req.APOptions, flags.APOptionMutualRequired)
	apreq, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("Kerberos AP-REQ: %w", err)
	}
	// The initial context token (RFC 2743 section 3.1): the mechanism's
	// OID, the AP-REQ token id 01 00, and the AP-REQ.
	oid, _ := asn1.Marshal(krb5MechOID)
	b := append(oid, 0x01, 0x00)
	return asn1tools.AddASNAppTag(append(b, apreq...), 0), nil
}

// krb5MechOID is the Kerberos V5 GSS-API mechanism (RFC 1964). gokrb5's
// own value has the type of its asn1 fork, which encoding/asn1 would
// encode as a sequence of integers.
var krb5MechOID = asn1.ObjectIdentifier{1, 2, 840, 113554, 1, 2, 2}

// gssChecksum is the authenticator checksum of RFC 4121 section 4.1.1:
// the length of Bnd, Bnd (the MD5 of the channel bindings, zero without
// them), and the context flags.
func gssChecksum(binding []byte, ctxFlags []int) []byte {
	c := make([]byte, 24)
	binary.LittleEndian.PutUint32(c, 16)
	if binding != nil {
		// gss_channel_bindings_struct with only application data: the
		// addresses' types and lengths are zero, integers little-endian.
		cb := make([]byte, 20, 20+len(binding))
		binary.LittleEndian.PutUint32(cb[16:], uint32(len(binding)))
		sum := md5.Sum(append(cb, binding...))
		copy(c[4:20], sum[:])
	}
	var f uint32
	for _, x := range ctxFlags {
		f |= uint32(x)
	}
	binary.LittleEndian.PutUint32(c[20:], f)
	return c
}

func (k *krb5Context) step(in []byte) ([]byte, bool, error) {
	var tok spnego.KRB5Token
	if err := tok.Unmarshal(in); err != nil {
		return nil, false, err
	}
	if tok.IsKRBError() {
		return nil, false, kerberosError(tok.KRBError, k.principal(), k.cl.Credentials.Realm(), k.spn, nil, "")
	}
	if !tok.IsAPRep() {
		return nil, false, errors.New("the server answered the AP-REQ with neither an AP-REP nor an error")
	}
	plain, err := crypto.DecryptEncPart(tok.APRep.EncPart, k.key, keyusage.AP_REP_ENCPART)
	if err != nil {
		return nil, false, fmt.Errorf("AP-REP: %w", err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return nil, false, fmt.Errorf("AP-REP: %w", err)
	}
	k.subkey = part.Subkey
	return nil, true, nil
}

// Wrap token flags (RFC 4121 section 4.2.2).
const (
	flagSentByAcceptor = 0x01
	flagSealed         = 0x02
	flagAcceptorSubkey = 0x04
)

// wrap makes a Wrap token without confidentiality: the payload in the
// clear, then its checksum keyed with the acceptor's subkey if it sent one.
func (k *krb5Context) wrap(payload []byte) ([]byte, error) {
	key, fl := k.key, byte(0)
	if len(k.subkey.KeyValue) > 0 {
		key, fl = k.subkey, flagAcceptorSubkey
	}
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	seq := k.sndSeq
	k.sndSeq++
	k.mu.Unlock()
	t := gssapi.WrapToken{Flags: fl, EC: uint16(et.GetHMACBitLength() / 8), SndSeqNum: seq, Payload: payload}
	if err := t.SetCheckSum(key, keyusage.GSSAPI_INITIATOR_SEAL); err != nil {
		return nil, err
	}
	return t.Marshal()
}

// unwrap checks a Wrap token from the server and returns its payload. The
// token may be rotated (RRC, as Windows sends them); it must not be sealed,
// since syncgap never selects the confidentiality layer.
func (k *krb5Context) unwrap(b []byte) ([]byte, error) {
	if len(b) < gssapi.HdrLen || b[0] != 0x05 || b[1] != 0x04 || b[3] != gssapi.FillerByte {
		return nil, errors.New("not a GSS-API Wrap token")
	}
	fl := b[2]
	if fl&flagSentByAcceptor == 0 {
		return nil, errors.New("a Wrap token not sent by the server")
	}
	if fl&flagSealed != 0 {
		return nil, errors.New("a sealed Wrap token, but no confidentiality layer was selected")
	}
	ec := int(binary.BigEndian.Uint16(b[4:6]))
	rrc := int(binary.BigEndian.Uint16(b[6:8]))
	data := b[gssapi.HdrLen:]
	if ec > len(data) {
		return nil, errors.New("a Wrap token shorter than its checksum")
	}
	if len(data) > 0 {
		// Undo the right rotation: {payload | checksum} is the canonical order.
		r := rrc % len(data)
		data = append(append([]byte(nil), data[r:]...), data[:r]...)
	}
	key := k.key
	if fl&flagAcceptorSubkey != 0 {
		if len(k.subkey.KeyValue) == 0 {
			return nil, errors.New("a Wrap token keyed with an acceptor subkey the AP-REP did not carry")
		}
		key = k.subkey
	}
	t := gssapi.WrapToken{Flags: fl, EC: uint16(ec), SndSeqNum: binary.BigEndian.Uint64(b[8:16]),
		Payload: data[:len(data)-ec], CheckSum: data[len(data)-ec:]}
	if ok, err := t.Verify(key, keyusage.GSSAPI_ACCEPTOR_SEAL); !ok {
		return nil, fmt.Errorf("bad signature: %w", err)
	}
	return t.Payload, nil
}

func (k *krb5Context) close() {
	if k.cl != nil {
		k.cl.Destroy()
	}
}

package extractentra

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"syncgap/pipeline"
)

// field is a user property the audit reads.
type field uint8

const (
	fUnknown field = iota
	fID
	fUPN
	fMobile
	fUsage
	fImmutable
	fOnPremUPN
	fSam
	fDN
	fBusiness
	fAlt
	fSync
	fEnabled
	fLastSync
	fValue // "value": the user array of a page, or PS 5.1's array wrapper
)

// Canonical Graph names, used for lookups and in error messages.
var fieldNames = [...]string{
	fID: "id", fUPN: "userPrincipalName", fMobile: "mobilePhone", fUsage: "usageLocation",
	fImmutable: "onPremisesImmutableId", fOnPremUPN: "onPremisesUserPrincipalName",
	fSam: "onPremisesSamAccountName", fDN: "onPremisesDistinguishedName",
	fBusiness: "businessPhones", fAlt: "alternateMobilePhones", fSync: "onPremisesSyncEnabled",
	fEnabled: "accountEnabled", fLastSync: "onPremisesLastSyncDateTime", fValue: "value",
}

// fieldsByLen lists the fields by the length of their name. Keys are
// matched by length and then an ASCII case-insensitive compare, which
// takes camelCase and PascalCase alike and is several times cheaper than
// hashing every key of every user into a map.
var fieldsByLen = func() (t [32][]field) {
	for f, name := range fieldNames {
		if name != "" {
			t[len(name)] = append(t[len(name)], field(f))
		}
	}
	return t
}()

func lookupField(key []byte) field {
	if len(key) >= len(fieldsByLen) {
		return fUnknown
	}
	for _, f := range fieldsByLen[len(key)] {
		if equalFoldASCII(key, fieldNames[f]) {
			return f
		}
	}
	return fUnknown
}

// equalFoldASCII compares key with an ASCII name ignoring case.
func equalFoldASCII(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := 0; i < len(key); i++ {
		c, n := key[i], name[i]
		if c == n {
			continue
		}
		if c|0x20 != n|0x20 || n|0x20 < 'a' || n|0x20 > 'z' {
			return false
		}
	}
	return true
}

// String slots of a rawUser; each is a span of the parser's arena.
const (
	sID = iota
	sUPN
	sMobile
	sUsage
	sImmutable
	sOnPremUPN
	sSam
	sDN
	sOrigin
	nSlots
)

var slotOf = [...]int{fID: sID, fUPN: sUPN, fMobile: sMobile, fUsage: sUsage, fImmutable: sImmutable,
	fOnPremUPN: sOnPremUPN, fSam: sSam, fDN: sDN}

type span struct{ off, end int32 }

// list is a multi-valued property: n spans in the parser's phones, from
// off. known false is null (not exported), which differs from empty.
type list struct {
	off, n int32
	known  bool
}

// rawUser is a user whose strings still live in the parser's arena. Users
// are materialised in batches, so all strings of a batch share one
// allocation: a million users then cost a thousand allocations, not ten
// million, and the garbage collector has that much less to do.
type rawUser struct {
	str           [nSlots]span
	bp, alt       list
	sync, enabled pipeline.NullBool
	last          time.Time
	line, col     int
	seen          uint32 // bit per field whose key was present
}

// jsonStats records the shape of the input, from which the format is named.
type jsonStats struct {
	pages      int  // {"value":[…]} objects
	topUsers   int  // user objects at the top level (JSON Lines, one PS object)
	arrayUsers int  // user objects directly in a top-level array
	multiLine  bool // the first top-level user object spans lines
	pascal     bool // the first user's first known key is PascalCase
	keyed      bool // pascal has been decided
	immutable  bool // some user has an onPremisesImmutableId key
	syncFlag   bool // some user has an onPremisesSyncEnabled key
}

// jsonParser turns a JSON stream into users. One parser per goroutine; its
// buffers are reused from file to file.
type jsonParser struct {
	s       scanner
	origin  string // base file name, for origins
	arena   []byte
	phones  []span
	raw     []rawUser
	scratch []byte
	stats   jsonStats
	out     []pipeline.EntraUser
	// Keys seen so far in the current page object and user object, to
	// refuse one given twice (see keySet).
	pageKeys, userKeys keySet
	inPage             bool // parsing the "value" array of a Graph page
	// sizeHint is the input's size in bytes when known, so p.out can be
	// sized once for the whole file (see growFor).
	sizeHint int64
	// liveOrigin, set when parsing live Graph pages (UsersPage), is every
	// user's origin; errors then speak of a response, not an export.
	liveOrigin string
	// sink, when set, is told of every batch flushed into p.out, which it
	// takes once it spools (see hand); emitted counts the users it took.
	// total is the input's size, for its projection.
	sink    *collector
	emitted int
	total   int64
}

const flushEvery = 4096 // users per batch: bounds the arena, amortises allocation

// parse reads every user of one file and appends them to p.out.
func (p *jsonParser) parse(path string, r io.Reader) error {
	p.s.reset(path, r)
	p.origin = filepath.Base(path)
	p.arena, p.phones, p.raw = p.arena[:0], p.phones[:0], p.raw[:0]
	p.emitted = 0
	s := &p.s
	values := 0
	for {
		c, ok := s.peek()
		if !ok {
			break
		}
		switch c {
		case '{':
			if err := p.object(true, 0); err != nil {
				return err
			}
		case '[':
			more, err := s.beginArray()
			for more && err == nil {
				if c, err = s.next(); err != nil {
					break
				}
				if c != '{' {
					return s.errAt(s.pos, errors.New("expected a page or user object in the top-level array"))
				}
				if err = p.object(false, 1); err != nil {
					return err
				}
				if err = p.between(); err != nil {
					return err
				}
				more, err = s.arrayNext()
			}
			if err != nil {
				return err
			}
		default:
			if values == 0 {
				return s.errAt(s.pos, unknownFormat("JSON that is neither an object nor an array"))
			}
			return s.errSyntax("after top-level value")
		}
		values++
		if err := p.between(); err != nil {
			return err
		}
	}
	if s.rerr != nil {
		return s.readErr()
	}
	p.flush()
	return nil
}

// between runs at a value boundary, where no span refers to the scanner.
// Its error is the sink's (a spill that failed, or the run cancelled).
func (p *jsonParser) between() error {
	p.s.release()
	if len(p.raw) >= flushEvery {
		p.flush()
		if p.sink != nil && p.sink.err != nil {
			return p.sink.err
		}
	}
	return nil
}

// object parses an object in container position (top level, or in a
// top-level array): a Graph page when it has a "value" array, else a user.
// top says whether it is at the top level, for naming the format.
func (p *jsonParser) object(top bool, depth int) error {
	s := &p.s
	line, col := s.position(s.pos)
	u := rawUser{line: line, col: col}
	page := false
	p.pageKeys.reset()
	more, err := s.beginObject()
	for more && err == nil {
		var key []byte
		if key, err = s.objectKey(); err != nil {
			return err
		}
		f := lookupField(key)
		if err = p.checkKey(&p.pageKeys, &u, f, key); err != nil {
			return err
		}
		if top && f == fUnknown && equalFoldASCII(key, "error") {
			if err = p.graphError(line, col); err != nil {
				return err
			}
			more, err = s.objectNext()
			continue
		}
		if f == fValue {
			var c byte
			if c, err = s.next(); err != nil {
				return err
			}
			if c == '[' {
				page = true
				p.inPage = true
				err = p.pageUsers(depth + 1)
				p.inPage = false
				if err != nil {
					return err
				}
				more, err = s.objectNext()
				continue
			}
		}
		if err = p.member(&u, f, key, depth); err != nil {
			return err
		}
		more, err = s.objectNext()
	}
	if err != nil {
		return err
	}
	if page {
		p.stats.pages++
		return nil
	}
	if top {
		p.stats.topUsers++
		if p.stats.topUsers == 1 {
			end, _ := s.position(s.pos)
			p.stats.multiLine = end > line
		}
	} else {
		p.stats.arrayUsers++
	}
	return p.finish(&u)
}

// pageUsers parses the user array of a page.
func (p *jsonParser) pageUsers(depth int) error {
	s := &p.s
	more, err := s.beginArray()
	for more && err == nil {
		var c byte
		if c, err = s.next(); err != nil {
			return err
		}
		if c != '{' {
			return s.errAt(s.pos, errors.New(`expected a user object in the page's "value" array`))
		}
		if err = p.user(depth + 1); err != nil {
			return err
		}
		if err = p.between(); err != nil {
			return err
		}
		more, err = s.arrayNext()
	}
	return err
}

// user parses one user object at pos.
func (p *jsonParser) user(depth int) error {
	s := &p.s
	line, col := s.position(s.pos)
	u := rawUser{line: line, col: col}
	p.userKeys.reset()
	more, err := s.beginObject()
	for more && err == nil {
		var key []byte
		if key, err = s.objectKey(); err != nil {
			return err
		}
		f := lookupField(key)
		if err = p.checkKey(&p.userKeys, &u, f, key); err != nil {
			return err
		}
		if err = p.member(&u, f, key, depth); err != nil {
			return err
		}
		more, err = s.objectNext()
	}
	if err != nil {
		return err
	}
	return p.finish(&u)
}

// checkKey refuses a key the object already had. JSON leaves duplicate
// keys undefined, and readers differ on which value wins (encoding/json
// takes the last), so a user with two mobilePhones has no one answer. A
// property the audit reads counts as given twice in any case ("id" and
// "Id"); any other key only when spelled the same.
func (p *jsonParser) checkKey(ks *keySet, u *rawUser, f field, key []byte) error {
	dup := false
	switch {
	case f != fUnknown:
		dup = u.seen&(1<<f) != 0
		u.seen |= 1 << f
	default:
		dup = !ks.add(key)
	}
	if dup {
		why := " (an edited or corrupted export?)"
		if p.liveOrigin != "" {
			why = ""
		}
		return p.s.errAt(p.s.keyAt, fmt.Errorf("key %q appears twice in one object: which value is meant is undefined%s",
			pipeline.ShortText(key), why))
	}
	return nil
}

// keySet holds the keys of one object, by hash, then by their bytes, so a
// hash collision cannot report a false duplicate. Objects have a few
// dozen keys, so a slice scan beats a map, and nothing is allocated once
// the buffers have grown.
type keySet struct {
	seeded bool
	seed   maphash.Seed
	hashes []uint64
	ends   []int // key i is buf[ends[i-1]:ends[i]]
	buf    []byte
}

func (k *keySet) reset() {
	if !k.seeded {
		k.seed, k.seeded = maphash.MakeSeed(), true
	}
	k.hashes, k.ends, k.buf = k.hashes[:0], k.ends[:0], k.buf[:0]
}

// add records key, reporting false when the object already had it.
func (k *keySet) add(key []byte) bool {
	h := maphash.Bytes(k.seed, key)
	for i, g := range k.hashes {
		if g != h {
			continue
		}
		start := 0
		if i > 0 {
			start = k.ends[i-1]
		}
		if bytes.Equal(k.buf[start:k.ends[i]], key) {
			return false
		}
	}
	k.hashes = append(k.hashes, h)
	k.buf = append(k.buf, key...)
	k.ends = append(k.ends, len(k.buf))
	return true
}

// member parses the value of one property into u.
func (p *jsonParser) member(u *rawUser, f field, key []byte, depth int) error {
	if f == fUnknown || f == fValue {
		return p.s.skipValue(depth + 1)
	}
	if !p.stats.keyed {
		p.stats.keyed, p.stats.pascal = true, 'A' <= key[0] && key[0] <= 'Z'
	}
	u.seen |= 1 << f
	switch f {
	case fSync:
		p.stats.syncFlag = true
		return p.boolValue(&u.sync, f, depth)
	case fEnabled:
		return p.boolValue(&u.enabled, f, depth)
	case fBusiness:
		return p.listValue(&u.bp, f, depth)
	case fAlt:
		return p.listValue(&u.alt, f, depth)
	case fLastSync:
		return p.timeValue(&u.last, f, depth)
	case fImmutable:
		p.stats.immutable = true
	}
	return p.stringValue(&u.str[slotOf[f]], f, depth)
}

// unwrap handles PowerShell 5.1's habit of wrapping values in an object
// ({"value":[…],"Count":n}, or {"value":"/Date(…)/","DateTime":"…"}): it
// finds the "value" member and hands its value to parse; other members are
// skipped.
func (p *jsonParser) unwrap(f field, depth int, parse func(depth int) error) error {
	s := &p.s
	if depth > maxDepth {
		return s.errAt(s.pos, errors.New("JSON nested too deeply"))
	}
	more, err := s.beginObject()
	for more && err == nil {
		var key []byte
		if key, err = s.objectKey(); err != nil {
			return err
		}
		if lookupField(key) == fValue {
			err = parse(depth + 1)
		} else {
			err = s.skipValue(depth + 1)
		}
		if err != nil {
			return err
		}
		more, err = s.objectNext()
	}
	return err
}

func (p *jsonParser) typeErr(f field, want string) error {
	return p.s.errAt(p.s.pos, fmt.Errorf("property %s: expected %s", fieldNames[f], want))
}

func (p *jsonParser) stringValue(dst *span, f field, depth int) error {
	s := &p.s
	c, err := s.next()
	if err != nil {
		return err
	}
	switch c {
	case '"':
		off := len(p.arena)
		if p.arena, err = s.readString(p.arena); err != nil {
			return err
		}
		*dst = span{int32(off), int32(len(p.arena))}
		return nil
	case 'n':
		*dst = span{}
		return s.literal("null")
	case '{':
		return p.unwrap(f, depth, func(d int) error { return p.stringValue(dst, f, d) })
	}
	return p.typeErr(f, "a string")
}

func (p *jsonParser) boolValue(dst *pipeline.NullBool, f field, depth int) error {
	s := &p.s
	c, err := s.next()
	if err != nil {
		return err
	}
	switch c {
	case 't':
		*dst = pipeline.Known(true)
		return s.literal("true")
	case 'f':
		*dst = pipeline.Known(false)
		return s.literal("false")
	case 'n':
		*dst = pipeline.NullBool{}
		return s.literal("null")
	case '"': // "True" from tools that stringify everything
		at := s.pos
		if p.scratch, err = s.readString(p.scratch[:0]); err != nil {
			return err
		}
		if *dst, err = parseBool(string(p.scratch)); err != nil {
			return s.errAt(at, fmt.Errorf("property %s: %w", fieldNames[f], err))
		}
		return nil
	case '{':
		return p.unwrap(f, depth, func(d int) error { return p.boolValue(dst, f, d) })
	}
	return p.typeErr(f, "true, false or null")
}

// listValue reads an array of strings. A string instead of an array is a
// single value, except a .NET type name (ConvertTo-Json past its -Depth
// writes "System.String[]"), which leaves the list unknown.
func (p *jsonParser) listValue(dst *list, f field, depth int) error {
	s := &p.s
	c, err := s.next()
	if err != nil {
		return err
	}
	switch c {
	case '[':
		*dst = list{off: int32(len(p.phones)), known: true}
		more, err := s.beginArray()
		for more && err == nil {
			if c, err = s.next(); err != nil {
				return err
			}
			switch c {
			case '"':
				off := len(p.arena)
				if p.arena, err = s.readString(p.arena); err != nil {
					return err
				}
				p.phones = append(p.phones, span{int32(off), int32(len(p.arena))})
				dst.n++
			case 'n':
				if err = s.literal("null"); err != nil {
					return err
				}
			default:
				return p.typeErr(f, "an array of strings")
			}
			more, err = s.arrayNext()
		}
		return err
	case '"':
		off := len(p.arena)
		if p.arena, err = s.readString(p.arena); err != nil {
			return err
		}
		if v := string(p.arena[off:]); unexpanded(v) || strings.TrimSpace(v) == "" {
			p.arena = p.arena[:off]
			*dst = list{known: !unexpanded(v), off: int32(len(p.phones))}
			return nil
		}
		*dst = list{off: int32(len(p.phones)), n: 1, known: true}
		p.phones = append(p.phones, span{int32(off), int32(len(p.arena))})
		return nil
	case 'n':
		*dst = list{}
		return s.literal("null")
	case '{':
		return p.unwrap(f, depth, func(d int) error { return p.listValue(dst, f, d) })
	}
	return p.typeErr(f, "an array of strings")
}

func (p *jsonParser) timeValue(dst *time.Time, f field, depth int) error {
	s := &p.s
	c, err := s.next()
	if err != nil {
		return err
	}
	switch c {
	case '"':
		at := s.pos
		if p.scratch, err = s.readString(p.scratch[:0]); err != nil {
			return err
		}
		if t, ok := fastISO(p.scratch); ok {
			*dst = t
			return nil
		}
		if *dst, _, err = parseTime(string(p.scratch), orderUnknown); err != nil {
			return s.errAt(at, fmt.Errorf("property %s: %w", fieldNames[f], err))
		}
		return nil
	case 'n':
		*dst = time.Time{}
		return s.literal("null")
	case '{':
		return p.unwrap(f, depth, func(d int) error { return p.timeValue(dst, f, d) })
	}
	return p.typeErr(f, "a date string")
}

// finish validates a parsed user and queues it for materialisation.
func (p *jsonParser) finish(u *rawUser) error {
	// When the very first object lacks the property altogether, the file is
	// most likely not a user export at all (the tenant JSON, say): say that.
	// When it has other user properties, it is a user export whose
	// property list left the key out: say how to export it instead. A
	// live page is none of these: the $select is the client's own.
	first := p.liveOrigin == "" && p.emitted+len(p.out)+len(p.raw) == 0
	id := u.str[sID]
	if id.off == id.end {
		err := errors.New("user object has no id")
		if first && u.seen&(1<<fID) == 0 {
			if u.seen&^(1<<fID|1<<fValue) != 0 {
				err = p.leftOut("id")
			} else {
				err = unknownFormat("the first object has no id")
			}
		}
		return &pipeline.ParseError{File: p.s.file, Line: u.line, Column: u.col, Err: err}
	}
	if upn := u.str[sUPN]; upn.off == upn.end {
		err := fmt.Errorf("user object %s has no userPrincipalName", p.arena[id.off:id.end])
		if first && u.seen&(1<<fUPN) == 0 {
			if u.seen&^(1<<fID|1<<fUPN|1<<fValue) != 0 {
				err = p.leftOut("userPrincipalName")
			} else {
				err = unknownFormat(fmt.Sprintf("the first object, %s, has no userPrincipalName", p.arena[id.off:id.end]))
			}
		}
		return &pipeline.ParseError{File: p.s.file, Line: u.line, Column: u.col, Err: err}
	}
	for i := id.off; i < id.end; i++ { // object ids are compared lower-case everywhere, as CanonicalID makes them
		if c := p.arena[i]; 'A' <= c && c <= 'Z' {
			p.arena[i] = c + 'a' - 'A'
		}
	}
	if p.liveOrigin != "" {
		p.raw = append(p.raw, *u)
		return nil
	}
	off := len(p.arena)
	p.arena = append(p.arena, p.origin...)
	p.arena = append(p.arena, ':')
	p.arena = strconv.AppendInt(p.arena, int64(u.line), 10)
	u.str[sOrigin] = span{int32(off), int32(len(p.arena))}
	p.raw = append(p.raw, *u)
	return nil
}

// graphSelect is the $select that exports every property the audit reads
// (the live Graph source asks for the same).
const graphSelect = "id,userPrincipalName,mobilePhone,businessPhones,usageLocation,onPremisesSyncEnabled," +
	"onPremisesImmutableId,onPremisesUserPrincipalName,onPremisesSamAccountName,onPremisesDistinguishedName," +
	"onPremisesLastSyncDateTime,accountEnabled"

// leftOut says that the users of the file lack a property every user has,
// so the export's property list left it out, and how to ask for it.
func (p *jsonParser) leftOut(name string) error {
	switch {
	case p.inPage || !p.stats.pascal:
		return fmt.Errorf("the users have no %s: the $select of this Graph export left it out; add %s to $select "+
			"(GET /v1.0/users?$select=%s)", name, name, graphSelect)
	default:
		pascal := strings.ToUpper(name[:1]) + name[1:]
		return fmt.Errorf("the users have no %s: the property list of this export left it out; add %s to "+
			"Get-MgUser -Property (and to Select-Object, if used)", pascal, pascal)
	}
}

// flush materialises the queued users into p.out with one string and one
// []string allocation for the whole batch.
func (p *jsonParser) flush() {
	if len(p.raw) == 0 {
		return
	}
	data := string(p.arena)
	str := func(sp span) string { return data[sp.off:sp.end] }
	vals := make([]string, len(p.phones))
	for i, sp := range p.phones {
		vals[i] = str(sp)
	}
	lst := func(l list) []string {
		if !l.known {
			return nil
		}
		return vals[l.off : l.off+l.n : l.off+l.n]
	}
	// The sink is asked before growFor, which would size p.out for the
	// whole file.
	spool := false
	if p.sink != nil && p.sink.err == nil {
		spool, p.sink.err = p.sink.grew(p.batchBytes(), p.s.base+int64(p.s.pos), p.total)
	}
	if spool {
		p.sizeHint = 0 // from now on p.out holds one batch at a time
	}
	p.out = growFor(p.out, len(p.raw), p.s.base+int64(p.s.pos), p.sizeHint)
	for i := range p.raw {
		r := &p.raw[i]
		origin := p.liveOrigin
		if origin == "" {
			origin = str(r.str[sOrigin])
		}
		p.out = append(p.out, pipeline.EntraUser{
			ID:                       str(r.str[sID]),
			UPN:                      str(r.str[sUPN]),
			MobilePhone:              str(r.str[sMobile]),
			AlternateMobilePhones:    lst(r.alt),
			BusinessPhones:           lst(r.bp),
			UsageLocation:            str(r.str[sUsage]),
			OnPremisesSyncEnabled:    r.sync,
			OnPremisesImmutableID:    str(r.str[sImmutable]),
			OnPremisesUPN:            str(r.str[sOnPremUPN]),
			OnPremisesSamAccountName: str(r.str[sSam]),
			OnPremisesDN:             str(r.str[sDN]),
			OnPremisesLastSync:       r.last,
			AccountEnabled:           r.enabled,
			Origin:                   origin,
		})
	}
	p.arena, p.phones, p.raw = p.arena[:0], p.phones[:0], p.raw[:0]
	if spool {
		// An error is kept in the sink for the caller.
		p.emitted += len(p.out)
		p.sink.err = p.sink.take(p.out, nil)
		p.out = p.out[:0]
	}
}

// batchBytes is what the queued users will take once materialised, as
// userBytes counts it: their strings are the arena.
func (p *jsonParser) batchBytes() int64 {
	return int64(len(p.arena)) + 16*int64(len(p.phones)) + int64(len(p.raw))*int64(unsafe.Sizeof(pipeline.EntraUser{}))
}

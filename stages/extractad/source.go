package extractad

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"path/filepath"
	"strconv"
	"unicode"
	"unicode/utf8"

	"syncgap/ldif"
	"syncgap/pipeline"
)

// ReadLDIF streams the user entries of an LDIF export through emit as ad_users
// rows, in file order, and returns how many it emitted. name is the file name
// as the user gave it: errors carry it whole, origins its base name.
func ReadLDIF(r io.Reader, name string, emit func(*pipeline.ADUser) error) (int, error) {
	rd := ldif.NewReader(r, name)
	base := filepath.Base(name) + ":"
	var origin []byte
	dns := newDNIndex()
	entries, users := 0, 0
	for {
		e, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return users, err
		}
		entries++
		// Every entry counts, not only users: a repeated DN means the file
		// was concatenated or edited, and its users cannot be trusted.
		if first, dup := dns.add(e.DN, e.Line); dup {
			return users, &pipeline.ParseError{File: name, Line: e.Line,
				Err: fmt.Errorf("duplicate dn %q (first at line %d)", e.DN, first)}
		}
		origin = strconv.AppendInt(append(origin[:0], base...), int64(e.Line), 10)
		u, ok, err := ToADUser(e, string(origin))
		if err != nil {
			var pe *pipeline.ParseError
			if errors.As(err, &pe) {
				pe.File = name
			}
			return users, err
		}
		if !ok {
			continue
		}
		if err := emit(&u); err != nil {
			return users, err
		}
		users++
	}
	if users == 0 {
		return 0, &pipeline.ParseError{File: name,
			Err: fmt.Errorf("no user entries among %d entries: %w", entries, pipeline.ErrEmptyInput)}
	}
	return users, nil
}

// dnIndex remembers the DNs seen so far by a 128-bit hash of their lower-cased
// text: at millions of users, keeping the DNs themselves would cost far more
// memory, and a false duplicate is as likely as a random 128-bit collision.
type dnIndex struct {
	seeds   [2]maphash.Seed
	seen    map[[2]uint64]int // hash → line of the dn
	scratch []byte
}

func newDNIndex() *dnIndex {
	return &dnIndex{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, seen: make(map[[2]uint64]int)}
}

// add records dn at line; for a DN seen before it returns the earlier line and true.
func (x *dnIndex) add(dn string, line int) (int, bool) {
	x.scratch = appendLower(x.scratch[:0], dn)
	k := [2]uint64{maphash.Bytes(x.seeds[0], x.scratch), maphash.Bytes(x.seeds[1], x.scratch)}
	if first, ok := x.seen[k]; ok {
		return first, true
	}
	x.seen[k] = line
	return 0, false
}

// appendLower appends s lower-cased; unlike strings.ToLower it reuses dst.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	return dst
}

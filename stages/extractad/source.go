package extractad

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"syncgap/ldif"
	"syncgap/pipeline"
)

// ReadLDIF streams the user entries of an LDIF export through emit as ad_users
// rows, in file order, and returns how many it emitted. name is the file name
// as the user gave it: errors carry it whole, origins its base name. It
// holds a hash of every DN in memory; the stage reads within its budget.
func ReadLDIF(r io.Reader, name string, emit func(*pipeline.ADUser) error) (int, error) {
	dns := newDNCheck("", 0)
	defer dns.close()
	return readLDIF(context.Background(), r, name, dns, emit)
}

// repeatedDNError is a DN that repeats, found after the whole file was
// read (dnCheck): the file must be read again for its text.
type repeatedDNError struct {
	file         string
	later, first int // lines
}

func (e *repeatedDNError) Error() string {
	return fmt.Sprintf("%s:%d: duplicate dn (first at line %d)", e.file, e.later, e.first)
}

func readLDIF(ctx context.Context, r io.Reader, name string, dns *dnCheck, emit func(*pipeline.ADUser) error) (int, error) {
	rd := ldif.NewReader(r, name)
	base := filepath.Base(name) + ":"
	var origin []byte
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
		if first, dup, err := dns.add(e.DN, e.Line); err != nil {
			return users, err
		} else if dup {
			return users, duplicateDN(name, e.Line, e.DN, first)
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
	if later, first, found, err := dns.repeated(ctx); err != nil {
		return users, err
	} else if found {
		return users, &repeatedDNError{file: name, later: later, first: first}
	}
	if users == 0 {
		return 0, &pipeline.ParseError{File: name,
			Err: fmt.Errorf("no user entries among %d entries: %w", entries, pipeline.ErrEmptyInput)}
	}
	return users, nil
}

func duplicateDN(file string, line int, dn string, first int) error {
	return &pipeline.ParseError{File: file, Line: line, Err: fmt.Errorf("duplicate dn %q (first at line %d)", dn, first)}
}

// dnAtLine reads the LDIF file at path again for the DN of the entry that
// starts at line, to name a repeat found only at the end.
func dnAtLine(path string, line int) (string, error) {
	f, _, src, err := openLDIF(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	rd := ldif.NewReader(src, path)
	for {
		e, err := rd.Next()
		if err != nil {
			return "", fmt.Errorf("read %s again for the dn at line %d: %w", path, line, err)
		}
		if e.Line == line {
			return e.DN, nil
		}
	}
}

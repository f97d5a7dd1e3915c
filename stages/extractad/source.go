package extractad

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

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
	return readLDIFParts(ctx, r, name, partBytesFor(pipeline.MemoryFrom(ctx)), dns, emit)
}

// readLDIFParts is readLDIF with parts of partSize bytes (parts.go); 0
// reads the file in one sequential pass.
func readLDIFParts(ctx context.Context, r io.Reader, name string, partSize int, dns *dnCheck, emit func(*pipeline.ADUser) error) (int, error) {
	parts := startParts(r, name, partSize)
	defer parts.stop()
	entries, users := 0, 0
	// take is one entry, in file order.
	take := func(e *partEntry) error {
		entries++
		// Every entry counts, not only users: a repeated DN means the file
		// was concatenated or edited, and its users cannot be trusted.
		if first, dup, err := dns.add(e.dn, e.line); err != nil {
			return err
		} else if dup {
			return duplicateDN(name, e.line, e.dn, first)
		}
		if e.err != nil || !e.ok {
			return e.err
		}
		if err := emit(&e.user); err != nil {
			return err
		}
		users++
		return nil
	}
	for {
		part, rows, more, err := parts.next(ctx)
		if err != nil {
			return users, err
		}
		if !more {
			break
		}
		for i := range rows.entries {
			if err := take(&rows.entries[i]); err != nil {
				return users, err
			}
		}
		if rows.err != nil {
			return users, rows.err
		}
		if part.rest == nil {
			continue
		}
		if err := eachEntry(ldif.NewPartReader(part.rest, name, part.line), name, filepath.Base(name)+":", take); err != nil {
			return users, err
		}
	}
	if entries == 0 {
		return 0, &pipeline.ParseError{File: name, Err: pipeline.ErrEmptyInput}
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

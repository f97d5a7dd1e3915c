package extractentra

import (
	"errors"
	"fmt"

	"syncgap/pipeline"
)

// errGraphResponse is a Graph error body saved where a page was expected:
// a throttled, expired or forbidden request whose output was redirected
// into the page file anyway.
var errGraphResponse = errors.New("the file holds a Graph error response, not users")

// graphError reads the value of a top-level "error" member,
// {"code":…,"message":…,"innerError":{…}}, into an error naming the code
// and message, so the user sees why the download failed.
func (p *jsonParser) graphError(line, col int) error {
	s := &p.s
	c, err := s.next()
	if err != nil {
		return err
	}
	if c != '{' {
		return s.skipValue(1) // not Graph's shape: treat "error" as any other property
	}
	var code, msg string
	more, err := s.beginObject()
	for more && err == nil {
		var key []byte
		if key, err = s.objectKey(); err != nil {
			return err
		}
		var dst *string
		switch {
		case equalFoldASCII(key, "code"):
			dst = &code
		case equalFoldASCII(key, "message"):
			dst = &msg
		}
		if c, err = s.next(); err != nil {
			return err
		}
		if dst != nil && c == '"' {
			if p.scratch, err = s.readString(p.scratch[:0]); err != nil {
				return err
			}
			*dst = string(p.scratch)
		} else if err = s.skipValue(1); err != nil {
			return err
		}
		more, err = s.objectNext()
	}
	if err != nil {
		return err
	}
	return &pipeline.ParseError{File: s.file, Line: line, Column: col, Err: fmt.Errorf("%w: %s: %s", errGraphResponse, code, msg)}
}

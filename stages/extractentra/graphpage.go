package extractentra

import (
	"errors"

	"syncgap/pipeline"
)

// UsersPage decodes the pages of a live GET /v1.0/users with the scanner
// and user parser of the JSON export reader: the same conventions as a
// page file (ids lower case, absent or null strings empty, a list nil only
// when not returned, times UTC, alternateMobilePhones unknown), the same
// strict UTF-8 and duplicate-key checks, and every error a
// *pipeline.ParseError with a line and column in the body. Unlike a page
// file, every user has one origin, and the page's @odata.nextLink is
// returned. One UsersPage per goroutine; its buffers are reused from page
// to page.
type UsersPage struct {
	p jsonParser
}

// NewUsersPage returns a decoder whose users all have origin as Origin.
func NewUsersPage(origin string) *UsersPage {
	return &UsersPage{p: jsonParser{liveOrigin: origin}}
}

// Decode parses one page body, {"value":[…],"@odata.nextLink":"…"}, and
// appends its users to users; name is the page in errors. It returns the
// users and the next link, "" on the last page. body is read in place and
// not kept; the users' strings do not refer to it. On an error, users is
// returned as it came.
func (d *UsersPage) Decode(name string, body []byte, users []pipeline.EntraUser) ([]pipeline.EntraUser, string, error) {
	p := &d.p
	p.s.resetBytes(name, body)
	p.arena, p.phones, p.raw = p.arena[:0], p.phones[:0], p.raw[:0]
	p.out = users
	defer func() { p.out, p.s.buf = nil, nil }()
	next, err := p.livePage()
	if err != nil {
		return users, "", err
	}
	p.flush()
	return p.out, next, nil
}

// livePage parses the page object: its "value" array of users and its
// @odata.nextLink; other members (@odata.context) are skipped. Keys are
// matched exactly, as Graph writes them.
func (p *jsonParser) livePage() (next string, err error) {
	s := &p.s
	c, ok := s.peek()
	switch {
	case !ok:
		return "", s.errAt(s.pos, errors.New(`empty body where a page of users, {"value":[…]}, was expected`))
	case c != '{':
		return "", s.errAt(s.pos, errors.New(`expected a page of users, {"value":[…]}`))
	}
	line, col := s.position(s.pos)
	seen := false
	p.pageKeys.reset()
	more, err := s.beginObject()
	for more && err == nil {
		var key []byte
		if key, err = s.objectKey(); err != nil {
			return "", err
		}
		var u rawUser // page keys are no user's: checkKey only needs somewhere to mark them
		if err = p.checkKey(&p.pageKeys, &u, fUnknown, key); err != nil {
			return "", err
		}
		switch string(key) {
		case "value":
			if c, err = s.next(); err != nil {
				return "", err
			}
			if c != '[' {
				return "", s.errAt(s.pos, errors.New(`property value: expected an array of users`))
			}
			seen = true
			p.inPage = true
			err = p.pageUsers(1)
			p.inPage = false
		case "@odata.nextLink":
			next, err = p.linkValue()
		default:
			err = s.skipValue(1)
		}
		if err != nil {
			return "", err
		}
		more, err = s.objectNext()
	}
	if err != nil {
		return "", err
	}
	if _, ok := s.peek(); ok {
		return "", s.errSyntax("after top-level value")
	}
	if !seen {
		return "", &pipeline.ParseError{File: s.file, Line: line, Column: col, Err: errors.New(`the page has no "value" array of users`)}
	}
	return next, nil
}

// linkValue reads @odata.nextLink: a string, or null for none.
func (p *jsonParser) linkValue() (string, error) {
	s := &p.s
	c, err := s.next()
	if err != nil {
		return "", err
	}
	switch c {
	case '"':
		if p.scratch, err = s.readString(p.scratch[:0]); err != nil {
			return "", err
		}
		return string(p.scratch), nil
	case 'n':
		return "", s.literal("null")
	}
	return "", s.errAt(s.pos, errors.New("property @odata.nextLink: expected a string"))
}

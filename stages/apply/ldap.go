package apply

import (
	"context"
	"errors"
	"fmt"
	"syncgap/ldapconn"

	"github.com/go-ldap/ldap/v3"
)

// ldapDir is a Directory over one LDAP connection, reconnecting after a
// transport failure.
type ldapDir struct {
	cfg  ldapconn.Config
	conn *ldap.Conn
}

var _ Directory = (*ldapDir)(nil)

// DialLDAP returns a Dial function opening connections with cfg (the same
// settings and bind as extract-ad).
func DialLDAP(cfg ldapconn.Config) func(ctx context.Context) (Directory, error) {
	return func(ctx context.Context) (Directory, error) {
		d := &ldapDir{cfg: cfg}
		if err := d.connect(ctx); err != nil {
			return nil, err
		}
		return d, nil
	}
}

func (d *ldapDir) connect(ctx context.Context) error {
	if d.conn != nil && !d.conn.IsClosing() {
		return nil
	}
	if d.conn != nil {
		d.conn.Close()
	}
	c, err := ldapconn.Connect(ctx, d.cfg)
	if err != nil {
		d.conn = nil
		return err
	}
	d.conn = c
	return nil
}

// classify turns a go-ldap error into a ServerError (the server's verdict)
// or a transport error, dropping the connection after the latter.
func (d *ldapDir) classify(err error) error {
	var le *ldap.Error
	if errors.As(err, &le) && le.ResultCode < 200 {
		switch le.ResultCode {
		case ldap.LDAPResultBusy, ldap.LDAPResultUnavailable:
			// Try again later: like a dropped connection, the effect is unknown.
		default:
			msg := le.Err.Error()
			if le.Err == nil {
				msg = ldap.LDAPResultCodeMap[le.ResultCode]
			}
			return &ServerError{Code: int(le.ResultCode), Message: msg}
		}
	}
	if d.conn != nil {
		d.conn.Close()
		d.conn = nil
	}
	return err
}

func (d *ldapDir) Values(ctx context.Context, dn, attr string) ([]string, error) {
	if err := d.connect(ctx); err != nil {
		return nil, err
	}
	req := ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{attr}, nil)
	res, err := d.conn.Search(req)
	if err != nil {
		return nil, d.classify(err)
	}
	if len(res.Entries) != 1 {
		return nil, &ServerError{Code: int(ldap.LDAPResultNoSuchObject), Message: fmt.Sprintf("%d entries for %s", len(res.Entries), dn)}
	}
	vals := res.Entries[0].GetEqualFoldAttributeValues(attr)
	if vals == nil {
		vals = []string{}
	}
	return vals, nil
}

func (d *ldapDir) Swap(ctx context.Context, dn, attr string, old, new []string) error {
	if err := d.connect(ctx); err != nil {
		return err
	}
	m := ldap.NewModifyRequest(dn, nil)
	if len(old) > 0 {
		m.Delete(attr, old)
	}
	if len(new) > 0 {
		m.Add(attr, new)
	}
	if err := d.conn.Modify(m); err != nil {
		return d.classify(err)
	}
	return nil
}

func (d *ldapDir) Close() error {
	if d.conn == nil {
		return nil
	}
	return d.conn.Close()
}

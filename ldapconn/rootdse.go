package ldapconn

import (
	"fmt"

	"github.com/go-ldap/ldap/v3"
)

// DefaultNamingContext reads defaultNamingContext from the server's
// rootDSE: the DN of the domain an AD DC serves (DC=contoso,DC=com), the
// natural search base when none is given. server names the DC in errors.
func DefaultNamingContext(conn *ldap.Conn, server string) (string, error) {
	req := ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"defaultNamingContext"}, nil)
	res, err := conn.Search(req)
	if err != nil {
		return "", fmt.Errorf("read the rootDSE of %s: %w", server, err)
	}
	var base string
	if len(res.Entries) == 1 {
		base = res.Entries[0].GetAttributeValue("defaultNamingContext")
	}
	if base == "" {
		return "", fmt.Errorf("the rootDSE of %s names no defaultNamingContext (not an Active Directory DC?): give the search base", server)
	}
	if _, err := ldap.ParseDN(base); err != nil {
		return "", fmt.Errorf("the rootDSE of %s names defaultNamingContext %q: %w", server, base, err)
	}
	return base, nil
}

//go:build !windows

package ldapconn

// Outside Windows the signed-in user's Kerberos identity is the ticket
// cache kinit wrote (KRB5CCNAME).

func logonContext(cfg Config, spn string) (gssContext, error) { return newKrb5Context(cfg, spn) }

func logonPrincipal() (string, error) { return ccachePrincipal() }

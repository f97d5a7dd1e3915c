package main

import (
	"github.com/spf13/cobra"

	"syncgap/pipeline"
)

func newExtractADCmd() *cobra.Command {
	var out string
	var src *adSourceFlags
	cmd := &cobra.Command{
		Use:   "extract-ad (--ldif FILE | --ldap URL [--base DN]) --out SNAPDIR",
		Short: "Read AD users from an LDIF export or a live DC into ad_users.parquet",
		Long: `extract-ad reads user objects and writes ad_users.parquet into the snapshot
directory, from one of:

  --ldif FILE   an LDIF file as written by ldapsearch (OpenLDAP; paged with
                -E pr=1000/noprompt, with -LLL or without), ldifde -f (Windows)
                or ldbsearch (Samba). The export needs these attributes:
                userPrincipalName sAMAccountName mobile otherMobile c
                userAccountControl whenChanged objectGUID mS-DS-ConsistencyGuid
                (and objectClass if it also holds non-user objects). An export
                in which no user has mobile or otherMobile, objectGUID or
                userPrincipalName is refused, since its attribute list left them
                out; --allow-missing-attributes reads it anyway, for a directory
                that truly has none. Values given as "attr:< URL" are refused,
                never read.

  --ldap URL    a domain controller, live: ldaps://dc01.contoso.com, or
                ldap://dc01.contoso.com with --starttls. A paged search under
                --base (default: the DC's domain, from its rootDSE; pages of
                --page-size, AD sends at most 1000), following
                AD's ranged values (otherMobile;range=0-1499) and skipping
                referrals. A dropped connection restarts the search on a new one,
                a few times; nothing is written unless every user was read.
                Both sources give the same table; only the origin column differs.

Binding: --bind-dn takes a DN or UPN (simple bind) or DOMAIN\user (NTLM bind);
without it the bind is anonymous. The password comes from --password-env VAR,
--password-file FILE or, on a terminal, a prompt; never from a flag value, and
it is never logged or recorded. A simple bind over ldap:// without TLS is
refused unless --allow-plaintext-bind is given. The manifest records the
server, base, filter, scope, page size and bind identity.`,
		Example: `  # an LDIF export
  ldapsearch -LLL -H ldaps://dc01.contoso.com -b "DC=contoso,DC=com" \
    -E pr=1000/noprompt "(&(objectCategory=person)(objectClass=user))" \
    userPrincipalName sAMAccountName mobile otherMobile c userAccountControl \
    whenChanged objectGUID mS-DS-ConsistencyGuid > ad.ldif
  syncgap extract-ad --ldif ad.ldif --out snap/
  # the same with Windows' ldifde
  ldifde -f ad.ldif -d "DC=contoso,DC=com" -r "(&(objectCategory=person)(objectClass=user))" \
    -l "userPrincipalName,sAMAccountName,mobile,otherMobile,c,userAccountControl,whenChanged,objectGUID,mS-DS-ConsistencyGuid"

  # live, over LDAPS, with a service account's password from the environment
  SYNCGAP_PW=… syncgap extract-ad --ldap ldaps://dc01.contoso.com --base "DC=contoso,DC=com" \
    --bind-dn svc-syncgap@contoso.com --password-env SYNCGAP_PW --ca-file corp-ca.pem --out snap/

  # live, StartTLS and an NTLM bind, one OU, password asked on the terminal
  syncgap extract-ad --ldap ldap://dc01.contoso.com --starttls --bind-dn 'CONTOSO\svc-syncgap' \
    --base "OU=Staff,DC=contoso,DC=com" --out snap/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := src.stage(cmd)
			if err != nil {
				return err
			}
			return runStages(cmd.Context(), pipeline.NewRunner(out), st)
		},
	}
	src = addADSourceFlags(cmd)
	cmd.Flags().StringVar(&out, "out", "", "snapshot directory to write (required)")
	cmd.MarkFlagRequired("out")
	return cmd
}

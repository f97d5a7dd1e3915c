package extractad_test

import (
	"fmt"
	"strings"

	"syncgap/pipeline"
	"syncgap/stages/extractad"
)

func ExampleReadLDIF() {
	const export = `version: 1

# ann, Users, corp.example
dn: CN=Ann,CN=Users,DC=corp,DC=example
objectClass: top
objectClass: user
objectGUID:: vQxbTmbd/U2iOgOjw+2sfQ==
userPrincipalName: ann@corp.example
mobile: +49 170 1234567
otherMobile;range=0-1499: +49 151 1
userAccountControl: 512
whenChanged: 20240115103000.0Z

dn: CN=PC1,CN=Computers,DC=corp,DC=example
objectClass: user
objectClass: computer
`
	n, err := extractad.ReadLDIF(strings.NewReader(export), "exports/users.ldif", func(u *pipeline.ADUser) error {
		fmt.Println(u.UPN, u.ObjectGUID, u.SourceAnchor)
		fmt.Println(u.Mobile, u.OtherMobile, u.Enabled, u.WhenChanged, u.Origin)
		return nil
	})
	fmt.Println(n, err)
	// Output:
	// ann@corp.example 4e5b0cbd-dd66-4dfd-a23a-03a3c3edac7d vQxbTmbd/U2iOgOjw+2sfQ==
	// +49 170 1234567 [+49 151 1] true 2024-01-15 10:30:00 +0000 UTC users.ldif:4
	// 1 <nil>
}

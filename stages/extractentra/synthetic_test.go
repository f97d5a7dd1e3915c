package extractentra

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/iotest"
)

// syntheticUser writes user n as compact Graph JSON of about 450 bytes,
// the shape of a $select'ed /users page. Every tenth user is cloud-only
// (nulls), every seventh has escapes in its display name.
func syntheticUser(b *bytes.Buffer, n int) {
	name := fmt.Sprintf("User %07d", n)
	if n%7 == 0 {
		name = fmt.Sprintf(`J\u00fcrgen \"Jay\" %07d`, n)
	}
	if n%10 == 0 {
		fmt.Fprintf(b, `{"id":"%08x-0000-4000-8000-%012x","userPrincipalName":"user%07d@contoso.onmicrosoft.com","displayName":"%s",`+
			`"mail":null,"mobilePhone":null,"businessPhones":[],"usageLocation":null,"onPremisesSyncEnabled":null,`+
			`"onPremisesImmutableId":null,"onPremisesUserPrincipalName":null,"onPremisesSamAccountName":null,`+
			`"onPremisesDistinguishedName":null,"onPremisesLastSyncDateTime":null,"accountEnabled":true}`,
			n, n, n, name)
		return
	}
	fmt.Fprintf(b, `{"id":"%08x-0000-4000-8000-%012x","userPrincipalName":"user%07d@contoso.com","displayName":"%s",`+
		`"mail":"user%07d@contoso.com","mobilePhone":"+1 425 555 %04d","businessPhones":["+1 425 555 %04d"],"usageLocation":"US",`+
		`"onPremisesSyncEnabled":true,"onPremisesImmutableId":"%022x==","onPremisesUserPrincipalName":"user%07d@contoso.local",`+
		`"onPremisesSamAccountName":"u%07d","onPremisesDistinguishedName":"CN=%s,OU=Users,OU=Staff,DC=contoso,DC=local",`+
		`"onPremisesLastSyncDateTime":"2023-11-14T22:13:20Z","accountEnabled":true}`,
		n, n, n, name, n, n%10000, (n+1)%10000, n, n, n, name)
}

// syntheticPage is one Graph page of users first … first+count-1;
// perLine puts each user on its own line, to test line counting.
func syntheticPage(first, count int, last, perLine bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,displayName,mail,mobilePhone,businessPhones,usageLocation,onPremisesSyncEnabled,onPremisesImmutableId,onPremisesUserPrincipalName,onPremisesSamAccountName,onPremisesDistinguishedName,onPremisesLastSyncDateTime,accountEnabled)","value":[`)
	for i := 0; i < count; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		if perLine {
			b.WriteByte('\n')
		}
		syntheticUser(&b, first+i)
	}
	b.WriteString(`]`)
	if !last {
		fmt.Fprintf(&b, `,"@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$top=999&$skiptoken=RFNwdAIAAQAAAD8%d"`, first+count)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// writeSyntheticPages writes pages of 999 users into dir and returns the
// total size in bytes.
func writeSyntheticPages(tb testing.TB, dir string, pages int) int64 {
	tb.Helper()
	var total int64
	for p := 0; p < pages; p++ {
		data := syntheticPage(p*999, 999, p == pages-1, false)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("page-%d.json", p+1)), data, 0o644); err != nil {
			tb.Fatal(err)
		}
		total += int64(len(data))
	}
	return total
}

// TestStreamBoundaries parses a file far larger than the scanner's window
// one byte per Read, so every token straddles a refill somewhere and the
// window is compacted many times; the result must equal a normal read,
// and origins must still name the right lines.
func TestStreamBoundaries(t *testing.T) {
	var data []byte
	for p := 0; p < 3; p++ {
		data = append(data, syntheticPage(p*999, 999, p == 2, true)...)
	}
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := ReadExport(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Users) != 3*999 {
		t.Fatalf("read %d users, want %d", len(want.Users), 3*999)
	}
	for _, k := range []int{0, 998, 999, 2996} {
		// page p starts on line p*1000+1; its user i is on the line after
		if got, line := want.Users[k].Origin, k/999*1000+k%999+2; got != fmt.Sprintf("big.json:%d", line) {
			t.Errorf("user %d origin %s, want line %d", k, got, line)
		}
	}
	readers := []struct {
		name string
		r    io.Reader
	}{
		{"one byte per Read", iotest.OneByteReader(bytes.NewReader(data))},
		{"half of each Read", iotest.HalfReader(bytes.NewReader(data))},
	}
	for _, rd := range readers {
		var p jsonParser
		if err := p.parse(path, rd.r); err != nil {
			t.Fatalf("%s: %v", rd.name, err)
		}
		if !reflect.DeepEqual(p.out, want.Users) {
			t.Errorf("%s: users differ from a normal read", rd.name)
		}
	}
}

// TestStreamCutEverywhere cuts a page at every byte: each prefix must fail
// with a positioned error (or, cut after the closing brace, succeed), and
// never panic.
func TestStreamCutEverywhere(t *testing.T) {
	data := syntheticPage(0, 3, true, true)
	full := bytes.TrimSpace(data)
	for n := 1; n < len(full); n++ {
		var p jsonParser
		err := p.parse("cut.json", iotest.OneByteReader(bytes.NewReader(full[:n])))
		if err == nil {
			t.Fatalf("cut at %d of %d: no error", n, len(full))
		}
	}
}

package extractad

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"syncgap/ldif"
	"syncgap/pipeline"
)

func TestReadLDIF(t *testing.T) {
	errStop := errors.New("stop")
	tests := []struct {
		name    string
		input   string
		emitErr error
		want    []string // "origin upn" per emitted user
		wantErr string
		wantIs  error
	}{
		{
			name: "users only, in order, with origins",
			input: "version: 1\n\ndn: CN=A,DC=x\nobjectClass: user\nuserPrincipalName: a@x\n\n" +
				"dn: CN=PC,DC=x\nobjectClass: user\nobjectClass: computer\n\n" +
				"dn: CN=B,DC=x\nobjectClass: user\nuserPrincipalName: b@x\n",
			want: []string{"users.ldif:3 a@x", "users.ldif:11 b@x"},
		},
		{
			name: "duplicate UPN is not an error here",
			input: "dn: CN=A,DC=x\nobjectClass: user\nuserPrincipalName: a@x\n\n" +
				"dn: CN=B,DC=x\nobjectClass: user\nuserPrincipalName: A@X\n",
			want: []string{"users.ldif:1 a@x", "users.ldif:5 A@X"},
		},
		{
			name: "duplicate DN, other case",
			input: "dn: CN=Ärger,DC=x\nobjectClass: user\n\n" +
				"dn: CN=B,DC=x\nobjectClass: user\n\n" +
				"dn: cn=ärger,dc=X\nobjectClass: user\n",
			wantErr: `data/in/users.ldif:7: duplicate dn "cn=ärger,dc=X" (first at line 1)`,
			want:    []string{"users.ldif:1 ", "users.ldif:4 "},
		},
		{
			name: "duplicate DN of a non-user",
			input: "dn: CN=G,DC=x\nobjectClass: group\n\n" +
				"dn: CN=G,DC=x\nobjectClass: group\n",
			wantErr: `data/in/users.ldif:4: duplicate dn "CN=G,DC=x" (first at line 1)`,
		},
		{
			name:    "no users",
			input:   "dn: CN=G,DC=x\nobjectClass: group\n\ndn: CN=PC,DC=x\nobjectClass: computer\n",
			wantErr: "data/in/users.ldif: no user entries among 2 entries: no records found",
			wantIs:  pipeline.ErrEmptyInput,
		},
		{
			name:    "empty file",
			input:   "# nothing\n",
			wantErr: "data/in/users.ldif: no records found",
			wantIs:  pipeline.ErrEmptyInput,
		},
		{
			name:    "entry error names the file as given",
			input:   "dn: CN=A,DC=x\nobjectClass: user\n\ndn: CN=B,DC=x\nobjectClass: user\nobjectGUID:: AQI=\n",
			wantErr: "data/in/users.ldif:6: objectGUID: want 16 bytes or 36-character GUID text, got 2 bytes",
			want:    []string{"users.ldif:1 "},
		},
		{
			name:    "reader error",
			input:   "dn: CN=A,DC=x\nobjectClass: user\n\ndn: CN=B,DC=x\nphoto:< file:///etc/passwd\n",
			wantErr: "data/in/users.ldif:5: " + ldif.ErrURLValue.Error(),
			wantIs:  ldif.ErrURLValue,
			want:    []string{"users.ldif:1 "},
		},
		{
			name:    "emit error stops the stream",
			input:   "dn: CN=A,DC=x\nobjectClass: user\n\ndn: CN=B,DC=x\nobjectClass: user\n",
			emitErr: errStop,
			wantErr: "stop",
			wantIs:  errStop,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			n, err := ReadLDIF(strings.NewReader(tt.input), "data/in/users.ldif", func(u *pipeline.ADUser) error {
				if tt.emitErr != nil {
					return tt.emitErr
				}
				got = append(got, u.Origin+" "+u.UPN)
				return nil
			})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("errors.Is(%v) = false", tt.wantIs)
				}
			} else if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if n != len(got) || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("emitted %d: %q, want %q", n, got, tt.want)
			}
		})
	}
}

// fold writes an attribute line folded the way ldapsearch does: 76 columns,
// continuation lines starting with one space.
func fold(w *bytes.Buffer, line string) {
	const width = 76
	for first := true; len(line) > 0; first = false {
		n := width
		if !first {
			w.WriteByte(' ')
			n--
		}
		n = min(n, len(line))
		w.WriteString(line[:n])
		w.WriteByte('\n')
		line = line[n:]
	}
}

// syntheticLDIF builds an ldapsearch-style export of n users as AD returns
// them with the attributes an audit asks for, plus the usual extras.
func syntheticLDIF(n int) []byte {
	var w bytes.Buffer
	w.WriteString("version: 1\n\n")
	guid := make([]byte, 16)
	for i := range n {
		dn := fmt.Sprintf("CN=User %06d,OU=Sales,OU=Europe,OU=Accounts,DC=corp,DC=contoso,DC=com", i)
		fmt.Fprintf(&w, "# User %06d, Sales, Europe, Accounts, corp.contoso.com\n", i)
		fold(&w, "dn: "+dn)
		w.WriteString("objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\n")
		fmt.Fprintf(&w, "cn: User %06d\nsn: Surname%d\ngivenName: Given%d\n", i, i, i)
		fold(&w, "distinguishedName: "+dn)
		fold(&w, fmt.Sprintf("description: Account %d of the synthetic benchmark tenant, long enough to be folded by ldapsearch at seventy-six columns", i))
		for k := range guid {
			guid[k] = byte(i*7 + k*13)
		}
		fold(&w, "objectGUID:: "+base64.StdEncoding.EncodeToString(guid))
		fold(&w, "objectSid:: "+base64.StdEncoding.EncodeToString(append([]byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0}, guid...)))
		fmt.Fprintf(&w, "sAMAccountName: user%06d\nuserPrincipalName: user%06d@corp.contoso.com\n", i, i)
		fmt.Fprintf(&w, "mail: user%06d@contoso.com\nmobile: +49 170 %07d\n", i, i)
		for k := range 3 {
			fmt.Fprintf(&w, "otherMobile: +49 151 %03d %04d\n", k, i%10000)
		}
		fmt.Fprintf(&w, "c: DE\nuserAccountControl: %d\nwhenChanged: 20240115103000.0Z\nwhenCreated: 20190301080000.0Z\n", 512+2*(i%5/4))
		fold(&w, "memberOf: CN=All Sales Staff Europe,OU=Distribution Lists,OU=Groups,DC=corp,DC=contoso,DC=com")
		fold(&w, "memberOf: CN=VPN Users,OU=Security Groups,OU=Groups,DC=corp,DC=contoso,DC=com")
		w.WriteByte('\n')
	}
	return w.Bytes()
}

func TestSyntheticLDIF(t *testing.T) {
	data := syntheticLDIF(50)
	var users []pipeline.ADUser
	n, err := ReadLDIF(bytes.NewReader(data), "bench.ldif", func(u *pipeline.ADUser) error {
		users = append(users, *u)
		return nil
	})
	if err != nil || n != 50 {
		t.Fatalf("ReadLDIF = %d, %v", n, err)
	}
	u := users[49]
	if u.DN != "CN=User 000049,OU=Sales,OU=Europe,OU=Accounts,DC=corp,DC=contoso,DC=com" ||
		len(u.OtherMobile) != 3 || u.ObjectGUID == "" || u.WhenChanged.IsZero() || u.Origin != "bench.ldif:"+fmt.Sprint(4+49*31) {
		t.Errorf("unexpected row %+v", u)
	}
}

// BenchmarkReadLDIF measures the whole LDIF source: reader plus ToADUser.
func BenchmarkReadLDIF(b *testing.B) {
	data := syntheticLDIF(10_000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		n, err := ReadLDIF(bytes.NewReader(data), "bench.ldif", func(*pipeline.ADUser) error { return nil })
		if err != nil || n != 10_000 {
			b.Fatalf("ReadLDIF = %d, %v", n, err)
		}
	}
}

// BenchmarkReader measures the LDIF reader alone.
func BenchmarkReader(b *testing.B) {
	data := syntheticLDIF(10_000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rd := ldif.NewReader(bytes.NewReader(data), "bench.ldif")
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

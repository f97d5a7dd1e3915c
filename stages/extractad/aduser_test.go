package extractad

import (
	"encoding/base64"
	"encoding/hex"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"syncgap/ldif"
	"syncgap/pipeline"
)

// Known pair, checked against Python's uuid.UUID(bytes_le=...), which uses
// the same Microsoft byte order as AD and .NET's Guid(byte[]).
const (
	knownGUIDHex  = "bd0c5b4e66ddfd4da23a03a3c3edac7d"
	knownGUIDText = "4e5b0cbd-dd66-4dfd-a23a-03a3c3edac7d"
	knownGUIDB64  = "vQxbTmbd/U2iOgOjw+2sfQ=="
)

func TestGUIDKnownPairs(t *testing.T) {
	tests := []struct{ hexBytes, text, b64 string }{
		{knownGUIDHex, knownGUIDText, knownGUIDB64},
		{"0102030405060708090a0b0c0d0e0f10", "04030201-0605-0807-090a-0b0c0d0e0f10", "AQIDBAUGBwgJCgsMDQ4PEA=="},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			raw, _ := hex.DecodeString(tt.hexBytes)
			if got := base64.StdEncoding.EncodeToString(raw); got != tt.b64 {
				t.Fatalf("test data: base64 %s, want %s", got, tt.b64)
			}
			b, err := guidBytes(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := guidText(b); got != tt.text {
				t.Errorf("guidText = %s, want %s", got, tt.text)
			}
			back, err := guidBytes([]byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if back != b {
				t.Errorf("text %s parsed to % x, want % x", tt.text, back, b)
			}
		})
	}
}

func mustEntry(t *testing.T, text string) *ldif.Entry {
	t.Helper()
	rd := ldif.NewReader(strings.NewReader(text), "users.ldif")
	e, err := rd.Next()
	if err != nil {
		t.Fatalf("test input: %v", err)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("test input: more than one entry (%v)", err)
	}
	return e
}

func TestToADUser(t *testing.T) {
	const head = "version: 1\n\ndn: CN=Ann,OU=Users,DC=x\n" // the entry is on line 3
	const origin = "users.ldif:3"
	base := func(mod func(*pipeline.ADUser)) *pipeline.ADUser {
		u := &pipeline.ADUser{DN: "CN=Ann,OU=Users,DC=x", OtherMobile: []string{}, Origin: origin}
		mod(u)
		return u
	}
	tests := []struct {
		name    string
		attrs   string
		want    *pipeline.ADUser // nil: skipped
		wantErr string
	}{
		{
			name: "full user with binary objectGUID",
			attrs: "objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\n" +
				"objectGUID:: " + knownGUIDB64 + "\nsAMAccountName: ann\nuserPrincipalName: ann@x.example\n" +
				"mobile: +49 170 1234567\notherMobile: 0170 1\notherMobile: +49 170 2\nc: DE\n" +
				"userAccountControl: 512\nwhenChanged: 20240115103000.0Z\n",
			want: base(func(u *pipeline.ADUser) {
				u.ObjectGUID, u.SourceAnchor = knownGUIDText, knownGUIDB64
				u.SamAccountName, u.UPN, u.Mobile, u.Country = "ann", "ann@x.example", "+49 170 1234567", "DE"
				u.OtherMobile = []string{"0170 1", "+49 170 2"}
				u.Enabled = pipeline.Known(true)
				u.WhenChanged = time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
			}),
		},
		{
			name:  "consistency guid is the anchor",
			attrs: "objectClass: user\nobjectGUID:: AQIDBAUGBwgJCgsMDQ4PEA==\nmS-DS-ConsistencyGuid:: " + knownGUIDB64 + "\n",
			want: base(func(u *pipeline.ADUser) {
				u.ObjectGUID = "04030201-0605-0807-090a-0b0c0d0e0f10"
				u.ConsistencyGUID, u.SourceAnchor = knownGUIDText, knownGUIDB64
			}),
		},
		{
			name:  "GUID written as text",
			attrs: "objectClass: user\nobjectGUID: 4E5B0CBD-DD66-4DFD-A23A-03A3C3EDAC7D\n",
			want:  base(func(u *pipeline.ADUser) { u.ObjectGUID, u.SourceAnchor = knownGUIDText, knownGUIDB64 }),
		},
		{
			name:  "no objectClass but a logon name",
			attrs: "sAMAccountName: ann\n",
			want:  base(func(u *pipeline.ADUser) { u.SamAccountName = "ann" }),
		},
		{
			name:  "no objectClass and no logon name",
			attrs: "mobile: 1\n",
		},
		{
			name:  "computer",
			attrs: "objectClass: top\nobjectClass: user\nobjectClass: computer\nsAMAccountName: PC1$\nobjectGUID:: AQ==\n",
		},
		{
			name:  "group",
			attrs: "objectClass: top\nobjectClass: group\nsAMAccountName: admins\n",
		},
		{
			name:  "objectClass in upper case, attribute names in any case",
			attrs: "OBJECTCLASS: USER\nSAMACCOUNTNAME: ann\nOTHERMOBILE: 1\n",
			want:  base(func(u *pipeline.ADUser) { u.SamAccountName, u.OtherMobile = "ann", []string{"1"} }),
		},
		{
			name: "otherMobile range chunks merged in order, raw text kept",
			attrs: "objectClass: user\notherMobile;range=0-1: b\notherMobile;range=0-1: a\n" +
				"otherMobile;range=2-*:: " + b64(" +1 555 ") + "\nmobile:: " + b64("  0171 / 23  ") + "\n",
			want: base(func(u *pipeline.ADUser) {
				u.OtherMobile, u.Mobile = []string{"b", "a", " +1 555 "}, "  0171 / 23  "
			}),
		},
		{
			name:  "disabled account",
			attrs: "objectClass: user\nuserAccountControl: 66050\n",
			want:  base(func(u *pipeline.ADUser) { u.Enabled = pipeline.Known(false) }),
		},
		{
			name:  "enabled, password never expires",
			attrs: "objectClass: user\nuserAccountControl: 66048\n",
			want:  base(func(u *pipeline.ADUser) { u.Enabled = pipeline.Known(true) }),
		},
		{
			name:  "whenChanged with offset",
			attrs: "objectClass: user\nwhenChanged: 20240115123000+0200\n",
			want:  base(func(u *pipeline.ADUser) { u.WhenChanged = time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC) }),
		},
		{
			name:    "mobile twice",
			attrs:   "objectClass: user\nmobile: 1\nmobile: 2\n",
			wantErr: "users.ldif:6: mobile: several values for a single-valued attribute",
		},
		{
			name:    "objectGUID of 5 bytes",
			attrs:   "objectClass: user\nobjectGUID:: AQIDBAU=\n",
			wantErr: "users.ldif:5: objectGUID: want 16 bytes or 36-character GUID text, got 5 bytes",
		},
		{
			name:    "consistency guid text that is not a GUID",
			attrs:   "objectClass: user\nmS-DS-ConsistencyGuid: 4e5b0cbd-dd66-4dfd-a23a-03a3c3edacZZ\n",
			wantErr: `users.ldif:5: mS-DS-ConsistencyGuid: not a GUID: "4e5b0cbd-dd66-4dfd-a23a-03a3c3edacZZ"`,
		},
		{
			name:    "userAccountControl not a number",
			attrs:   "objectClass: user\nuserAccountControl: 0x202\n",
			wantErr: `users.ldif:5: userAccountControl: not a decimal integer: "0x202"`,
		},
		{
			name:    "whenChanged without zone",
			attrs:   "objectClass: user\nwhenChanged: 20240115103000.0\n",
			wantErr: `users.ldif:5: whenChanged: bad GeneralizedTime "20240115103000.0": want Z or +hhmm after the time`,
		},
		{
			name:    "base64 mobile that is not UTF-8",
			attrs:   "objectClass: user\nmobile:: " + b64("+49\xff") + "\n",
			wantErr: "users.ldif:5: mobile: value is not valid UTF-8",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := ToADUser(mustEntry(t, head+tt.attrs), origin)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if ok != (tt.want != nil) {
				t.Fatalf("ok = %v, want %v", ok, tt.want != nil)
			}
			if ok && !reflect.DeepEqual(got, *tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, *tt.want)
			}
		})
	}
}

func TestParseGeneralizedTime(t *testing.T) {
	utc := func(h, m, s, ns int) time.Time { return time.Date(2024, 1, 15, h, m, s, ns, time.UTC) }
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "20240115103000.0Z", want: utc(10, 30, 0, 0)},
		{in: "20240115103000Z", want: utc(10, 30, 0, 0)},
		{in: "20240115103000.123Z", want: utc(10, 30, 0, 123_000_000)},
		{in: "20240115103000,5Z", want: utc(10, 30, 0, 500_000_000)},
		{in: "20240115123000+0200", want: utc(10, 30, 0, 0)},
		{in: "20240115053000-0500", want: utc(10, 30, 0, 0)},
		{in: "20240115123000.0+02", want: utc(10, 30, 0, 0)},
		{in: "20240116003000+1400", want: utc(10, 30, 0, 0)},
		{in: "20240229000000Z", want: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{in: "20230229000000Z", wantErr: true},
		{in: "20241315103000Z", wantErr: true},
		{in: "20240115243000Z", wantErr: true},
		{in: "20240115103000", wantErr: true},
		{in: "20240115103000.Z", wantErr: true},
		{in: "20240115103000Zx", wantErr: true},
		{in: "20240115103000+02000", wantErr: true},
		{in: "2024-01-15T10:30:00Z", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseGeneralizedTime([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tt.wantErr)
			}
			if !got.Equal(tt.want) || (!tt.wantErr && got.Location() != time.UTC) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

package ldif

import (
	"bytes"
	"strings"
	"testing"
)

// TestWriterWritesASCII writes a header and a modify record whose comment,
// DN and values hold non-ASCII text, line separators and a CRLF: the file
// is 7-bit ASCII throughout (ldifde reads it the same in any code page),
// with the comment's characters escaped and the DN and values in base64.
func TestWriterWritesASCII(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Header("plan for Zoë's team")
	w.Modify("action 1: AD has \"+49 171 5550100\u00a0\", the cloud has \"J\u00fcrgen \U0001f4de\"\u2028dn: CN=evil\r\nx",
		"CN=J\u00fcrgen M\u00fcller,OU=M\u00fcnchen,DC=contoso,DC=com", "mobile",
		[]string{"+49 171 5550100\u00a0"}, []string{"+49 171 5550100", "\uff0b49 171"})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	for i, c := range buf.Bytes() {
		if c != '\n' && (c < 0x20 || c > 0x7e) {
			t.Fatalf("byte %d is %#x, outside printable ASCII:\n%s", i, c, buf.String())
		}
	}
	want := "# plan for Zo\\u00eb's team\n" +
		"version: 1\n" +
		"\n" +
		`# action 1: AD has "+49 171 5550100\u00a0", the cloud has "J\u00fcrgen \U0001f4de" dn: CN=evil  x` + "\n" +
		"dn:: Q049SsO8cmdlbiBNw7xsbGVyLE9VPU3DvG5jaGVuLERDPWNvbnRvc28sREM9Y29t\n"
	if got := buf.String(); !strings.HasPrefix(got, want) {
		t.Errorf("got\n%s\nwant it to start with\n%s", got, want)
	}
	if !strings.Contains(buf.String(), "mobile:: KzQ5IDE3MSA1NTUwMTAwwqA=\n") || !strings.Contains(buf.String(), "mobile: +49 171 5550100\n") {
		t.Errorf("values not written as base64 where needed and plain otherwise:\n%s", buf.String())
	}
}

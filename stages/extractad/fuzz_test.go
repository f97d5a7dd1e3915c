package extractad

import (
	"bytes"
	"errors"
	"testing"

	"syncgap/pipeline"
)

// FuzzReadLDIF runs the whole LDIF path, reader and row mapping: whatever
// the bytes, it returns rows or one ParseError naming the file.
func FuzzReadLDIF(f *testing.F) {
	for _, s := range []string{
		"version: 1\n\ndn: CN=A,DC=x\nobjectClass: user\nsAMAccountName: a\nobjectGUID:: AQIDBAUGBwgJCgsMDQ4PEA==\n",
		"dn: CN=A\r\nmobile: 1\r\n 2\r\notherMobile;range=0-1: 3\r\nwhenChanged: 20240115103000.0Z\r\n",
		"dn:: Q049QQ==\nuserAccountControl: 514\nmS-DS-ConsistencyGuid: 4e5b0cbd-dd66-4dfd-a23a-03a3c3edac7d\n",
		"dn: A\nobjectGUID:: AQ", "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ReadLDIF(bytes.NewReader(data), "fuzz.ldif", func(*pipeline.ADUser) error { return nil })
		var pe *pipeline.ParseError
		if err != nil && (!errors.As(err, &pe) || pe.File != "fuzz.ldif") {
			t.Fatalf("error %v is not a ParseError naming the file", err)
		}
	})
}

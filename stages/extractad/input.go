package extractad

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"syncgap/pipeline"
)

// MaxLDIFBytes bounds an LDIF export. A million users with the attributes
// the audit reads are about 500 MB of LDIF, and even an export of every
// attribute (photos and all) of a directory whose rows still fit in memory
// stays well below this; a bigger file is a mistake (a disk image, a
// sparse file), not an export, and is refused before it is read. The Entra
// side (extractentra.MaxExportBytes) and the LDIF reader's 64 MiB line
// limit are the same kind of bound.
const MaxLDIFBytes = 16 << 30

// openLDIF opens the export (pipeline.OpenInput: a regular file of a sane
// size). A directory gets a message saying what it is, a syncgap snapshot
// above all, since that is what people point at by mistake. The returned
// reader fails should the file grow past the limit while read.
func openLDIF(path string) (f *os.File, size int64, r io.Reader, err error) {
	perr := func(format string, a ...any) error {
		return &pipeline.ParseError{File: path, Err: fmt.Errorf(format, a...)}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		if pipeline.IsSnapshot(path) {
			return nil, 0, nil, perr("is a syncgap snapshot directory (it holds %s), not an LDIF export: give the LDIF file of the AD users", pipeline.ManifestFile)
		}
		return nil, 0, nil, perr("is a directory, not an LDIF file")
	}
	f, size, r, err = pipeline.OpenInput(path, "an LDIF export", MaxLDIFBytes)
	if err != nil {
		var pe *pipeline.ParseError
		if errors.As(err, &pe) {
			return nil, 0, nil, err
		}
		return nil, 0, nil, fmt.Errorf("open ldif: %w", err)
	}
	if why := notLDIF(f); why != "" {
		f.Close()
		return nil, 0, nil, perr("%s", why)
	}
	return f, size, r, nil
}

// notLDIF says what the start of f shows the file to be when that is
// plainly not LDIF: an Entra export given to --ldif, or a snapshot's table.
// An LDIF file starts with a comment, a blank line or "attr: value", so
// this never refuses one; anything else is left to the reader's errors.
func notLDIF(f *os.File) string {
	var buf [512]byte
	n, _ := f.ReadAt(buf[:], 0)
	head := bytes.TrimPrefix(buf[:n], []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return "is a Parquet table (from a syncgap snapshot?), not an LDIF export"
	}
	if bytes.Contains(head, []byte(`"`+pipeline.ManifestFormat+`"`)) {
		return "is the manifest of a syncgap snapshot, not an LDIF export: give the LDIF file of the AD users"
	}
	first, _, _ := bytes.Cut(bytes.TrimLeft(head, " \t\r\n"), []byte("\n"))
	switch {
	case len(first) == 0 || first[0] == '#':
		return ""
	case first[0] == '{' || first[0] == '[':
		return "is JSON, not LDIF: an Entra export goes to --export"
	case !bytes.Contains(first, []byte(":")) && bytes.ContainsAny(first, ",;\t"):
		return "is a CSV file, not LDIF: an Entra export goes to --export"
	}
	return ""
}

// ErrMissingAttributes is an LDIF export in which no user carries an
// attribute the audit needs: an attribute list that left it out, which
// would make every cloud number look like one AD does not have.
var ErrMissingAttributes = errors.New("the export's attribute list left them out")

// ldifAttributes is the attribute list docs/inputs.md and extract-ad --help
// give for an export, in the order ldapsearch and ldifde take it.
var ldifAttributes = []string{"userPrincipalName", "sAMAccountName", "mobile", "otherMobile", "c",
	"userAccountControl", "whenChanged", "objectGUID", "mS-DS-ConsistencyGuid"}

// coverage counts the users of an export that carry each attribute the
// audit cannot do without. One user having it proves the attribute list
// asked for it; none having it, among thousands, proves nothing of the
// directory and almost always means the list left it out.
type coverage struct {
	users, mobile, guid, consistency, upn int
}

func (c *coverage) add(u *pipeline.ADUser) {
	c.users++
	if u.Mobile != "" || len(u.OtherMobile) > 0 {
		c.mobile++
	}
	if u.ObjectGUID != "" {
		c.guid++
	}
	if u.ConsistencyGUID != "" {
		c.consistency++
	}
	if u.UPN != "" {
		c.upn++
	}
}

// missing names what no user carries, in the order of the message. The
// anchor is mS-DS-ConsistencyGuid before objectGUID (ToADUser): objectGUID
// may be left out only when every user has a consistency GUID instead.
func (c *coverage) missing() []string {
	var m []string
	if c.users == 0 {
		return nil
	}
	if c.mobile == 0 {
		m = append(m, "mobile or otherMobile")
	}
	if c.guid == 0 && c.consistency < c.users {
		m = append(m, "objectGUID")
	}
	if c.upn == 0 {
		m = append(m, "userPrincipalName")
	}
	return m
}

// missingLiveError is missingError for a live search: the search asked for
// every attribute, so what no user carries is hidden from the account that
// bound, or truly absent from the directory.
func (c *coverage) missingLiveError(server string, missing []string) error {
	return fmt.Errorf("%s: none of the %d users read has %s: %w; the bind account may not be allowed to read it "+
		"(AD can hide attributes from some accounts: check with ldapsearch as the same account), "+
		"or the directory holds none (then pass --allow-missing-attributes)",
		server, c.users, strings.Join(missing, ", or "), ErrMissingAttributes)
}

// missingError is the one line that says what is missing and how to export it.
func (c *coverage) missingError(name string, missing []string) error {
	who := fmt.Sprintf("none of its %d users has", c.users)
	if c.users == 1 {
		who = "its only user lacks"
	}
	return &pipeline.ParseError{File: name, Err: fmt.Errorf("%s %s: %w; export again with "+
		"ldapsearch … %s, or ldifde -f %s -l \"%s\" (or pass --allow-missing-attributes if the directory truly holds none)",
		who, strings.Join(missing, ", or "), ErrMissingAttributes, strings.Join(ldifAttributes, " "),
		filepath.Base(name), strings.Join(ldifAttributes, ","))}
}

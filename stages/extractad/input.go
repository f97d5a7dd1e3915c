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

// openLDIF opens the export only once it is known to be a regular file of
// a sane size: opening a FIFO for reading blocks until a writer comes (and
// Ctrl-C cannot interrupt it), and a device never ends. A directory gets a
// message saying what it is, a syncgap snapshot above all, since that is
// what people point at by mistake. The returned file is read through
// limited, which fails should the file grow past the limit while read.
func openLDIF(path string) (f *os.File, size int64, err error) {
	perr := func(format string, a ...any) error {
		return &pipeline.ParseError{File: path, Err: fmt.Errorf(format, a...)}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open ldif: %w", err)
	}
	switch {
	case fi.IsDir():
		if isSnapshot(path) {
			return nil, 0, perr("is a syncgap snapshot directory (it holds %s), not an LDIF export: give the LDIF file of the AD users", pipeline.ManifestFile)
		}
		return nil, 0, perr("is a directory, not an LDIF file")
	case !fi.Mode().IsRegular():
		return nil, 0, perr("is %s, not a regular file: save the export to a file and give that (the manifest records an input by its path and hash)", kindOf(fi.Mode()))
	case fi.Size() > MaxLDIFBytes:
		return nil, 0, perr("is %d GiB, more than an LDIF export can be (%d GiB)", fi.Size()>>30, MaxLDIFBytes>>30)
	}
	if f, err = os.Open(path); err != nil {
		return nil, 0, fmt.Errorf("open ldif: %w", err)
	}
	// The name may have been swapped for something else since the Stat.
	if fi2, err := f.Stat(); err != nil || !fi2.Mode().IsRegular() || !os.SameFile(fi, fi2) {
		f.Close()
		return nil, 0, perr("changed while it was opened")
	}
	if why := notLDIF(f); why != "" {
		f.Close()
		return nil, 0, perr("%s", why)
	}
	return f, fi.Size(), nil
}

// isSnapshot reports whether dir holds a syncgap manifest.
func isSnapshot(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, pipeline.ManifestFile))
	return err == nil && fi.Mode().IsRegular()
}

// kindOf names a file mode that is not a regular file, for messages.
func kindOf(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
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

// limited fails a read past max bytes, naming the file: the size was
// checked before opening, so only a file that grows while read gets here.
type limited struct {
	r    io.Reader
	name string
	left int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, &pipeline.ParseError{File: l.name, Err: fmt.Errorf("grew past %d GiB while it was read", MaxLDIFBytes>>30)}
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
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

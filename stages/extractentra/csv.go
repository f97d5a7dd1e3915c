package extractentra

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"syncgap/pipeline"
)

// col is a user property as the CSV exports name it.
type col int

const (
	cID col = iota
	cUPN
	cMobile
	cBusiness
	cAlt
	cUsage
	cSync
	cImmutable
	cOnPremUPN
	cSam
	cDN
	cLastSync
	cEnabled
	cBlock // MSOnline BlockCredential: the inverse of accountEnabled
	nCols
)

// colAliases are normalised header names (lower case, letters and digits
// only, so "User principal name" and "UserPrincipalName" are one name), in
// order of preference.
var colAliases = [nCols][]string{
	cID:        {"id", "objectid"},
	cUPN:       {"userprincipalname"},
	cMobile:    {"mobilephone", "mobile"},
	cBusiness:  {"businessphones", "telephonenumber", "phonenumber"},
	cAlt:       {"alternatemobilephones"},
	cUsage:     {"usagelocation"},
	cSync:      {"onpremisessyncenabled", "directorysynced", "dirsyncenabled"},
	cImmutable: {"onpremisesimmutableid", "immutableid"},
	cOnPremUPN: {"onpremisesuserprincipalname"},
	cSam:       {"onpremisessamaccountname"},
	cDN:        {"onpremisesdistinguishedname"},
	cLastSync:  {"onpremiseslastsyncdatetime", "lastdirsynctime"},
	cEnabled:   {"accountenabled"},
	cBlock:     {"blockcredential"},
}

// The Entra side of a Compare-ADSyncToolsDirSyncOverrides CSV. The module's
// docs read the cloud mobile as MobileInAAD (versions built on MSOnline,
// which also compared AlternateMobilePhones) and as MobileInEntra (2025
// versions on Graph, which compare mobile only); the AD side is MobileInAD
// and OtherMobileInAD. The exact cloud otherMobile name is not documented,
// so the spellings the module's parameters use are all accepted.
var (
	adsyncMobile = []string{"mobileinaad", "mobilephoneinaad", "mobileinentra", "mobilephoneinentra", "mobileinazuread"}
	adsyncAlt    = []string{"alternatemobilephonesinaad", "othermobileinaad", "alternatemobilephonesinentra",
		"othermobileinentra", "alternatemobilephonesinazuread"}
	// Columns only Get-MsolUser has.
	msonlineOnly = []string{"alternatemobilephones", "blockcredential", "immutableid", "lastdirsynctime",
		"dirsyncenabled", "islicensed", "strongpasswordrequired"}
)

func normalize(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// detectCSV names the exporter from the #TYPE line and the header. The
// header's casing helps: PowerShell writes PascalCase property names, the
// admin center Graph's camelCase.
func detectCSV(header []string, names map[string]int, typeHint string) (Format, bool) {
	switch {
	case strings.Contains(typeHint, "Microsoft.Online.Administration"):
		return MSOnlineCSV, true
	case strings.Contains(typeHint, "Microsoft.Graph"):
		return PowerShellCSV, true
	}
	has := func(n string) bool { _, ok := names[n]; return ok }
	for n := range names {
		if n == "mobileinad" || n == "othermobileinad" || strings.HasSuffix(n, "inaad") ||
			strings.HasSuffix(n, "inentra") || strings.HasSuffix(n, "inazuread") {
			return adsyncFormat(names), true
		}
	}
	for _, n := range msonlineOnly {
		if has(n) {
			return MSOnlineCSV, true
		}
	}
	for n := range names {
		if strings.HasPrefix(n, "onpremises") || n == "businessphones" {
			return PowerShellCSV, true
		}
	}
	if has("objectid") || has("directorysynced") || has("mobile") {
		return AdminCenterCSV, true
	}
	if i, ok := names["userprincipalname"]; ok {
		if h := strings.TrimSpace(header[i]); h != "" && 'a' <= h[0] && h[0] <= 'z' {
			return AdminCenterCSV, true
		}
		return PowerShellCSV, true
	}
	if has("id") {
		return AdminCenterCSV, true
	}
	return "", false
}

// adsyncFormat tells the two Compare-ADSyncToolsDirSyncOverrides CSVs
// apart: the MSOnline-era one compares otherMobile too, the 2025 one
// (UserPrincipalName, MobileInAD, MobileInEntra) only mobile. Without an
// otherMobile column on either side the file says nothing of otherMobile,
// whatever its mobile column is called.
func adsyncFormat(names map[string]int) Format {
	for n := range names {
		if strings.Contains(n, "othermobile") || strings.Contains(n, "alternatemobile") {
			return ADSyncToolsCSV
		}
	}
	return ADSyncToolsCompareCSV
}

// idColumn is the id column's name as each format spells it, for errors.
var idColumn = map[Format]string{PowerShellCSV: "Id", AdminCenterCSV: "objectId", MSOnlineCSV: "ObjectId"}

// csvReader reads one CSV export.
type csvReader struct {
	path    string
	origin  string
	format  Format
	cr      *csv.Reader
	chk     *checkedReader // what cr reads through
	offset  int            // lines before the header the csv.Reader did not see (#TYPE)
	size    int64
	idx     [nCols]int
	headers []string
	rec     []string
	row     []byte // the current row's scalar cells, before they become one string
	// bpMulti: the business phone column is Get-MgUser's BusinessPhones,
	// a list, not a single telephone number.
	bpMulti bool
	// Culture dates whose day/month order only the rest of the file can
	// tell; see parseCulture.
	votes   [3]int
	pending []pendingDate
	// col takes the users; once it spools, pending dates go with their
	// rows, and only what resolveDates would report is kept here.
	col     *collector
	spooled spooledDates
}

// spooledDates is what resolveDates needs of the pending dates of rows
// that went to a spool: the first one, and the first that fails under
// each order.
type spooledDates struct {
	first    *pendingDate
	badUnder [3]*pendingFailure
}

type pendingFailure struct {
	p   pendingDate
	err error
}

type pendingDate struct {
	user      int
	raw       string
	line, col int
}

// readCSV reads any of the CSV formats, and says what of the evidence the
// join uses the format lacks. size is the text's size in bytes, for sizing
// the result once.
func readCSV(path string, t *textFile, size int64, col *collector) ([]pipeline.EntraUser, Format, evidence, error) {
	c := &csvReader{path: path, origin: filepath.Base(path), size: size, col: col}
	typeHint := ""
	head := t.head
	// Export-Csv in PowerShell 5.1 starts with "#TYPE Namespace.Type"; the
	// admin center's bulk templates start with "version:v1.0".
	if bytes.HasPrefix(head, []byte("#TYPE")) || bytes.HasPrefix(head, []byte("version:")) {
		line, err := t.r.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, "", 0, fmt.Errorf("read %s: %w", path, err)
		}
		if bad := invalidUTF8([]byte(line)); bad >= 0 {
			return nil, "", 0, &pipeline.ParseError{File: path, Line: 1, Column: bad + 1, Err: errNotUTF8}
		}
		typeHint, c.offset = line, 1
		head = head[min(len(head), len(line)):]
	}
	c.chk = newCheckedReader(t.r, path, 1+c.offset)
	c.cr = csv.NewReader(c.chk)
	c.cr.Comma = sniffComma(head)
	c.cr.ReuseRecord = true
	header, err := c.cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, "", 0, &pipeline.ParseError{File: path, Err: pipeline.ErrEmptyInput}
	}
	if err != nil {
		// Without a header there is nothing to detect: say what is
		// supported rather than how the quoting broke.
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, "", 0, &pipeline.ParseError{File: path, Line: pe.Line + c.offset, Column: pe.Column,
				Err: unknownFormat("neither JSON nor a CSV header: " + pe.Err.Error())}
		}
		return nil, "", 0, c.err(err)
	}
	header = append([]string(nil), header...)
	c.headers = header
	// Two columns of one name leave which holds the value undefined (and
	// "Mobile phone" is mobilePhone as far as the lookup goes).
	names := map[string]int{}
	for i, h := range header {
		n := normalize(h)
		if n == "" {
			continue
		}
		if first, dup := names[n]; dup {
			line, column := c.cr.FieldPos(i)
			return nil, "", 0, &pipeline.ParseError{File: path, Line: line + c.offset, Column: column,
				Err: fmt.Errorf("column %q appears twice in the header (column %d is %q): which one holds the value is undefined",
					pipeline.ShortText([]byte(strings.TrimSpace(h))), first+1, pipeline.ShortText([]byte(strings.TrimSpace(header[first]))))}
		}
		names[n] = i
	}
	c.chk.mark = c.cr.InputOffset()
	format, ok := detectCSV(header, names, typeHint)
	if !ok {
		return nil, "", 0, &pipeline.ParseError{File: path, Line: 1 + c.offset,
			Err: unknownFormat("a CSV header without userPrincipalName or any other known column")}
	}
	c.format = format
	if err := c.mapColumns(names); err != nil {
		return nil, "", 0, err
	}
	users, err := c.readAll()
	if err != nil {
		return nil, "", 0, err
	}
	// MSOnline infers the flag from ImmutableId or LastDirSyncTime, and
	// ADSyncTools lists synced users only (see user).
	inferred := format == MSOnlineCSV || format == ADSyncToolsCSV || format == ADSyncToolsCompareCSV
	return users, format, lacking(c.idx[cImmutable] >= 0, c.idx[cSync] >= 0 || inferred), nil
}

// sniffComma picks the delimiter from the header line: Export-Csv
// -UseCulture writes ';' in much of Europe.
func sniffComma(head []byte) rune {
	line, _, _ := bytes.Cut(head, []byte{'\n'})
	if bytes.Count(line, []byte{','}) > 0 {
		return ','
	}
	if bytes.Count(line, []byte{';'}) > 0 {
		return ';'
	}
	if bytes.Count(line, []byte{'\t'}) > 0 {
		return '\t'
	}
	return ','
}

// mapColumns finds each property's column and checks the required ones.
func (c *csvReader) mapColumns(names map[string]int) error {
	find := func(aliases []string) int {
		for _, a := range aliases {
			if i, ok := names[a]; ok {
				return i
			}
		}
		return -1
	}
	for k := range c.idx {
		c.idx[k] = find(colAliases[k])
	}
	c.bpMulti = c.idx[cBusiness] >= 0 && normalize(c.headerName(cBusiness)) == "businessphones"
	switch c.format {
	case ADSyncToolsCSV:
		// Only the Entra-side columns describe the cloud user; the AD side
		// comes from the AD extract.
		c.idx[cMobile], c.idx[cAlt] = find(adsyncMobile), find(adsyncAlt)
	case ADSyncToolsCompareCSV:
		// MobileInEntra is the cloud mobile. MobileInAD is AD's view, which
		// extract-ad reads first hand; otherMobile stays unknown.
		c.idx[cMobile], c.idx[cAlt] = find(adsyncMobile), -1
	}
	var missing []string
	if c.idx[cUPN] < 0 {
		missing = append(missing, "userPrincipalName")
	}
	if c.format == ADSyncToolsCompareCSV && c.idx[cMobile] < 0 {
		// Without its Entra side the file says nothing about the cloud.
		missing = append(missing, "MobileInEntra")
	}
	if name, needed := idColumn[c.format]; needed && c.idx[cID] < 0 {
		missing = append(missing, name)
	}
	if len(missing) > 0 {
		return &pipeline.ParseError{File: c.path, Line: 1 + c.offset,
			Err: fmt.Errorf("%s: missing required column(s) %s", c.format, strings.Join(missing, ", "))}
	}
	return nil
}

// err converts encoding/csv's errors to ParseErrors on the file's lines.
func (c *csvReader) err(err error) error {
	var own *pipeline.ParseError
	if errors.As(err, &own) { // from checkedReader: it names its position
		return err
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &pipeline.ParseError{File: c.path, Line: pe.Line + c.offset, Column: pe.Column, Err: pe.Err}
	}
	return fmt.Errorf("read %s: %w", c.path, err)
}

// cellErr is a ParseError at column k of the current record.
func (c *csvReader) cellErr(k col, err error) error {
	line, column := c.cr.FieldPos(c.idx[k])
	return &pipeline.ParseError{File: c.path, Line: line + c.offset, Column: column, Err: err}
}

func (c *csvReader) cell(k col) string {
	// Clone: encoding/csv backs a whole record with one string, and keeping
	// one field would keep the other hundred columns of the line alive.
	return strings.Clone(c.view(k))
}

// view is the trimmed cell k of the current record, in the csv.Reader's
// storage: for what is parsed, not kept.
func (c *csvReader) view(k col) string {
	if c.idx[k] < 0 {
		return ""
	}
	return strings.TrimSpace(c.rec[c.idx[k]])
}

// rowCols are the single-valued text cells of a user, copied into one
// string per row (with the origin): one allocation instead of nine. The
// list cells are cloned apart, as they are what a secondary export's row
// most often leaves in the merged users (AlternateMobilePhones), and they
// should not keep the rest of the row alive.
var rowCols = [...]col{cID, cUPN, cMobile, cUsage, cImmutable, cOnPremUPN, cSam, cDN}

// rowCells copies the current record's rowCols and origin into one string
// and returns them in that order, the origin last; an empty cell is "",
// which holds on to nothing.
func (c *csvReader) rowCells(line int) (cells [len(rowCols) + 1]string) {
	var ends [len(rowCols) + 1]int
	b := c.row[:0]
	for i, k := range rowCols {
		b = append(b, c.view(k)...)
		ends[i] = len(b)
	}
	b = append(b, c.origin...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(line), 10)
	ends[len(rowCols)] = len(b)
	c.row = b
	row := string(b)
	start := 0
	for i, end := range ends {
		if end > start {
			cells[i] = row[start:end]
		}
		start = end
	}
	return cells
}

func (c *csvReader) readAll() ([]pipeline.EntraUser, error) {
	var users []pipeline.EntraUser
	// The size estimate leaves out the header, and waits for a sample of
	// rows: from the first row alone, a long header made it half the
	// rows, and the slice was allocated twice (350 MB for 230 MB).
	start := c.cr.InputOffset()
	var est int64 // bytes of users held, not yet told the collector
	for n := 0; ; n++ {
		rec, err := c.cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, c.err(err)
		}
		c.chk.mark = c.cr.InputOffset()
		c.rec = rec
		u, err := c.user(n)
		if err != nil {
			return nil, err
		}
		if c.col.spooling() {
			if err := c.col.sp.add(&u, c.spoolPending(n)); err != nil {
				return nil, err
			}
			continue
		}
		if c.col != nil {
			est += userBytes(&u)
			if (n+1)%csvSample == 0 {
				spool, err := c.col.grew(est, c.cr.InputOffset()-start, c.size-start)
				if err != nil {
					return nil, err
				}
				if spool {
					if err := c.spoolHeld(append(users, u)); err != nil {
						return nil, err
					}
					users = nil
					continue
				}
				est = 0
			}
		}
		switch {
		case len(users) < cap(users):
		case len(users) < csvSample:
			users = slices.Grow(users, csvSample)
		default: // each estimate is better than the last
			users = growFor(users, 1, c.cr.InputOffset()-start, c.size-start)
		}
		users = append(users, u)
	}
	if c.col != nil && !c.col.spooling() {
		spool, err := c.col.grew(est, c.size-start, c.size-start)
		if err != nil {
			return nil, err
		}
		if spool {
			if err := c.spoolHeld(users); err != nil {
				return nil, err
			}
		}
	}
	if c.col.spooling() {
		return nil, c.resolveSpooled()
	}
	return users, c.resolveDates(users)
}

// spoolHeld moves the users read so far into the collector's spool, each
// with its pending date.
func (c *csvReader) spoolHeld(users []pipeline.EntraUser) error {
	pending := c.pending
	c.pending = nil
	k := 0
	return c.col.take(users, func(i int) string {
		if k < len(pending) && pending[k].user == i {
			k++
			c.notePending(pending[k-1])
			return pending[k-1].raw
		}
		return ""
	})
}

// spoolPending takes the pending date of user index, just read, off the
// list, for its row to carry into the spool; "" when it has none.
func (c *csvReader) spoolPending(index int) string {
	k := len(c.pending) - 1
	if k < 0 || c.pending[k].user != index {
		return ""
	}
	p := c.pending[k]
	c.pending = c.pending[:k]
	c.notePending(p)
	return p.raw
}

// notePending checks a spooled pending date now under either order, as
// resolveDates would once the order is known.
func (c *csvReader) notePending(p pendingDate) {
	if c.spooled.first == nil {
		c.spooled.first = &p
	}
	for _, o := range []dateOrder{orderDMY, orderMDY} {
		if c.spooled.badUnder[o] == nil {
			if _, _, err := parseTime(p.raw, o); err != nil {
				c.spooled.badUnder[o] = &pendingFailure{p, err}
			}
		}
	}
}

// csvSample is how many rows readAll reads before it sizes the result
// for the whole file.
const csvSample = 1024

// user converts the current record.
func (c *csvReader) user(index int) (pipeline.EntraUser, error) {
	line, _ := c.cr.FieldPos(0)
	line += c.offset
	cells := c.rowCells(line)
	u := pipeline.EntraUser{
		ID:                       strings.ToLower(cells[0]),
		UPN:                      cells[1],
		MobilePhone:              cells[2],
		UsageLocation:            cells[3],
		OnPremisesImmutableID:    cells[4],
		OnPremisesUPN:            cells[5],
		OnPremisesSamAccountName: cells[6],
		OnPremisesDN:             cells[7],
		Origin:                   cells[8],
	}
	if u.UPN == "" {
		return u, c.cellErr(cUPN, errors.New("empty userPrincipalName"))
	}
	if u.ID == "" {
		if _, needed := idColumn[c.format]; needed {
			return u, c.cellErr(cID, fmt.Errorf("empty %s", idColumn[c.format]))
		}
		// ADSyncTools identifies users by UPN only (the 2025 CSV's may be
		// the on-premises UPN; Merge matches both).
		u.ID = UPNIDPrefix + strings.ToLower(u.UPN)
	}
	var err error
	if u.BusinessPhones, err = c.businessPhones(); err != nil {
		return u, err
	}
	if u.AlternateMobilePhones, err = c.alternates(); err != nil {
		return u, err
	}
	if u.OnPremisesSyncEnabled, err = c.boolCell(cSync); err != nil {
		return u, err
	}
	if u.AccountEnabled, err = c.boolCell(cEnabled); err != nil {
		return u, err
	}
	if blocked, err := c.boolCell(cBlock); err != nil {
		return u, err
	} else if blocked.Valid && !u.AccountEnabled.Valid {
		u.AccountEnabled = pipeline.Known(!blocked.Bool)
	}
	if raw := c.view(cLastSync); raw != "" {
		t, proved, err := parseTime(raw, orderUnknown)
		switch {
		case errors.Is(err, errAmbiguousDate):
			lineNo, column := c.cr.FieldPos(c.idx[cLastSync])
			c.pending = append(c.pending, pendingDate{user: index, raw: strings.Clone(raw), line: lineNo + c.offset, col: column})
		case err != nil:
			return u, c.cellErr(cLastSync, err)
		}
		c.votes[proved]++
		u.OnPremisesLastSync = t
	}
	switch {
	case u.OnPremisesSyncEnabled.Valid:
	case c.format == MSOnlineCSV:
		// MSOnline has no sync flag; a synced user is one with a source
		// anchor or a sync time. Without either the flag stays unknown:
		// a cloud user and an unexported column look the same.
		if u.OnPremisesImmutableID != "" || c.view(cLastSync) != "" {
			u.OnPremisesSyncEnabled = pipeline.Known(true)
		}
	case c.format == ADSyncToolsCSV || c.format == ADSyncToolsCompareCSV:
		// Compare-ADSyncToolsDirSyncOverrides only lists users it found both
		// in AD and in Entra as synced objects.
		u.OnPremisesSyncEnabled = pipeline.Known(true)
	}
	return u, nil
}

func (c *csvReader) boolCell(k col) (pipeline.NullBool, error) {
	b, err := parseBool(c.view(k))
	if err != nil {
		return b, c.cellErr(k, err)
	}
	return b, nil
}

// businessPhones reads Get-MgUser's BusinessPhones (a collection, which
// Export-Csv renders as "System.String[]": unknown) or the single telephone
// number the admin center and MSOnline export.
func (c *csvReader) businessPhones() ([]string, error) {
	if c.idx[cBusiness] < 0 {
		return nil, nil
	}
	v := c.cell(cBusiness)
	if c.bpMulti {
		if v == "" || unexpanded(v) {
			return nil, nil
		}
		return splitMulti(v), nil
	}
	if v == "" {
		return []string{}, nil
	}
	return []string{v}, nil
}

// alternates reads the cloud otherMobile. A present column is known even
// when empty; a .NET type name means the exporter never expanded the list,
// and guessing would report real numbers as missing.
func (c *csvReader) alternates() ([]string, error) {
	if c.idx[cAlt] < 0 {
		return nil, nil
	}
	v := c.cell(cAlt)
	if unexpanded(v) {
		name := c.headerName(cAlt)
		return nil, c.cellErr(cAlt, fmt.Errorf("%s holds %q, not the phone numbers: export it expanded, e.g. Select-Object "+
			"UserPrincipalName,ObjectId,@{n='%s';e={$_.%s -join ';'}} | Export-Csv", name, v, name, name))
	}
	return splitMulti(v), nil
}

func (c *csvReader) headerName(k col) string {
	return strings.TrimSpace(c.headers[c.idx[k]])
}

// resolveDates settles ambiguous culture dates from the file's other
// dates: one date with a day above 12 shows the order for all of them.
func (c *csvReader) resolveDates(users []pipeline.EntraUser) error {
	if len(c.pending) == 0 {
		return nil
	}
	order, err := c.dateOrder(c.pending[0])
	if err != nil {
		return err
	}
	for _, p := range c.pending {
		t, _, err := parseTime(p.raw, order)
		if err != nil {
			return &pipeline.ParseError{File: c.path, Line: p.line, Column: p.col, Err: err}
		}
		users[p.user].OnPremisesLastSync = t
	}
	return nil
}

// resolveSpooled is resolveDates for users that went to the spool: the
// same errors, and the order for the spool to settle their dates with as
// it reads them back (spoolRow.user).
func (c *csvReader) resolveSpooled() error {
	if c.spooled.first == nil {
		return nil
	}
	order, err := c.dateOrder(*c.spooled.first)
	if err != nil {
		return err
	}
	if f := c.spooled.badUnder[order]; f != nil {
		return &pipeline.ParseError{File: c.path, Line: f.p.line, Column: f.p.col, Err: f.err}
	}
	c.col.sp.order = order
	return nil
}

// dateOrder is the day/month order the file's dates show, p being its
// first ambiguous one.
func (c *csvReader) dateOrder(p pendingDate) (dateOrder, error) {
	switch dmy, mdy := c.votes[orderDMY], c.votes[orderMDY]; {
	case dmy > 0 && mdy > 0:
		return 0, &pipeline.ParseError{File: c.path, Line: p.line, Column: p.col,
			Err: fmt.Errorf("%w: the file mixes day-first and month-first dates", errAmbiguousDate)}
	case dmy > 0:
		return orderDMY, nil
	case mdy > 0:
		return orderMDY, nil
	}
	return 0, &pipeline.ParseError{File: c.path, Line: p.line, Column: p.col,
		Err: fmt.Errorf("%w in %q, and no other date in the file has a day above 12: re-export dates in ISO 8601, "+
			"e.g. @{n='LastDirSyncTime';e={$_.LastDirSyncTime.ToString('o')}}", errAmbiguousDate, p.raw)}
}

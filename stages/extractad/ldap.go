package extractad

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-ldap/ldap/v3"

	"syncgap/pipeline"
)

// DefaultFilter selects user accounts, enabled and disabled, and leaves out
// computers (objectCategory computer) and contacts (objectClass contact).
const DefaultFilter = "(&(objectCategory=person)(objectClass=user))"

// DefaultPageSize is what AD's MaxPageSize allows by default; AD sends at
// most that many entries a page whatever the client asks for.
const DefaultPageSize = 1000

// Search scopes, as given on the command line and recorded in the manifest.
const (
	ScopeSub  = "sub"
	ScopeOne  = "one"
	ScopeBase = "base"
)

// Manifest parameters of a live extract. The password is never one of them.
const (
	ParamLDAP       = "ldap" // server as scheme://host:port
	ParamBase       = "base"
	ParamFilter     = "filter"
	ParamScope      = "scope"
	ParamPageSize   = "page_size"
	ParamBind       = "bind"        // bind identity; empty for anonymous
	ParamBindMethod = "bind_method" // simple, ntlm or anonymous
	ParamTLS        = "tls"         // ldaps, starttls or none
	ParamCAFile     = "ca_file"
	ParamInsecure   = "insecure_skip_verify"
)

// ldapAttributes are the attributes ToADUser reads.
var ldapAttributes = []string{
	"objectClass", "objectGUID", "mS-DS-ConsistencyGuid", "sAMAccountName", "userPrincipalName",
	"mobile", "otherMobile", "c", "userAccountControl", "whenChanged",
}

// LDAPQuery selects the users of a live extract.
type LDAPQuery struct {
	Base     string // search base DN, e.g. DC=contoso,DC=com
	Filter   string // DefaultFilter when empty
	Scope    string // ScopeSub when empty
	PageSize int    // DefaultPageSize when 0
}

func (q LDAPQuery) withDefaults() LDAPQuery {
	if q.Filter == "" {
		q.Filter = DefaultFilter
	}
	if q.Scope == "" {
		q.Scope = ScopeSub
	}
	if q.PageSize == 0 {
		q.PageSize = DefaultPageSize
	}
	return q
}

func (q LDAPQuery) ldapScope() (int, error) {
	switch q.Scope {
	case ScopeSub:
		return ldap.ScopeWholeSubtree, nil
	case ScopeOne:
		return ldap.ScopeSingleLevel, nil
	case ScopeBase:
		return ldap.ScopeBaseObject, nil
	}
	return 0, fmt.Errorf("search scope %q: want sub, one or base", q.Scope)
}

func (q LDAPQuery) validate() error {
	if q.Base == "" {
		return errors.New("no search base given (e.g. DC=contoso,DC=com)")
	}
	if _, err := ldap.ParseDN(q.Base); err != nil {
		return fmt.Errorf("search base %q: %w", q.Base, err)
	}
	if _, err := ldap.CompileFilter(q.Filter); err != nil {
		return fmt.Errorf("filter %q: %w", q.Filter, err)
	}
	if q.PageSize < 1 || q.PageSize > 1<<31-1 {
		return fmt.Errorf("page size %d: want 1 or more", q.PageSize)
	}
	_, err := q.ldapScope()
	return err
}

// LDAPStats counts what a live extract saw; the stage records it in the manifest.
type LDAPStats struct {
	Entries       int // search result entries, users or not
	Users         int // rows emitted
	Pages         int // result pages
	Referrals     int // continuation references skipped
	RangeRequests int // follow-up searches for ranged attribute values
	Attempts      int // searches started, counting restarts after a lost connection
}

// LDAPSource is a live directory to extract users from. Conn carries the
// password, which is why the stage takes the source as a value rather than
// reading it from its (recorded) parameters.
type LDAPSource struct {
	Conn  LDAPConfig
	Query LDAPQuery
	// Attempts is how many times the whole search is tried when the
	// connection drops; 4 when 0.
	Attempts int
	// Backoff is the wait before the first restart, doubled for each
	// further one; 2 s when 0.
	Backoff time.Duration
}

// Params are the source's manifest parameters: where and what was searched
// and as whom, never the password.
func (s LDAPSource) Params() map[string]string {
	q := s.Query.withDefaults()
	p := map[string]string{
		ParamLDAP:       s.Conn.Server(),
		ParamBase:       q.Base,
		ParamFilter:     q.Filter,
		ParamScope:      q.Scope,
		ParamPageSize:   strconv.Itoa(q.PageSize),
		ParamBind:       s.Conn.BindID,
		ParamBindMethod: s.Conn.BindMethod(),
		ParamTLS:        "none",
	}
	switch {
	case strings.HasPrefix(p[ParamLDAP], "ldaps://"):
		p[ParamTLS] = "ldaps"
	case s.Conn.StartTLS:
		p[ParamTLS] = "starttls"
	}
	if s.Conn.CAFile != "" {
		p[ParamCAFile] = s.Conn.CAFile
	}
	if s.Conn.InsecureSkipVerify {
		p[ParamInsecure] = "true"
	}
	return p
}

// Validate checks the source without touching the network.
func (s LDAPSource) Validate() error {
	if err := s.Conn.Validate(); err != nil {
		return err
	}
	return s.Query.withDefaults().validate()
}

// LDAPStage reads users from a live directory and writes ad_users, sorted
// as the LDIF stage sorts them, so both give the same table for the same
// directory but for the origin column. Run it with src.Params().
func LDAPStage(src LDAPSource) pipeline.Stage {
	return pipeline.Stage{Name: "extract-ad", Run: func(ctx context.Context, dir string, params map[string]string) (*pipeline.Result, error) {
		// The manifest must describe the search that actually ran.
		if !maps.Equal(params, src.Params()) {
			return nil, errors.New("extract-ad: parameters do not match the LDAP source")
		}
		if err := src.Validate(); err != nil {
			return nil, err
		}
		users, stats, err := src.collect(ctx)
		if err != nil {
			return nil, err
		}
		out, err := writeUsers(dir, users)
		if err != nil {
			return nil, err
		}
		return &pipeline.Result{
			Outputs: []pipeline.OutputRecord{out},
			Detail: map[string]string{
				"source":             "ldap " + src.Conn.Server(),
				"entries":            strconv.Itoa(stats.Entries),
				"pages":              strconv.Itoa(stats.Pages),
				"referrals_skipped":  strconv.Itoa(stats.Referrals),
				"range_requests":     strconv.Itoa(stats.RangeRequests),
				"connection_retries": strconv.Itoa(stats.Attempts - 1),
			},
		}, nil
	}}
}

// collect runs the search to the end, restarting it from scratch on a new
// connection when the connection drops: a paged search cannot resume on
// another connection, and a half-read directory must never become a table.
func (s LDAPSource) collect(ctx context.Context) (*userChunks, LDAPStats, error) {
	attempts := s.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	delay := s.Backoff
	if delay <= 0 {
		delay = 2 * time.Second
	}
	server := s.Conn.Server()
	for attempt := 1; ; attempt++ {
		users := &userChunks{}
		stats, connected, err := s.once(ctx, users)
		stats.Attempts = attempt
		if err == nil {
			return users, stats, nil
		}
		if ctx.Err() != nil {
			return nil, stats, ctx.Err()
		}
		// A first connection that fails is a wrong address or a server that
		// is down: retrying would only delay the message.
		if !isConnectionLoss(err) || attempt == 1 && !connected {
			return nil, stats, err
		}
		if attempt >= attempts {
			return nil, stats, fmt.Errorf("extract from %s: connection lost %d times, giving up (nothing written): %w", server, attempt, err)
		}
		slog.Warn("LDAP connection lost; restarting the search from the beginning",
			"server", server, "attempt", attempt, "of", attempts, "retry_in", delay, "error", err)
		select {
		case <-ctx.Done():
			return nil, stats, ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// once connects, reads every user into users and closes the connection.
// connected tells whether the connection and bind succeeded.
func (s LDAPSource) once(ctx context.Context, users *userChunks) (stats LDAPStats, connected bool, err error) {
	conn, err := Connect(ctx, s.Conn)
	if err != nil {
		return stats, false, err
	}
	defer conn.Close()
	stats, err = s.Read(ctx, conn, func(u *pipeline.ADUser) error {
		users.add(u)
		return nil
	})
	if err != nil && conn.IsClosing() {
		err = &connLostError{err}
	}
	return stats, true, err
}

// connLostError is a search that failed because its connection closed.
type connLostError struct{ err error }

func (e *connLostError) Error() string { return "connection lost: " + e.err.Error() }
func (e *connLostError) Unwrap() error { return e.err }

// isConnectionLoss tells failures worth a fresh connection (dropped,
// reset, timed out, server busy) from refusals that would only repeat.
func isConnectionLoss(err error) bool {
	var lost *connLostError
	var ne net.Error
	switch {
	case errors.Is(err, ErrInvalidCredentials), errors.Is(err, ErrPlaintextBind):
		return false
	case errors.As(err, &lost), errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		ldap.IsErrorAnyOf(err, ldap.ErrorNetwork, ldap.LDAPResultBusy, ldap.LDAPResultUnavailable):
		return true
	}
	return false
}

// Read runs the source's paged search once on conn, a connection made with
// Connect(s.Conn), and emits every user entry as an ad_users row whose
// origin is the server. It pages with the paging control itself and hands
// entries on as they arrive, so memory holds one page at most; continuation
// references are counted and skipped; attribute values that AD returns in
// ranges (otherMobile;range=0-1499) are fetched to the end. A page that
// takes longer than s.Conn.RequestTimeout closes the connection.
func (s LDAPSource) Read(ctx context.Context, conn *ldap.Conn, emit func(*pipeline.ADUser) error) (LDAPStats, error) {
	var stats LDAPStats
	q := s.Query.withDefaults()
	if err := q.validate(); err != nil {
		return stats, err
	}
	server := s.Conn.Server()
	timeout := s.Conn.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	// go-ldap's own request timeout arms a timer for every response packet
	// (a quarter of the run time at 20,000 users) and silently drops a
	// response its reader cannot hand over in time. Each page gets a
	// deadline of ours instead, which closes the connection when it passes.
	conn.SetTimeout(0)
	defer conn.SetTimeout(timeout)
	scope, _ := q.ldapScope()
	paging := ldap.NewControlPaging(uint32(q.PageSize))
	req := ldap.NewSearchRequest(q.Base, scope, ldap.NeverDerefAliases, 0, 0, false, q.Filter, ldapAttributes, []ldap.Control{paging})
	prog := pipeline.ProgressFrom(ctx)
	prog.Start("extract-ad", "entries", 0)
	defer prog.Done()
	dns := newDNIndex()
	var e Entry
	handle := func(le *ldap.Entry) error {
		stats.Entries++
		prog.Add(1)
		if _, dup := dns.add(le.DN, stats.Entries); dup {
			return fmt.Errorf("%s returned %q twice in one search", server, le.DN)
		}
		toEntry(le, &e)
		u, ok, err := ToADUser(&e, server)
		if err != nil {
			var pe *pipeline.ParseError
			if errors.As(err, &pe) {
				err = pe.Err // its File and Line are made for files, not entries
			}
			return fmt.Errorf("%s: entry %q: %w", server, le.DN, err)
		}
		if !ok {
			return nil
		}
		stats.Users++
		return emit(&u)
	}
	for {
		var ranged []*ldap.Entry // entries whose values continue in further ranges
		cookie, err := searchPage(ctx, conn, req, q.PageSize, timeout, &stats, func(le *ldap.Entry) error {
			if hasOpenRange(le) {
				// Fetched after the page: a request sent while the page is
				// still arriving would queue behind it on the one connection.
				ranged = append(ranged, le)
				return nil
			}
			return handle(le)
		})
		if err != nil {
			if s.Conn.BindMethod() == BindAnonymous && ldap.IsErrorAnyOf(err, ldap.LDAPResultOperationsError, ldap.LDAPResultInsufficientAccessRights) {
				return stats, fmt.Errorf("search %q on %s without a bind: %w (AD answers searches only after a bind: give a bind identity)", q.Base, server, err)
			}
			return stats, fmt.Errorf("search %q on %s: %w", q.Base, server, err)
		}
		stats.Pages++
		for _, le := range ranged {
			if err := fetchRanges(ctx, conn, le, timeout, &stats); err != nil {
				return stats, fmt.Errorf("read ranged values of %q on %s: %w", le.DN, server, err)
			}
			if err := handle(le); err != nil {
				return stats, err
			}
		}
		if len(cookie) == 0 {
			break
		}
		paging.SetCookie(cookie)
	}
	if stats.Users == 0 {
		return stats, fmt.Errorf("%s: no user entries under %q matching %s among %d entries: %w",
			server, q.Base, q.Filter, stats.Entries, pipeline.ErrEmptyInput)
	}
	return stats, nil
}

// watch bounds one request: when timeout passes (or ctx ends) before done
// is called, it closes conn, which ends whatever waits on it.
func watch(ctx context.Context, conn *ldap.Conn, timeout time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	return ctx, func() { stop(); cancel() }
}

// errPageTimeout is a request that outlived its deadline; the connection is closed by then.
var errPageTimeout = errors.New("no complete answer")

func timeoutError(ctx context.Context, timeout time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%w within %s", errPageTimeout, timeout)
}

// searchPage sends req and streams one page of results to entry; it
// returns the paging cookie for the next page, empty after the last.
func searchPage(ctx context.Context, conn *ldap.Conn, req *ldap.SearchRequest, pageSize int, timeout time.Duration, stats *LDAPStats, entry func(*ldap.Entry) error) ([]byte, error) {
	pctx, done := watch(ctx, conn, timeout)
	defer done()
	// A page's worth of buffer lets go-ldap's reader run ahead of the mapping.
	resp := conn.SearchAsync(pctx, req, min(pageSize, 10000)+16)
	var cookie []byte
	for resp.Next() {
		switch {
		case resp.Entry() != nil:
			if err := entry(resp.Entry()); err != nil {
				return nil, err
			}
		case resp.Referral() != "":
			// A continuation reference points into another partition or
			// domain (AD sends them for the Configuration partition, for
			// instance); following them is not what the base selects.
			stats.Referrals++
			slog.Debug("skipped continuation reference", "ref", resp.Referral())
		default:
			if c, ok := ldap.FindControl(resp.Controls(), ldap.ControlTypePaging).(*ldap.ControlPaging); ok {
				cookie = c.Cookie
			}
		}
	}
	// SearchAsync reports cancellation as a clean end, and a closed
	// connection as whatever it was doing then: the deadline explains both.
	if pctx.Err() != nil {
		return nil, timeoutError(ctx, timeout)
	}
	if err := resp.Err(); err != nil {
		return nil, err
	}
	return cookie, nil
}

// toEntry maps a search result entry to the shape ReadLDIF gives ToADUser:
// one Attr per value, options split off the attribute name.
func toEntry(le *ldap.Entry, e *Entry) {
	e.DN, e.Line, e.Attrs = le.DN, 0, e.Attrs[:0]
	for _, a := range le.Attributes {
		name, opts := splitOptions(a.Name)
		for _, v := range a.ByteValues {
			e.Attrs = append(e.Attrs, Attr{Name: name, Options: opts, Value: v})
		}
	}
}

func splitOptions(desc string) (string, []string) {
	name, rest, ok := strings.Cut(desc, ";")
	if !ok {
		return desc, nil
	}
	return name, strings.Split(rest, ";")
}

// rangeOption finds "range=LOW-HIGH" among an attribute's options; high is
// -1 for "*", the last range.
func rangeOption(desc string) (low, high int, ok bool) {
	_, opts := splitOptions(desc)
	for _, o := range opts {
		spec, found := strings.CutPrefix(strings.ToLower(o), "range=")
		if !found {
			continue
		}
		lo, hi, found := strings.Cut(spec, "-")
		if !found {
			return 0, 0, false
		}
		l, err := strconv.Atoi(lo)
		if err != nil || l < 0 {
			return 0, 0, false
		}
		if hi == "*" {
			return l, -1, true
		}
		h, err := strconv.Atoi(hi)
		if err != nil || h < l {
			return 0, 0, false
		}
		return l, h, true
	}
	return 0, 0, false
}

func hasOpenRange(le *ldap.Entry) bool {
	for _, a := range le.Attributes {
		if _, high, ok := rangeOption(a.Name); ok && high >= 0 {
			return true
		}
	}
	return false
}

// maxRangeRequests bounds the follow-ups for one attribute: AD's default
// MaxValRange of 1500 makes this 1.5 million values, far beyond any real phone list.
const maxRangeRequests = 1000

// fetchRanges completes every attribute of le that AD cut into ranges, asking
// for "attr;range=NEXT-*" until the server answers with the last range
// ("…-*"), and appends each further range to le in order.
func fetchRanges(ctx context.Context, conn *ldap.Conn, le *ldap.Entry, timeout time.Duration, stats *LDAPStats) error {
	n := len(le.Attributes)
	for i := range n {
		name, _ := splitOptions(le.Attributes[i].Name)
		_, high, ok := rangeOption(le.Attributes[i].Name)
		for step := 0; ok && high >= 0; step++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if step == maxRangeRequests {
				return fmt.Errorf("%s: more than %d ranges", name, maxRangeRequests)
			}
			next := high + 1
			want := fmt.Sprintf("%s;range=%d-*", name, next)
			rctx, done := watch(ctx, conn, timeout)
			res, err := conn.Search(ldap.NewSearchRequest(le.DN, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
				0, 0, false, "(objectClass=*)", []string{want}, nil))
			expired := rctx.Err() != nil
			done()
			stats.RangeRequests++
			if expired {
				return timeoutError(ctx, timeout)
			}
			if err != nil {
				return err
			}
			if len(res.Entries) != 1 {
				return fmt.Errorf("%s: %d entries for a base search", want, len(res.Entries))
			}
			var got *ldap.EntryAttribute
			for _, a := range res.Entries[0].Attributes {
				if n, _ := splitOptions(a.Name); strings.EqualFold(n, name) {
					got = a
				}
			}
			if got == nil {
				// The values beyond next were removed since the first page.
				break
			}
			var low int
			low, high, ok = rangeOption(got.Name)
			if !ok || low != next {
				return fmt.Errorf("asked for %s, got %s", want, got.Name)
			}
			le.Attributes = append(le.Attributes, got)
		}
	}
	return nil
}

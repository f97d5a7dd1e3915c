package extractad

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"syncgap/ldapconn"
	"syncgap/ldif"
	"syncgap/pipeline"
)

// Read runs the source's paged search once on conn, a connection made with
// ldapconn.Connect(s.Conn), and emits every user entry as an ad_users row whose
// origin is the server. It pages with the paging control itself and hands
// entries on as they arrive, so memory holds one page at most; continuation
// references are counted and skipped; attribute values that AD returns in
// ranges (otherMobile;range=0-1499) are fetched to the end. A page that
// takes longer than s.Conn.RequestTimeout closes the connection.
func (s LDAPSource) Read(ctx context.Context, conn *ldap.Conn, emit func(*pipeline.ADUser) error) (LDAPStats, error) {
	dns := newDNCheck("", 0)
	defer dns.close()
	return s.read(ctx, conn, dns, emit)
}

// read is Read checking repeated DNs with dns.
func (s LDAPSource) read(ctx context.Context, conn *ldap.Conn, dns *dnCheck, emit func(*pipeline.ADUser) error) (LDAPStats, error) {
	var stats LDAPStats
	q := s.Query.withDefaults()
	if err := q.validate(); err != nil {
		return stats, err
	}
	if q.Base == "" {
		return stats, errors.New("no search base given (e.g. DC=contoso,DC=com)")
	}
	server := s.Conn.Server()
	timeout := s.Conn.RequestTimeout
	if timeout <= 0 {
		timeout = ldapconn.DefaultRequestTimeout
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
	var e ldif.Entry
	handle := func(le *ldap.Entry) error {
		stats.Entries++
		prog.Add(1)
		if _, dup, err := dns.add(le.DN, stats.Entries); err != nil {
			return err
		} else if dup {
			return fmt.Errorf("%s: entry %q returned twice in one search", server, le.DN)
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
		var entryErr error       // a bad entry, which already names server and DN
		cookie, err := searchPage(ctx, conn, req, q.PageSize, timeout, &stats, func(le *ldap.Entry) error {
			if hasOpenRange(le) {
				// Fetched after the page: a request sent while the page is
				// still arriving would queue behind it on the one connection.
				ranged = append(ranged, le)
				return nil
			}
			entryErr = handle(le)
			return entryErr
		})
		if entryErr != nil {
			return stats, entryErr
		}
		if err != nil {
			if s.Conn.BindMethod() == ldapconn.BindAnonymous && ldap.IsErrorAnyOf(err, ldap.LDAPResultOperationsError, ldap.LDAPResultInsufficientAccessRights) {
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
	if later, first, found, err := dns.repeated(ctx); err != nil {
		return stats, err
	} else if found {
		// The DN is not kept past the check's share of the budget.
		return stats, fmt.Errorf("%s: one entry returned twice in one search (entries %d and %d of %d)", server, first, later, stats.Entries)
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
func toEntry(le *ldap.Entry, e *ldif.Entry) {
	e.DN, e.Line, e.Attrs = le.DN, 0, e.Attrs[:0]
	for _, a := range le.Attributes {
		name, opts := splitOptions(a.Name)
		for _, v := range a.ByteValues {
			e.Attrs = append(e.Attrs, ldif.Attr{Name: name, Options: opts, Value: v})
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

package extractad

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/go-ldap/ldap/v3"

	"syncgap/ldapconn"
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

// ldapAttributes are the attributes ToADUser reads.
var ldapAttributes = []string{
	"objectClass", "objectGUID", "mS-DS-ConsistencyGuid", "sAMAccountName", "userPrincipalName",
	"mobile", "otherMobile", "c", "userAccountControl", "whenChanged",
}

// LDAPQuery selects the users of a live extract.
type LDAPQuery struct {
	Base     string // search base DN, e.g. DC=contoso,DC=com; empty: the rootDSE's defaultNamingContext
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

// validate checks the query; an empty base is read from the rootDSE later.
func (q LDAPQuery) validate() error {
	if _, err := ldap.ParseDN(q.Base); q.Base != "" && err != nil {
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
	Entries       int    // search result entries, users or not
	Users         int    // rows emitted
	Pages         int    // result pages
	Referrals     int    // continuation references skipped
	RangeRequests int    // follow-up searches for ranged attribute values
	Attempts      int    // searches started, counting restarts after a lost connection
	Base          string // the DN searched under
}

// LDAPSource is extract-ad reading live from a domain controller. Conn
// carries the password, so the manifest records the source through
// ldapRecord, never the struct itself.
type LDAPSource struct {
	Conn  ldapconn.Config
	Query LDAPQuery
	// Attempts is how many times the whole search is tried when the
	// connection drops; 4 when 0.
	Attempts int
	// Backoff is the wait before the first restart, doubled for each
	// further one; 2 s when 0.
	Backoff time.Duration
	// AllowMissingAttributes accepts a directory in which no user read
	// carries mobile or otherMobile (or a UPN, or an anchor), as
	// LDIFConfig's does for a file.
	AllowMissingAttributes bool
}

// ldapRecord is what the manifest records of a live extract: where and
// what was searched and as whom, never the password.
type ldapRecord struct {
	Server       string `param:"ldap"`           // scheme://host:port
	Base         string `param:"base,omitempty"` // as given; empty: from the rootDSE (the summary has it)
	Filter       string `param:"filter"`
	Scope        string `param:"scope"`
	PageSize     int    `param:"page_size"`
	Bind         string `param:"bind"`             // bind identity; empty for anonymous
	BindMethod   string `param:"bind_method"`      // simple, ntlm, kerberos or anonymous
	SPN          string `param:"spn,omitempty"`    // a Kerberos service principal given instead of ldap/<host>
	Keytab       string `param:"keytab,omitempty"` // a Kerberos keytab's path (never its content)
	TLS          string `param:"tls"`              // ldaps, starttls or none
	CAFile       string `param:"ca_file,omitempty"`
	Insecure     bool   `param:"insecure_skip_verify,omitempty"`
	AllowMissing bool   `param:"allow_missing_attributes,omitempty"`
}

func (s LDAPSource) record() any {
	q := s.Query.withDefaults()
	r := ldapRecord{
		Server: s.Conn.Server(), Base: q.Base, Filter: q.Filter, Scope: q.Scope, PageSize: q.PageSize,
		Bind: s.Conn.BindID, BindMethod: s.Conn.BindMethod(), TLS: "none",
		CAFile: s.Conn.CAFile, Insecure: s.Conn.InsecureSkipVerify, AllowMissing: s.AllowMissingAttributes, SPN: s.Conn.SPN, Keytab: s.Conn.Keytab,
	}
	switch {
	case strings.HasPrefix(r.Server, "ldaps://"):
		r.TLS = "ldaps"
	case s.Conn.StartTLS:
		r.TLS = "starttls"
	}
	return r
}

// Validate checks the source without touching the network.
func (s *LDAPSource) Validate() error {
	if err := s.Conn.Validate(); err != nil {
		return err
	}
	return s.Query.withDefaults().validate()
}

// LDAPSummary is what extract-ad records of a live run.
type LDAPSummary struct {
	Source            string `param:"source"`
	Base              string `param:"base"`                        // the DN searched under
	BaseFromRootDSE   bool   `param:"base_from_rootdse,omitempty"` // read from the rootDSE, no --base given
	Entries           int    `param:"entries"`
	Users             int    `param:"users"`
	Pages             int    `param:"pages"`
	ReferralsSkipped  int    `param:"referrals_skipped"`
	RangeRequests     int    `param:"range_requests"`
	ConnectionRetries int    `param:"connection_retries"`
	// MissingAttributes names what no user carried, when that was allowed.
	MissingAttributes string `param:"missing_attributes,omitempty"`
}

// LDAPStage reads users from a live directory and writes ad_users, sorted
// as the LDIF stage sorts them, so both give the same table for the same
// directory but for the origin column.
var LDAPStage = pipeline.Def[LDAPSource, LDAPSummary]{
	Name:   "extract-ad",
	Record: LDAPSource.record,
	Writes: adUsersFile,
	Do: func(ctx context.Context, env *pipeline.Env, src LDAPSource) (LDAPSummary, error) {
		users, stats, err := src.collect(ctx, env.Dir)
		if err != nil {
			return LDAPSummary{}, err
		}
		defer users.Close()
		missing := users.cov.missing()
		if len(missing) > 0 && !src.AllowMissingAttributes {
			return LDAPSummary{}, users.cov.missingLiveError(src.Conn.Server(), missing)
		}
		out, err := writeUsers(ctx, env.Dir, users)
		if err != nil {
			return LDAPSummary{}, err
		}
		env.AddOutput(out)
		return LDAPSummary{
			Source: "ldap " + src.Conn.Server(), Base: stats.Base, BaseFromRootDSE: src.Query.Base == "", Entries: stats.Entries, Users: stats.Users, Pages: stats.Pages,
			ReferralsSkipped: stats.Referrals, RangeRequests: stats.RangeRequests, ConnectionRetries: stats.Attempts - 1,
			MissingAttributes: strings.Join(missing, ", "),
		}, nil
	},
}

// collect runs the search to the end, restarting it from scratch on a new
// connection when the connection drops: a paged search cannot resume on
// another connection, and a half-read directory must never become a table.
func (s LDAPSource) collect(ctx context.Context, dir string) (*userSort, LDAPStats, error) {
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
		users := newUserSort(ctx, dir)
		stats, connected, err := s.once(ctx, users)
		stats.Attempts = attempt
		if err == nil {
			return users, stats, nil
		}
		users.Close() // what a dropped search read is read again
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
func (s LDAPSource) once(ctx context.Context, users *userSort) (stats LDAPStats, connected bool, err error) {
	conn, err := ldapconn.Connect(ctx, s.Conn)
	if err != nil {
		return stats, false, err
	}
	defer conn.Close()
	if s.Query.Base == "" {
		if s.Query.Base, err = ldapconn.DefaultNamingContext(conn, s.Conn.Server()); err != nil {
			return stats, true, err
		}
		slog.Info("search base from the rootDSE's defaultNamingContext", "server", s.Conn.Server(), "base", s.Query.Base)
	}
	stats, err = s.read(ctx, conn, users.dns, users.add)
	stats.Base = s.Query.Base
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
	case errors.Is(err, ldapconn.ErrInvalidCredentials), errors.Is(err, ldapconn.ErrPlaintextBind):
		return false
	// errPageTimeout is the "timed out" above, whether or not watch's close
	// (on another goroutine) has made conn.IsClosing true by the time once
	// looks at it.
	case errors.As(err, &lost), errors.As(err, &ne), errors.Is(err, errPageTimeout),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		ldap.IsErrorAnyOf(err, ldap.ErrorNetwork, ldap.LDAPResultBusy, ldap.LDAPResultUnavailable):
		return true
	}
	return false
}

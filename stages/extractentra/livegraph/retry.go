package livegraph

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// retryTransport retries what Graph asks to be retried: 429 and 503/504,
// honouring Retry-After in seconds (fractional ones too) or as an HTTP
// date, else backing off exponentially with fixed bounds; and failed
// connections and bodies cut mid-stream, which it detects by reading each
// body in full before handing the response up (the SDK reads it in full
// anyway). All retries of a client share one budget of waiting time.
type retryTransport struct {
	next    http.RoundTripper
	policy  RetryPolicy
	now     func() time.Time
	maxBody int64 // see maxBody

	mu     sync.Mutex
	waited time.Duration // of the budget, used so far
}

func newRetryTransport(next http.RoundTripper, p RetryPolicy) *retryTransport {
	return &retryTransport{next: next, policy: p.withDefaults(), now: time.Now, maxBody: maxBody}
}

// attempts records the retries of one logical request, so its error can
// say how hard the client tried; it travels in the request's context.
type attempts struct {
	retries int
	waited  time.Duration
	budget  bool // gave up because the waiting budget was spent
}

type attemptsKey struct{}

func withAttempts(ctx context.Context) (context.Context, *attempts) {
	a := &attempts{}
	return context.WithValue(ctx, attemptsKey{}, a), a
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	track, _ := ctx.Value(attemptsKey{}).(*attempts)
	if track == nil {
		track = &attempts{}
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		// Bodies here are a few hundred bytes (the tenant PATCH); keeping
		// them lets every attempt send the same bytes.
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		body = b
	}
	for attempt := 0; ; attempt++ {
		resp, err := t.once(req, body)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		wait, retry := t.decide(resp, err, attempt)
		if retry && attempt < t.policy.MaxRetries && !t.reserve(wait) {
			track.budget = true
			retry = false
		}
		if !retry || attempt >= t.policy.MaxRetries {
			// The last answer goes up as it is: the SDK turns Graph's
			// error body into the error the user sees.
			if err != nil && track.retries > 0 {
				err = fmt.Errorf("%w (after %d retries)", err, track.retries)
			}
			return resp, err
		}
		track.retries++
		track.waited += wait
		why := "connection failed"
		if resp != nil {
			why = resp.Status
		}
		slog.Info("graph request failed; retrying", "path", req.URL.Path, "why", why,
			"request_id", requestID(resp), "wait", wait.Round(time.Millisecond), "retry", attempt+1)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
	}
}

// once sends one attempt and reads its body in full.
func (t *retryTransport) once(req *http.Request, body []byte) (*http.Response, error) {
	actx, cancel := context.WithTimeout(req.Context(), t.policy.AttemptTimeout)
	defer cancel()
	r := req.Clone(actx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, err := readBody(resp, t.maxBody)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	return resp, nil
}

// maxBody bounds a response body, counted after the transport has undone
// any gzip, so neither a runaway server nor a compression bomb can hold
// the client's memory. The largest answer is a page of 999 users with the
// twelve short properties of Select: about 0.5 MB (the test tenant's
// pages). 64 MiB leaves over 60 KB per user, more than those properties
// hold even with every character a \uXXXX escape; it is also the export
// reader's bound for one user object in a file.
const maxBody = 64 << 20

// bodyTooLargeError is a response past the bound; sending again would not help.
type bodyTooLargeError struct{ limit int64 }

func (e *bodyTooLargeError) Error() string {
	size := fmt.Sprintf("%d KiB", e.limit>>10)
	if e.limit%(1<<20) == 0 {
		size = fmt.Sprintf("%d MiB", e.limit>>20)
	}
	return "response body larger than " + size + ": not a Graph answer this client asked for"
}

// readBody reads a response body in full, up to limit bytes.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead) // one allocation, with room to see EOF without growing
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1)); err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	if int64(buf.Len()) > limit {
		return nil, &bodyTooLargeError{limit}
	}
	return buf.Bytes(), nil
}

// decide says whether to retry and after how long.
func (t *retryTransport) decide(resp *http.Response, err error, attempt int) (time.Duration, bool) {
	if err != nil {
		if !retryableError(err) {
			return 0, false
		}
		return t.backoff(attempt), true
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		return 0, false
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now()); ok {
		return d, true
	}
	return t.backoff(attempt), true
}

// backoff is BaseDelay·2^attempt up to MaxDelay: no jitter, so a test (or
// a person reading the log) can predict it.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.policy.BaseDelay
	for range attempt {
		if d >= t.policy.MaxDelay {
			break
		}
		d *= 2
	}
	return min(d, t.policy.MaxDelay)
}

// reserve takes d from the waiting budget, or reports that it is spent.
func (t *retryTransport) reserve(d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.waited+d > t.policy.MaxWait {
		return false
	}
	t.waited += d
	return true
}

// retryableError reports whether a failed attempt may succeed when sent
// again: a dropped or timed-out connection may, a certificate that does
// not verify or a cancelled run will not.
func retryableError(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var rh tls.RecordHeaderError
	var big *bodyTooLargeError
	switch {
	case errors.Is(err, context.Canceled), errors.As(err, &big),
		errors.As(err, &cv), errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci),
		errors.As(err, &rh): // http:// spoken to a TLS port or the reverse
		return false
	}
	return true
}

// parseRetryAfter reads Retry-After as seconds (RFC 9110 says whole
// seconds, Graph and proxies send fractions too) or as an HTTP date.
// A date in the past means now.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDecimal(v) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f > 1e6 {
			return 0, false
		}
		return time.Duration(f * float64(time.Second)), true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

// isDecimal accepts digits with at most one '.', which ParseFloat alone
// would widen to exponents, hex, Inf and NaN.
func isDecimal(s string) bool {
	dot := false
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// requestID is Graph's id of a response, for logs and errors.
func requestID(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	return resp.Header.Get("request-id")
}

package livegraph

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Error is a Graph request that failed for good: one line naming the
// request, the HTTP status, Graph's error code and message, and the
// request-id Microsoft support asks for.
type Error struct {
	Method, Path string
	Status       int    // 0 when no answer came
	Code         string // Graph's error code, e.g. Authorization_RequestDenied
	Message      string
	RequestID    string
	Retries      int
	Waited       time.Duration
	Budget       bool  // retries stopped because the waiting budget was spent
	Err          error // the transport error, when there was no answer
}

func (e *Error) Error() string {
	s := "graph " + e.Method + " " + e.Path + ": " + e.shortStatus()
	if e.Status == 0 {
		return s
	}
	switch {
	case e.Retries > 0 && e.Budget:
		s += fmt.Sprintf(" (gave up after %d retries over %s: the retry budget is spent)", e.Retries, e.Waited.Round(time.Millisecond))
	case e.Retries > 0:
		s += fmt.Sprintf(" (gave up after %d retries over %s)", e.Retries, e.Waited.Round(time.Millisecond))
	case e.Budget:
		s += " (not retried: the wait asked for exceeds the retry budget)"
	}
	if h := e.hint(); h != "" {
		s += "; " + h
	}
	return s
}

// shortStatus is the status, Graph's code and message, and the request-id.
func (e *Error) shortStatus() string {
	if e.Status == 0 {
		return e.Err.Error()
	}
	s := fmt.Sprint(e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + strings.TrimSpace(e.Message)
	}
	if e.RequestID != "" {
		s += " (request-id " + e.RequestID + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// hint says what to do about the failures an admin meets first.
func (e *Error) hint() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return "sign in again (an access token lasts about an hour: get a new one with az account get-access-token --resource-type ms-graph)"
	case e.Status == http.StatusForbidden && e.Path == usersPath:
		return "the app needs the User.Read.All permission"
	case e.Status == http.StatusForbidden:
		return "the app needs OnPremDirectorySynchronization.Read.All (ReadWrite.All to change it)"
	}
	return ""
}

// Denied reports whether err is Graph refusing for lack of permission.
func Denied(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.Status == http.StatusForbidden
}

// graphError turns what the SDK returned into an *Error: Graph's error
// body when there is one (the request-id from its innerError, else the
// response header), the status alone otherwise.
func graphError(method, path string, err error, track *attempts) error {
	if err == nil {
		return nil
	}
	if se := signInError(err); se != nil {
		return se
	}
	e := &Error{Method: method, Path: path, Retries: track.retries, Waited: track.waited, Budget: track.budget}
	var oe *odataerrors.ODataError
	var ae *abs.ApiError
	switch {
	case errors.As(err, &oe):
		e.Status = oe.ResponseStatusCode
		if main := oe.GetErrorEscaped(); main != nil {
			e.Code, e.Message = deref(main.GetCode()), deref(main.GetMessage())
			if in := main.GetInnerError(); in != nil {
				e.RequestID = deref(in.GetRequestId())
			}
		}
		if e.RequestID == "" {
			e.RequestID = header(oe.ResponseHeaders, "request-id")
		}
	case errors.As(err, &ae):
		e.Status = ae.ResponseStatusCode
		e.Message = http.StatusText(ae.ResponseStatusCode)
		e.RequestID = header(ae.ResponseHeaders, "request-id")
	default:
		e.Err = err
	}
	return e
}

func header(h *abs.ResponseHeaders, name string) string {
	if h == nil {
		return ""
	}
	if v := h.Get(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

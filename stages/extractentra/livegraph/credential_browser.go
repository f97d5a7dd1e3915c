package livegraph

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/pkg/browser"
)

// defaultBrowserTimeout is how long an interactive sign-in may take: long
// enough to find a phone for MFA, short enough that a browser that never
// opened does not hold a scheduled run for good.
const defaultBrowserTimeout = 5 * time.Minute

// browserSignIn is azidentity's interactive browser credential as the
// person at this machine meets it: told that a browser is opening, waited
// for no longer than the timeout or the run (Ctrl-C), and failing in one
// line that says what to do instead.
type browserSignIn struct {
	cred    azcore.TokenCredential
	opener  string // the program that opens the browser, when known
	timeout time.Duration
	prompt  func(string)
	once    sync.Once
}

// newBrowserSignIn checks that a browser can open here, before anything
// is sent, and builds the credential. Tokens stay in memory: no cache is
// given, so azidentity writes none to disk.
func newBrowserSignIn(cfg *Config, opts azcore.ClientOptions, noDiscovery bool) (*browserSignIn, error) {
	opener, err := browserOpener()
	if err != nil {
		return nil, err
	}
	// The opener (xdg-open, and the browser it may start) would otherwise
	// write to our stdout, which carries the summary scripts read.
	browser.Stdout = os.Stderr
	c, err := azidentity.NewInteractiveBrowserCredential(&azidentity.InteractiveBrowserCredentialOptions{
		ClientOptions: opts, TenantID: cfg.TenantID, ClientID: cfg.ClientID, DisableInstanceDiscovery: noDiscovery,
		// No RedirectURL: MSAL listens on http://localhost at a port the
		// system picks, which the app registration's http://localhost
		// redirect URI matches (Entra ID ignores a localhost URI's port).
	})
	if err != nil {
		return nil, fmt.Errorf("graph sign-in: %w", err)
	}
	timeout := cfg.BrowserTimeout
	if timeout <= 0 {
		timeout = defaultBrowserTimeout
	}
	return &browserSignIn{cred: c, opener: opener, timeout: timeout, prompt: cfg.prompt}, nil
}

// CheckBrowser says why an interactive sign-in cannot open a web browser
// on this machine (no browser installed, no desktop session), or returns
// nil. Commands call it before work that should not be done in vain.
func CheckBrowser() error {
	_, err := browserOpener()
	return err
}

// noBrowser is the error when no browser can open here.
func noBrowser(why string) error {
	return &SignInError{msg: "graph sign-in (--interactive): no web browser can open here: " + why + "; sign in with --device-code instead, or run syncgap where a browser can open"}
}

// GetToken opens the browser the first time; later calls are answered
// from the tokens azidentity holds in memory.
func (b *browserSignIn) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	b.once.Do(func() {
		b.prompt(fmt.Sprintf("Opening a web browser to sign in to Microsoft Graph: finish the sign-in there (waiting up to %s; Ctrl-C stops).", b.timeout))
	})
	wait, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	type result struct {
		tok azcore.AccessToken
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := b.cred.GetToken(wait, o)
		done <- result{tok, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return azcore.AccessToken{}, b.failed(ctx, wait, r.err)
		}
		return r.tok, nil
	case <-wait.Done():
		// MSAL opens the browser without the context: an opener that runs
		// the browser in the foreground (xdg-open on some Linux desktops)
		// holds GetToken until the browser closes. The run does not wait
		// for it; the process ends soon after anyway.
		return azcore.AccessToken{}, b.failed(ctx, wait, wait.Err())
	}
}

// credNameBrowser is how azidentity names the credential in its errors.
const credNameBrowser = "InteractiveBrowserCredential"

// openerFailed matches what azidentity reports when the program that
// opens the browser failed: it passes on only the message of
// github.com/pkg/browser's exec error.
var openerFailed = regexp.MustCompile(`(exit status \d+|signal: \w+|executable file not found.*)$`)

// failed turns a failed interactive sign-in into one line. ctx is the
// caller's, wait the same bounded by the timeout: azidentity passes on
// only the message of a context error, so the contexts tell which ended.
func (b *browserSignIn) failed(ctx, wait context.Context, err error) error {
	const prefix = "graph sign-in (--interactive): "
	if ctx.Err() != nil {
		return &SignInError{msg: prefix + "stopped before the sign-in in the browser finished (" + ctx.Err().Error() + ")", err: ctx.Err()}
	}
	if wait.Err() != nil {
		return &SignInError{msg: fmt.Sprintf("%sthe sign-in in the browser did not finish within %s; if no browser window opened, sign in with --device-code instead", prefix, b.timeout), err: wait.Err()}
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) && af.RawResponse == nil {
		if m := openerFailed.FindString(af.Error()); m != "" {
			opener := b.opener
			if opener == "" {
				opener = "the system"
			}
			return &SignInError{msg: fmt.Sprintf("%s%s could not open a web browser (%s); sign in with --device-code instead, or run syncgap where a browser can open", prefix, opener, m), err: err}
		}
		// What came back to the redirect URI: Entra ID's AADSTS error
		// (Conditional Access, a declined consent), or a failed listener.
		return &SignInError{msg: prefix + oneLine(strings.TrimPrefix(af.Error(), credNameBrowser+": ")), err: err}
	}
	if se := signInError(err); se != nil {
		return se
	}
	return fmt.Errorf("graph sign-in (--interactive): %w", err)
}

//go:build linux

package livegraph

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syncgap/fixtures/graphserver"
)

// The interactive sign-in runs the real azidentity credential: MSAL
// listens on http://localhost and opens the sign-in page through
// github.com/pkg/browser, which on Linux runs xdg-open from PATH. These
// tests put their own xdg-open first on PATH: the stand-in browser that
// signs in against the test server, or scripts that fail or never sign in.

// desktop makes the test process look like a desktop session whose
// browser opener is dir's xdg-open, trusting ca.
func desktop(t *testing.T, dir, ca string) {
	t.Helper()
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DISPLAY", ":0")
	t.Setenv("SYNCGAP_TEST_BROWSER_CA", ca)
}

// standInBrowser builds the stand-in browser as xdg-open in a new
// directory and returns the directory.
func standInBrowser(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := graphserver.BuildBrowser(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openerScript writes an xdg-open that runs body instead of a browser.
func openerScript(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func interactiveConfig(addr, ca string) Config {
	return Config{
		Endpoint: "https://" + addr, AuthorityHost: "https://" + addr + "/", CAFile: ca,
		TenantID: "tenant-1", ClientID: "app-id", Auth: AuthInteractive,
	}
}

// TestInteractiveSignIn signs in through the browser once and reads the
// users and the tenant flag with that sign-in: one authorization code,
// redeemed with its PKCE verifier, and one prompt.
func TestInteractiveSignIn(t *testing.T) {
	_, data := tenant(t, 3000)
	srv, addr, ca := startTLS(t, data, graphserver.Config{ClientID: "app-id"}, "127.0.0.1")
	desktop(t, standInBrowser(t), ca)
	var prompts []string
	cfg := interactiveConfig(addr, ca)
	cfg.Prompt = func(m string) { prompts = append(prompts, m) }
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	users, err := c.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != len(data.Users) {
		t.Errorf("%d users, want %d", len(users), len(data.Users))
	}
	if _, _, err := c.Features(context.Background()); err != nil {
		t.Fatal(err)
	}
	if issued, redeemed := srv.SignIns(); issued != 1 || redeemed != 1 {
		t.Errorf("%d authorization codes issued, %d redeemed; want one sign-in for every request", issued, redeemed)
	}
	if len(prompts) != 1 || !strings.Contains(prompts[0], "Opening a web browser") || !strings.Contains(prompts[0], "Ctrl-C") {
		t.Errorf("prompts %q", prompts)
	}
}

// TestInteractiveSignInFails: no browser, no desktop, a browser that
// cannot open, a sign-in Entra ID refuses, and one nobody finishes each
// fail quickly, in one line that says what to do, and before anything
// reaches Graph.
func TestInteractiveSignInFails(t *testing.T) {
	_, data := tenant(t, 3000)
	for _, tt := range []struct {
		name    string
		cfg     graphserver.Config
		env     func(t *testing.T, ca string)
		timeout time.Duration
		want    []string
	}{
		{"no browser installed", graphserver.Config{}, func(t *testing.T, ca string) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv("DISPLAY", ":0")
		}, 0, []string{"none of xdg-open, x-www-browser and www-browser is installed", "--device-code"}},
		{"no desktop session", graphserver.Config{}, func(t *testing.T, ca string) {
			desktop(t, openerScript(t, "exit 0"), ca)
			for _, v := range []string{"DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "WSL_DISTRO_NAME"} {
				t.Setenv(v, "")
			}
		}, 0, []string{"no desktop session", "--device-code"}},
		{"the opener fails", graphserver.Config{}, func(t *testing.T, ca string) {
			desktop(t, openerScript(t, `echo "xdg-open: no method available for opening '$1'" >&2; exit 3`), ca)
		}, 0, []string{"xdg-open could not open a web browser (exit status 3)", "--device-code"}},
		{"Conditional Access refuses", graphserver.Config{RefuseSignIn: "AADSTS53003: Access has been blocked by Conditional Access policies."},
			func(t *testing.T, ca string) { desktop(t, standInBrowser(t), ca) }, 0, []string{"AADSTS53003"}},
		{"nobody signs in", graphserver.Config{}, func(t *testing.T, ca string) {
			desktop(t, openerScript(t, "exit 0"), ca)
		}, 300 * time.Millisecond, []string{"did not finish within 300ms", "--device-code"}},
		{"the browser runs in the foreground", graphserver.Config{}, func(t *testing.T, ca string) {
			// xdg-open on some desktops returns only when the browser closes.
			desktop(t, openerScript(t, "sleep 5"), ca)
		}, 300 * time.Millisecond, []string{"did not finish within 300ms"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.ClientID = "app-id"
			srv, addr, ca := startTLS(t, data, tt.cfg, "127.0.0.1")
			tt.env(t, ca)
			cfg := interactiveConfig(addr, ca)
			cfg.BrowserTimeout = tt.timeout
			cfg.Prompt = func(string) {}
			start := time.Now()
			c, err := NewClient(cfg)
			if err == nil {
				_, err = c.Users(context.Background())
			}
			if err == nil {
				t.Fatal("signed in")
			}
			t.Logf("%v", err)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v to fail", took)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err is not one line: %q", err)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d requests reached Graph", n)
			}
		})
	}
}

// TestInteractiveSignInCancel: cancelling the context (Ctrl-C in the
// command) ends the wait for a sign-in nobody finishes, long before the
// timeout, as context.Canceled like any interrupted run.
func TestInteractiveSignInCancel(t *testing.T) {
	_, data := tenant(t, 3000)
	_, addr, ca := startTLS(t, data, graphserver.Config{ClientID: "app-id"}, "127.0.0.1")
	desktop(t, openerScript(t, "exit 0"), ca)
	cfg := interactiveConfig(addr, ca)
	prompted := make(chan struct{})
	cfg.Prompt = func(string) { close(prompted) }
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-prompted
		time.Sleep(200 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	_, err = c.Users(ctx)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v after the cancel", took)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

//go:build linux

package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"syncgap/fixtures/graphserver"
	"syncgap/pipeline"
)

// The binary opens the sign-in page as on any Linux desktop, through
// xdg-open from PATH; these tests put their own there (see
// stages/extractentra/livegraph/credential_interactive_test.go).

// browserPath writes an xdg-open into a new directory that says something
// on stdout, as real openers and browsers do, then runs browser (the
// stand-in's path, or "" to return as if a browser opened and nobody
// signed in). It returns the directory.
func browserPath(t *testing.T, browser string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\necho opener-says-hello\n"
	if browser != "" {
		script += `exec "` + browser + `" "$@"` + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// interactiveArgs are extract-entra's arguments for the test server.
func interactiveArgs(ep, ca, snap string) []string {
	return []string{"extract-entra", "--graph", "--interactive", "--tenant-id", "tenant-1", "--client-id", "app",
		"--graph-endpoint", ep, "--authority-host", ep + "/", "--graph-ca-file", ca, "--out", snap}
}

// TestGraphInteractiveSignIn: extract-entra --interactive opens the
// stand-in browser, which signs in against the test server's identity
// endpoints; the users are read with that sign-in, the manifest records
// the method, and the opener's chatter stays off stdout.
func TestGraphInteractiveSignIn(t *testing.T) {
	ep, ca, d := demoGraph(t, graphserver.Config{ClientID: "app"}, "127.0.0.1")
	standIn, err := graphserver.BuildBrowser(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "snap")
	env := []string{"PATH=" + browserPath(t, standIn) + ":" + os.Getenv("PATH"), "DISPLAY=:0", "SYNCGAP_TEST_BROWSER_CA=" + ca}
	stdout, stderr, code := syncgapEnv(t, env, interactiveArgs(ep, ca, snap)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	users, err := pipeline.ReadRows[pipeline.EntraUser](filepath.Join(snap, "entra_users.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != len(d.Users) {
		t.Errorf("%d users, want %d", len(users), len(d.Users))
	}
	m, _ := pipeline.LoadManifest(snap)
	if a := m.Stage("extract-entra").Parameters["graph.auth"]; a != "interactive" {
		t.Errorf("recorded sign-in %q", a)
	}
	if !strings.Contains(stderr, "Opening a web browser to sign in to Microsoft Graph") || !strings.Contains(stderr, "opener-says-hello") {
		t.Errorf("stderr lacks the prompt or the opener's output:\n%s", stderr)
	}
	if strings.Contains(stdout, "opener-says-hello") {
		t.Errorf("the opener wrote to stdout:\n%s", stdout)
	}
}

// TestGraphInteractiveNoBrowser: without a browser, extract-entra and
// apply fail at once in one line that points to --device-code; apply does
// so before it connects to AD or reads the snapshot, whose AD writes would
// otherwise come before the Graph sign-in.
func TestGraphInteractiveNoBrowser(t *testing.T) {
	ep, ca, _ := demoGraph(t, graphserver.Config{ClientID: "app"}, "127.0.0.1")
	empty := t.TempDir()
	for _, tt := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"extract-entra, no browser installed", []string{"PATH=" + empty, "DISPLAY=:0"},
			interactiveArgs(ep, ca, filepath.Join(t.TempDir(), "snap")), "none of xdg-open, x-www-browser and www-browser is installed"},
		{"extract-entra, no desktop", []string{"PATH=" + browserPath(t, ""), "DISPLAY=", "WAYLAND_DISPLAY=", "BROWSER=", "WSL_DISTRO_NAME="},
			interactiveArgs(ep, ca, filepath.Join(t.TempDir(), "snap")), "there is no desktop session"},
		{"apply", []string{"PATH=" + empty, "DISPLAY=:0", "SG_PW=pw"},
			[]string{"apply", "--snapshot", filepath.Join(t.TempDir(), "none"), "--ldap", "ldaps://127.0.0.1:1", "--bind-dn", "svc@contoso.com",
				"--password-env", "SG_PW", "--execute", "--graph", "--interactive", "--tenant-id", "tenant-1"}, "none of xdg-open"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tt.args...)
			cmd.Env = append(os.Environ(), tt.env...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("still waiting after a minute: %s", stderr.String())
			}
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 1 {
				t.Fatalf("err %v, stderr:\n%s", err, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "syncgap: error: graph sign-in (--interactive): no web browser can open here: ") ||
				!strings.Contains(lines[0], tt.want) || !strings.Contains(lines[0], "--device-code") {
				t.Errorf("stderr is not the one line wanted (%q):\n%s", tt.want, stderr.String())
			}
		})
	}
}

// TestGraphInteractiveInterrupt: Ctrl-C while the binary waits for a
// sign-in nobody finishes ends it at once, in one line, writing nothing.
func TestGraphInteractiveInterrupt(t *testing.T) {
	ep, ca, _ := demoGraph(t, graphserver.Config{ClientID: "app"}, "127.0.0.1")
	snap := filepath.Join(t.TempDir(), "snap")
	cmd := exec.Command(bin, interactiveArgs(ep, ca, snap)...)
	cmd.Env = append(os.Environ(), "PATH="+browserPath(t, "")+":"+os.Getenv("PATH"), "DISPLAY=:0")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	deadline := time.After(30 * time.Second)
	for prompted := false; !prompted; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("exited before the prompt:\n%s", strings.Join(got, "\n"))
			}
			got = append(got, l)
			prompted = strings.Contains(l, "Opening a web browser")
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("no prompt after 30 s:\n%s", strings.Join(got, "\n"))
		}
	}
	time.Sleep(300 * time.Millisecond) // waiting for the redirect now
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	var after []string
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				done = true
				break
			}
			if l != "opener-says-hello" {
				after = append(after, l)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("still running 10 s after SIGINT")
		}
	}
	err = cmd.Wait()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v to stop", took)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("err %v after SIGINT", err)
	}
	if len(after) != 1 || !strings.HasPrefix(after[0], "syncgap: error: ") {
		t.Errorf("after SIGINT stderr was not one error line:\n%s", strings.Join(after, "\n"))
	}
	t.Logf("after SIGINT: %s", strings.Join(after, "\n"))
	if entries, _ := os.ReadDir(snap); len(entries) != 0 {
		t.Errorf("the interrupted run left files in %s: %v", snap, entries)
	}
}

// TestGraphHelpNamesPermissions: the help of the commands that use Graph
// names the sign-in and the permissions each use needs, and apply's
// --graph says it writes the flag.
func TestGraphHelpNamesPermissions(t *testing.T) {
	for _, tt := range []struct {
		cmd  string
		want []string
	}{
		{"extract-entra", []string{"--interactive", "User.Read.All", "OnPremDirectorySynchronization.Read.All",
			"OnPremDirectorySynchronization.ReadWrite.All", "Global Administrator", "http://localhost", "Mobile and desktop applications"}},
		{"apply", []string{"--interactive", "OnPremDirectorySynchronization.ReadWrite.All", "Global Administrator", "enable BypassDirSyncOverridesEnabled through Microsoft Graph"}},
	} {
		stdout, stderr, code := syncgap(t, tt.cmd, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d\n%s", tt.cmd, code, stderr)
		}
		help := strings.Join(strings.Fields(stdout), " ")
		for _, w := range tt.want {
			if !strings.Contains(help, w) {
				t.Errorf("%s --help lacks %q", tt.cmd, w)
			}
		}
		if tt.cmd == "apply" && strings.Contains(help, "read users and tenant features") {
			t.Errorf("apply --help says --graph reads users")
		}
	}
}

// TestApplySignsInOnce: apply with an approved tenant action and
// --interactive has the person sign in once, before the first AD write;
// the preflight's users read and the flag's PATCH reuse that sign-in.
func TestApplySignsInOnce(t *testing.T) {
	e := newApplyEnv(t, 300, 41)
	snap := e.audit(t, "snap")
	mustRun(t, "plan", "--snapshot", snap, "--policy", "entra-wins", "--enable-bypass")
	ep, ca, _, srv := tenantGraph(t, e.data, graphserver.Config{ClientID: "app"}, "127.0.0.1")
	standIn, err := graphserver.BuildBrowser(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + browserPath(t, standIn) + ":" + os.Getenv("PATH"), "DISPLAY=:0", "SYNCGAP_TEST_BROWSER_CA=" + ca}
	args := append([]string{"apply", "--snapshot", snap, "--approve-all", "--execute"}, e.ldap...)
	args = append(args, "--graph", "--interactive", "--tenant-id", "tenant-1", "--client-id", "app",
		"--graph-endpoint", ep, "--authority-host", ep+"/", "--graph-ca-file", ca)
	stdout, stderr, code := syncgapEnv(t, env, args...)
	if code != 0 || !strings.Contains(stdout, "0 beyond the approved") || !strings.Contains(stdout, "Tenant action: applied") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n := strings.Count(stderr, "Opening a web browser to sign in"); n != 1 {
		t.Errorf("%d sign-in prompts:\n%s", n, stderr)
	}
	if issued, redeemed := srv.SignIns(); issued != 1 || redeemed != 1 || srv.Stats().Patches.Load() != 1 {
		t.Errorf("%d sign-ins issued, %d redeemed, %d PATCHes", issued, redeemed, srv.Stats().Patches.Load())
	}
	// A rerun has nothing left to do in the tenant: it does not ask anyone to sign in.
	stdout, stderr, code = syncgapEnv(t, env, args...)
	if code != 0 || !strings.Contains(stdout, "Tenant action: already applied") || strings.Contains(stderr, "Opening a web browser") {
		t.Errorf("rerun: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if issued, _ := srv.SignIns(); issued != 1 {
		t.Errorf("the rerun signed in: %d sign-ins", issued)
	}
}

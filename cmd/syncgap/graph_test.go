package main

import (
	"archive/zip"
	"bytes"
	"crypto/tls"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"syncgap/fixtures/graphserver"
	"syncgap/pipeline"
)

const graphToken = "cli-test-token"

// syncgapEnv runs the binary with extra environment variables.
func syncgapEnv(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run syncgap: %v", err)
		}
		return o.String(), e.String(), ee.ExitCode()
	}
	return o.String(), e.String(), 0
}

// demoGraph serves the demo tenant, over TLS with a certificate for
// tlsHost when it is given (then ca is the CA file to trust).
func demoGraph(t *testing.T, cfg graphserver.Config, tlsHost string) (url, ca string, d *graphserver.Data) {
	t.Helper()
	url, ca, d, _ = tenantGraph(t, filepath.Join(repoRoot(t), "fixtures", "demo"), cfg, tlsHost)
	return url, ca, d
}

// tenantGraph is demoGraph over the tenant in dir (a generated one).
func tenantGraph(t *testing.T, dir string, cfg graphserver.Config, tlsHost string) (url, ca string, d *graphserver.Data, srv *graphserver.Server) {
	t.Helper()
	d, err := graphserver.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Token == "" {
		cfg.Token = graphToken
	}
	srv = graphserver.New(d, cfg)
	ts := httptest.NewUnstartedServer(srv)
	if tlsHost == "" {
		ts.Start()
	} else {
		cert, pem, err := graphserver.SelfSigned(tlsHost)
		if err != nil {
			t.Fatal(err)
		}
		ca = filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, pem, 0o644); err != nil {
			t.Fatal(err)
		}
		ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		ts.StartTLS()
	}
	t.Cleanup(ts.Close)
	return ts.URL, ca, d, srv
}

// TestGraphAuditMatchesExportAudit runs the audit on the demo tenant
// twice, the Entra side once from its files and once live from the test
// server serving the same data: the summaries and every table after
// extraction must be identical, and the live snapshot must replay.
func TestGraphAuditMatchesExportAudit(t *testing.T) {
	d := filepath.Join(repoRoot(t), "fixtures", "demo")
	fromFiles := filepath.Join(t.TempDir(), "files")
	want := mustAudit(t, demoArgs(t, fromFiles))

	live := filepath.Join(t.TempDir(), "live")
	ep, _, _ := demoGraph(t, graphserver.Config{}, "")
	stdout, stderr, code := syncgapEnv(t, []string{"SG_TOKEN=" + graphToken}, "audit", "--ldif", filepath.Join(d, "ad.ldif"),
		"--graph", "--graph-endpoint", ep, "--access-token-env", "SG_TOKEN",
		"--export", filepath.Join(d, "msol.csv"), "--out", live)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	cut := func(s string) string { s, _, _ = strings.Cut(s, "\nSnapshot:"); return s }
	if cut(stdout) != cut(want) {
		t.Errorf("live audit summary differs:\n%s\nfrom files:\n%s", stdout, want)
	}
	// gaps has no origin column: the same data must give the same bytes.
	mf, _ := pipeline.LoadManifest(fromFiles)
	ml, _ := pipeline.LoadManifest(live)
	_, a := mf.Output("gaps.parquet")
	_, b := ml.Output("gaps.parquet")
	if a == nil || b == nil || a.SHA256 != b.SHA256 {
		t.Errorf("gaps.parquet differs: files %+v, live %+v", a, b)
	}
	if out, stderr, code := syncgap(t, "replay", live); code != 0 || !strings.Contains(out, "all 6 files match") {
		t.Errorf("replay of the live snapshot: exit %d\n%s\n%s", code, out, stderr)
	}
}

// TestGraphFeaturesDeniedReport: without permission for the features the
// users are still extracted, the summary and the workbook say the flag is
// unknown and why.
func TestGraphFeaturesDeniedReport(t *testing.T) {
	d := filepath.Join(repoRoot(t), "fixtures", "demo")
	out := filepath.Join(t.TempDir(), "snap")
	ep, _, _ := demoGraph(t, graphserver.Config{Faults: graphserver.Faults{DenyFeatures: true}}, "")
	stdout, stderr, code := syncgapEnv(t, []string{"SG_TOKEN=" + graphToken}, "audit", "--ldif", filepath.Join(d, "ad.ldif"),
		"--graph", "--graph-endpoint", ep,
		"--access-token-env", "SG_TOKEN", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"(now unknown)", "The tenant flag could not be read:", "permission denied (403 Authorization_RequestDenied"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "recorded as unknown") {
		t.Errorf("no warning on stderr:\n%s", stderr)
	}
	if s := workbookText(t, filepath.Join(out, "report.xlsx")); !strings.Contains(s, "could not be read") || !strings.Contains(s, "Authorization_RequestDenied") {
		t.Error("the workbook does not say the tenant flag is unknown because of the permission")
	}
}

// workbookText is all text of an xlsx: its shared strings and sheets.
func workbookText(t *testing.T, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var b strings.Builder
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".xml") {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(&b, rc)
			rc.Close()
		}
	}
	return b.String()
}

// TestGraphSecretsNeverLeak signs in with a client secret against the test
// server's fake identity platform, and with an access token, successfully
// and not, at debug log level, and looks for the secrets in everything
// the runs left: stdout, stderr, the manifest and every snapshot file.
func TestGraphSecretsNeverLeak(t *testing.T) {
	const secret, token, wrong = "SECRET-4f9c2e-client", "SECRET-8a1d77-token", "SECRET-0b3e51-wrong"
	ep, ca, _ := demoGraph(t, graphserver.Config{Token: token, ClientID: "app", ClientSecret: secret}, "127.0.0.1")
	env := []string{"SG_SECRET=" + secret, "SG_TOKEN=" + token, "SG_WRONG=" + wrong}
	common := []string{"-v", "extract-entra", "--graph", "--graph-endpoint", ep, "--graph-ca-file", ca}
	runs := []struct {
		name string
		args []string
		ok   bool
	}{
		{"client secret", []string{"--tenant-id", "t1", "--client-id", "app", "--client-secret-env", "SG_SECRET", "--authority-host", ep + "/"}, true},
		{"access token", []string{"--access-token-env", "SG_TOKEN"}, true},
		{"wrong secret", []string{"--tenant-id", "t1", "--client-id", "app", "--client-secret-env", "SG_WRONG", "--authority-host", ep + "/"}, false},
		{"token refused", []string{"--access-token-env", "SG_WRONG"}, false},
	}
	root := t.TempDir()
	var everything bytes.Buffer
	for i, r := range runs {
		snap := filepath.Join(root, string(rune('a'+i)))
		args := append(append(append([]string{}, common...), r.args...), "--out", snap)
		stdout, stderr, code := syncgapEnv(t, env, args...)
		if (code == 0) != r.ok {
			t.Errorf("%s: exit %d\n%s", r.name, code, stderr)
		}
		if !r.ok && strings.Count(strings.TrimSpace(stderr[strings.LastIndex(stderr, "syncgap: error:"):]), "\n") != 0 {
			t.Errorf("%s: error is not one line:\n%s", r.name, stderr)
		}
		everything.WriteString(stdout + stderr)
	}
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := os.ReadFile(p)
			everything.Write(b)
		}
		return nil
	})
	if everything.Len() < 1000 {
		t.Fatalf("only %d bytes of output and snapshots to search", everything.Len())
	}
	for _, s := range []string{secret, token, wrong, "SECRET-"} {
		if i := strings.Index(everything.String(), s); i >= 0 {
			t.Errorf("%q leaked: …%s…", s, everything.String()[max(0, i-200):min(everything.Len(), i+60)])
		}
	}
	// The successful runs did write snapshots: the search covered them.
	for _, s := range []string{"a", "b"} {
		if _, err := os.Stat(filepath.Join(root, s, "entra_users.parquet")); err != nil {
			t.Errorf("run %s wrote no table: %v", s, err)
		}
	}
}

// TestGraphNationalCloudThroughProxy gives the binary the GCC High
// endpoint, https://graph.microsoft.us, and an HTTPS proxy that carries
// connections for that host to the test server (TLS verified for the
// name through --graph-ca-file): the users come from there, with origin
// naming the national cloud.
func TestGraphNationalCloudThroughProxy(t *testing.T) {
	ep, ca, d := demoGraph(t, graphserver.Config{}, "graph.microsoft.us")
	upstream := strings.TrimPrefix(ep, "https://")
	var dialled []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dialled = append(dialled, r.Host)
		if r.Method != http.MethodConnect || r.Host != "graph.microsoft.us:443" {
			http.Error(w, "only CONNECT to graph.microsoft.us:443", http.StatusForbidden)
			return
		}
		up, err := net.Dial("tcp", upstream)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		go func() { io.Copy(up, conn); up.Close() }()
		io.Copy(conn, up)
		conn.Close()
	}))
	defer proxy.Close()

	snap := filepath.Join(t.TempDir(), "snap")
	stdout, stderr, code := syncgapEnv(t, []string{"SG_TOKEN=" + graphToken, "HTTPS_PROXY=" + proxy.URL, "NO_PROXY="},
		"extract-entra", "--graph", "--graph-endpoint", "https://graph.microsoft.us", "--graph-ca-file", ca,
		"--access-token-env", "SG_TOKEN", "--out", snap)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	users, err := pipeline.ReadRows[pipeline.EntraUser](filepath.Join(snap, "entra_users.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != len(d.Users) || users[0].Origin != "https://graph.microsoft.us/v1.0/users" {
		t.Errorf("%d users (want %d), origin %q", len(users), len(d.Users), users[0].Origin)
	}
	m, _ := pipeline.LoadManifest(snap)
	if p := m.Stage("extract-entra").Parameters["graph.endpoint"]; p != "https://graph.microsoft.us" {
		t.Errorf("recorded endpoint %q", p)
	}
	if len(dialled) == 0 {
		t.Error("the proxy saw no connection")
	}
}

func TestGraphFlagMistakes(t *testing.T) {
	env := []string{"SG_TOKEN=x"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--graph"}, "exactly one sign-in"},
		{[]string{"--graph", "--access-token-env", "SG_TOKEN", "--device-code"}, "exactly one sign-in"},
		{[]string{"--graph", "--access-token-env", "eyJ0eXAi.x.y"}, "not the secret itself"},
		{[]string{"--graph", "--access-token-env", "SG_UNSET_VAR"}, "SG_UNSET_VAR is not set"},
		{[]string{"--graph", "--client-secret-env", "SG_TOKEN", "--tenant-id", "t"}, "--client-id"},
		{[]string{"--graph", "--access-token-env", "SG_TOKEN", "--tenant-features", "f.json"}, "read live"},
		{[]string{"--graph", "--access-token-env", "SG_TOKEN", "--graph-endpoint", "http://graph.microsoft.com"}, "only sent over https"},
		{[]string{"--access-token-env", "SG_TOKEN", "--export", "x.json"}, "add --graph"},
		{[]string{}, "--export PATH (repeatable) or --graph"},
	} {
		snap := filepath.Join(t.TempDir(), "snap")
		_, stderr, code := syncgapEnv(t, env, append(append([]string{"extract-entra"}, tt.args...), "--out", snap)...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, code, stderr, tt.want)
		}
		if entries, _ := os.ReadDir(snap); len(entries) > 0 {
			t.Errorf("%v: left files in the snapshot", tt.args)
		}
	}
}

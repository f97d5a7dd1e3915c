package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"syncgap/fixtures/graphserver"
	"syncgap/fixtures/samba"
	"syncgap/fixtures/tenantgen"
	"syncgap/ldapconn"
	"syncgap/pipeline"
	"syncgap/stages/apply"
)

// applyEnv is a Samba DC seeded from a generated tenant, with the cloud side
// of the same tenant on disk, and the flags to reach the DC.
type applyEnv struct {
	dc   *samba.DC
	work string
	ldap []string // connection and bind flags for apply, verify and extract-ad
	data string   // the generated tenant (graph pages, msol.csv)
}

func newApplyEnv(t *testing.T, users int, seed int64) *applyEnv {
	t.Helper()
	dc := samba.Start(t)
	dc.Seed(t, users, seed)
	e := &applyEnv{dc: dc, work: t.TempDir()}
	e.data = filepath.Join(e.work, "tenant")
	if _, err := tenantgen.Generate(tenantgen.Config{Users: users, Seed: seed}, e.data); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SG_APPLY_PW", dc.Password)
	e.ldap = []string{"--ldap", dc.LDAPSURL, "--ca-file", dc.CAFile, "--bind-dn", dc.AdminUPN, "--password-env", "SG_APPLY_PW"}
	return e
}

// audit extracts both sides live/exported into a new snapshot.
func (e *applyEnv) audit(t *testing.T, name string) string {
	t.Helper()
	snap := filepath.Join(e.work, name)
	args := append([]string{"audit"}, e.ldap...)
	args = append(args, "--base", e.dc.BaseDN, "--export", filepath.Join(e.data, "graph"), "--export", filepath.Join(e.data, "msol.csv"),
		"--tenant-features", filepath.Join(e.data, "tenant-features.json"), "--out", snap)
	mustRun(t, args...)
	return snap
}

// export reads AD's users now, as a table keyed by DN.
func (e *applyEnv) export(t *testing.T, name string) map[string]pipeline.ADUser {
	t.Helper()
	snap := filepath.Join(e.work, name)
	mustRun(t, append(append([]string{"extract-ad"}, e.ldap...), "--base", e.dc.BaseDN, "--out", snap)...)
	out := map[string]pipeline.ADUser{}
	for _, u := range adUsers(t, snap) {
		u.WhenChanged, u.Origin = time.Time{}, ""
		out[strings.ToLower(u.DN)] = u
	}
	return out
}

func (e *applyEnv) conn(t *testing.T) *ldap.Conn {
	t.Helper()
	c, err := ldapconn.Connect(context.Background(), ldapconn.Config{URL: e.dc.LDAPSURL, CAFile: e.dc.CAFile,
		BindID: e.dc.AdminUPN, Password: e.dc.Password})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// values is an attribute of a user as a sorted list ("" is no value).
func values(u pipeline.ADUser, attr string) []string {
	var v []string
	if attr == "mobile" {
		if u.Mobile != "" {
			v = []string{u.Mobile}
		}
	} else {
		v = slices.Clone(u.OtherMobile)
	}
	slices.Sort(v)
	return v
}

func sorted(v []string) []string {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v) == 0 {
		return nil
	}
	return v
}

// expectState checks that AD now holds want's values for the given actions
// and before's everywhere else.
func expectState(t *testing.T, before, after map[string]pipeline.ADUser, changed map[string][]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%d users before, %d after", len(before), len(after))
	}
	bad := 0
	for dn, b := range before {
		a, ok := after[dn]
		if !ok {
			t.Errorf("%s vanished", dn)
			continue
		}
		for _, attr := range []string{"mobile", "otherMobile"} {
			want := values(b, attr)
			if v, ok := changed[dn+"|"+strings.ToLower(attr)]; ok {
				want = sorted(v)
			}
			if got := values(a, attr); !slices.Equal(sorted(got), sorted(want)) {
				bad++
				if bad < 10 {
					t.Errorf("%s %s: %q, want %q", dn, attr, got, want)
				}
			}
		}
		a.Mobile, b.Mobile, a.OtherMobile, b.OtherMobile = "", "", nil, nil
		if fmt.Sprint(a) != fmt.Sprint(b) {
			bad++
			if bad < 10 {
				t.Errorf("%s: other attributes changed:\n%+v\n%+v", dn, b, a)
			}
		}
	}
}

func TestApplyAgainstSamba(t *testing.T) {
	e := newApplyEnv(t, 1200, 21)
	snap := e.audit(t, "snap")
	mustRun(t, "plan", "--snapshot", snap, "--policy", "entra-wins", "--enable-bypass")
	acts := readPlan(t, snap)
	var ad []pipeline.Action
	var tenantID string
	for _, a := range acts {
		if a.Target == pipeline.TargetAD && a.Kind.Decidable() {
			ad = append(ad, a)
		}
		if a.Target == pipeline.TargetTenant {
			tenantID = a.ActionID
		}
	}
	if tenantID == "" {
		t.Fatal("no tenant action planned")
	}
	if len(ad) < 30 {
		t.Fatalf("only %d AD actions planned", len(ad))
	}
	// The board approves two in three, rejects the rest; approving the
	// switch takes accepting the AlternateMobilePhones nobody can read.
	decisions := map[string]string{tenantID: "Approve"}
	for _, a := range readPlan(t, snap) {
		if a.Kind == pipeline.KindAcknowledge {
			decisions[a.ActionID] = "Approve"
		}
	}
	approved := map[string]pipeline.Action{}
	for i, a := range ad {
		if i%3 == 2 {
			decisions[a.ActionID] = "Reject"
			continue
		}
		decisions[a.ActionID] = "Approve"
		approved[a.ActionID] = a
	}
	signed := filepath.Join(e.work, "signed.xlsx")
	signWorkbook(t, filepath.Join(snap, "report.xlsx"), signed, map[string]any{"decisions": decisions, "approver": "Dana", "role": "CAB", "date": "2026-11-30"})
	mustRun(t, "approve", "--snapshot", snap, "--workbook", signed)

	before := e.export(t, "before")

	// Dry run: says what it would do, writes nothing.
	out := mustRun(t, append([]string{"apply", "--snapshot", snap}, e.ldap...)...)
	if !strings.Contains(out, "Dry run") || !strings.Contains(out, fmt.Sprintf("Approved AD actions: %d to apply", len(approved))) {
		t.Errorf("dry run output:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(snap, apply.JournalFile)); err == nil {
		t.Error("the dry run wrote a journal")
	}

	// Drift: one approved mobile action's value changes in AD after the plan.
	var drift pipeline.Action
	for _, a := range approved {
		if a.Attribute == "mobile" && len(a.Expected) == 1 && (drift.ActionID == "" || a.ActionID < drift.ActionID) {
			drift = a
		}
	}
	if drift.ActionID == "" {
		t.Fatal("no approved mobile replace to drift")
	}
	c := e.conn(t)
	m := ldap.NewModifyRequest(drift.DN, nil)
	m.Replace("mobile", []string{"+1 206 555 0177"})
	if err := c.Modify(m); err != nil {
		t.Fatal(err)
	}
	c.Close()
	before[strings.ToLower(drift.DN)] = func(u pipeline.ADUser) pipeline.ADUser { u.Mobile = "+1 206 555 0177"; return u }(before[strings.ToLower(drift.DN)])

	ep, srv := graphServer(t, e.data, graphserver.Faults{})
	graphArgs := []string{"--graph", "--graph-endpoint", ep, "--access-token-env", "SG_TOKEN"}
	t.Setenv("SG_TOKEN", graphToken)
	out = mustRun(t, append(append([]string{"apply", "--snapshot", snap, "--execute", "--concurrency", "3"}, e.ldap...), graphArgs...)...)
	// Counts include the tenant action, skipped: one AD action drifted.
	if !strings.Contains(out, fmt.Sprintf("Applied %d, drifted 1 (left alone), failed 0, not reached 1", len(approved)-1)) ||
		!strings.Contains(out, "Tenant action: skipped: 1 approved AD actions are not applied") {
		t.Errorf("apply output:\n%s", out)
	}
	if bypassOn(t, ep) || srv.Stats().Patches.Load() != 0 {
		t.Error("the tenant flag was changed although an AD action drifted")
	}
	results, err := pipeline.ReadRows[pipeline.ApplyResult](filepath.Join(snap, "apply_results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.ActionID == drift.ActionID && (r.Outcome != pipeline.Drifted || !strings.Contains(r.Message, "0177")) {
			t.Errorf("drifted action: %+v", r)
		}
	}
	after := e.export(t, "after")
	changed := map[string][]string{}
	for id, a := range approved {
		if id != drift.ActionID {
			changed[strings.ToLower(a.DN)+"|"+strings.ToLower(a.Attribute)] = a.Value
		}
	}
	expectState(t, before, after, changed)

	// A rerun repeats nothing.
	out = mustRun(t, append([]string{"apply", "--snapshot", snap, "--execute"}, e.ldap...)...)
	if !strings.Contains(out, fmt.Sprintf("Applied %d, drifted 1", len(approved)-1)) {
		t.Errorf("rerun output:\n%s", out)
	}
	entries, err := apply.ReadJournal(filepath.Join(snap, apply.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	intents := map[string]int{}
	for _, en := range entries {
		if en.Event == apply.EventIntent {
			intents[en.ActionID]++
		}
	}
	for id, n := range intents {
		if n != 1 {
			t.Errorf("action %s attempted %d times", id, n)
		}
	}

	// verify: every action holds what it should.
	out = mustRun(t, append([]string{"verify", "--snapshot", snap}, e.ldap...)...)
	if !strings.Contains(out, fmt.Sprintf("Verified %d actions: 0 differ", len(approved))) {
		t.Errorf("verify output:\n%s", out)
	}

	// Rollback restores every original value (the drifted one was never touched).
	rb := filepath.Join(e.work, "rollback")
	mustRun(t, "rollback", "--snapshot", snap, "--out", rb)
	// Through a proxy that drops every connection a few times mid-run.
	proxy := startDropProxy(t, "127.0.0.1:636")
	rbArgs := []string{"apply", "--snapshot", rb, "--approve-all", "--execute", "--rate", "40",
		"--ldap", "ldaps://" + proxy.addr(), "--ca-file", e.dc.CAFile, "--bind-dn", e.dc.AdminUPN, "--password-env", "SG_APPLY_PW"}
	cmd := exec.Command(bin, rbArgs...)
	var rbOut strings.Builder
	cmd.Stdout, cmd.Stderr = &rbOut, &rbOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		time.Sleep(250 * time.Millisecond)
		proxy.dropAll()
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rollback apply with dropped connections: %v\n%s", err, rbOut.String())
	}
	if proxy.dropped() == 0 || !strings.Contains(rbOut.String(), fmt.Sprintf("Applied %d, drifted 0 (left alone), failed 0", len(approved)-1)) {
		t.Errorf("%d connections dropped; output:\n%s", proxy.dropped(), rbOut.String())
	}
	expectState(t, before, e.export(t, "restored"), nil)

	// The password appears nowhere in what syncgap wrote.
	for _, dir := range []string{snap, rb} {
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), e.dc.Password) {
					t.Errorf("%s contains the bind password", p)
				}
			}
			return nil
		})
	}
}

// TestApplySurvivesKills kills apply at 20 random points of a 2,000-action
// run and reruns it each time, then once more to the end: every action is
// applied exactly once and AD holds exactly the planned values.
func TestApplySurvivesKills(t *testing.T) {
	users := 16000
	if testing.Short() {
		users = 3000
	}
	e := newApplyEnv(t, users, 22)
	snap := e.audit(t, "snap")
	mustRun(t, "plan", "--snapshot", snap, "--policy", "review", "--enable-bypass")
	var ad []pipeline.Action
	for _, a := range readPlan(t, snap) {
		if a.Target == pipeline.TargetAD && a.Kind.Decidable() {
			ad = append(ad, a)
		}
	}
	if !testing.Short() && len(ad) < 2000 {
		t.Fatalf("only %d actions; the test wants 2,000", len(ad))
	}
	before := e.export(t, "before")
	args := append([]string{"apply", "--snapshot", snap, "--approve-all", "--execute", "--concurrency", "4", "--rate", "0"}, e.ldap...)

	// Kill points spread over the run: when the journal reaches a random
	// line count (two lines an action: intent, outcome), SIGKILL.
	rng := rand.New(rand.NewPCG(1, 2))
	points := make([]int, 20)
	for i := range points {
		points[i] = 1 + rng.IntN(2*len(ad))
	}
	slices.Sort(points)
	journal := filepath.Join(snap, apply.JournalFile)
	kills := 0
	for i, at := range points {
		// The first stop is Ctrl-C: apply must finish and journal the
		// writes in flight, and say how to resume.
		sig := syscall.SIGKILL
		if i == 0 {
			sig = syscall.SIGINT
		}
		cmd := exec.Command(bin, args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
	wait:
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("a run ended on its own with %v\n%s", err, stderr.String())
				}
				break wait
			case <-time.After(time.Millisecond):
				b, _ := os.ReadFile(journal)
				if strings.Count(string(b), "\n") >= at {
					cmd.Process.Signal(sig)
					<-done
					kills++
					if sig == syscall.SIGINT {
						entries, err := apply.ReadJournal(journal)
						if err != nil {
							t.Fatal(err)
						}
						st, _ := apply.NewLedger(entries)
						if len(st.InFlight) != 0 || !strings.Contains(stderr.String(), "interrupted: every write in flight was journaled") {
							t.Errorf("after Ctrl-C: %d in flight; stderr:\n%s", len(st.InFlight), stderr.String())
						}
					}
					break wait
				}
			}
		}
	}
	if kills < 15 {
		t.Errorf("only %d of 20 kills landed before the run finished", kills)
	}
	// The last run also enables the tenant flag, through a Graph server
	// answering 429 to half the requests.
	ep, srv := graphServer(t, e.data, graphserver.Faults{Seed: 3, ThrottleRate: 0.5, RetryAfter: "0.2"})
	t.Setenv("SG_TOKEN", graphToken)
	out := mustRun(t, append(args, "--graph", "--graph-endpoint", ep, "--access-token-env", "SG_TOKEN")...)
	if !strings.Contains(out, fmt.Sprintf("Applied %d, drifted 0 (left alone), failed 0, not reached 0", len(ad)+1)) ||
		!strings.Contains(out, "Tenant action: applied: bypassDirSyncOverridesEnabled read back true") {
		t.Errorf("final run after %d kills:\n%s", kills, out)
	}
	if !bypassOn(t, ep) || srv.Stats().Throttled.Load() == 0 {
		t.Errorf("flag on %v after %d 429s", bypassOn(t, ep), srv.Stats().Throttled.Load())
	}
	entries, err := apply.ReadJournal(filepath.Join(snap, apply.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	applied := map[string]int{}
	for _, en := range entries {
		if en.Event == apply.EventOutcome && en.Outcome == pipeline.Applied {
			applied[en.ActionID]++
		}
	}
	changed := map[string][]string{}
	for _, a := range ad {
		if applied[a.ActionID] != 1 {
			t.Errorf("action %s journaled applied %d times", a.ActionID, applied[a.ActionID])
		}
		changed[strings.ToLower(a.DN)+"|"+strings.ToLower(a.Attribute)] = a.Value
	}
	expectState(t, before, e.export(t, "after"), changed)
	t.Logf("%d actions, %d kills", len(ad), kills)
}

// graphServer serves the generated tenant's cloud side like Graph.
func graphServer(t *testing.T, dir string, faults graphserver.Faults) (string, *graphserver.Server) {
	t.Helper()
	d, err := graphserver.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := graphserver.New(d, graphserver.Config{Token: graphToken, Faults: faults})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL, srv
}

// bypassOn asks the server for the flag, as a Graph client would (retrying
// the 429s it may inject).
func bypassOn(t *testing.T, ep string) bool {
	t.Helper()
	for range 100 {
		req, _ := http.NewRequest("GET", ep+"/v1.0/directory/onPremisesSynchronization", nil)
		req.Header.Set("Authorization", "Bearer "+graphToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Value []struct {
				Features map[string]any `json:"features"`
			} `json:"value"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil || resp.StatusCode != 200 || len(body.Value) != 1 {
			t.Fatalf("GET onPremisesSynchronization: %d %v %+v", resp.StatusCode, err, body)
		}
		return body.Value[0].Features[pipeline.BypassFeature] == true
	}
	t.Fatal("the Graph server kept throttling")
	return false
}

// dropProxy forwards TCP to target and can cut every open connection, as a
// network failure or a DC restart would.
type dropProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	drops  int
}

func startDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.dropAll() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *dropProxy) addr() string { return p.ln.Addr().String() }

func (p *dropProxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.conns) > 0 {
		p.drops++
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *dropProxy) dropped() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.drops
}

// TestApplyRefuses: the refusals that need no directory, through the binary.
func TestApplyRefuses(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap")
	mustAudit(t, demoArgs(t, snap))
	mustRun(t, "plan", "--snapshot", snap, "--policy", "entra-wins")

	_, stderr, code := syncgap(t, "apply", "--snapshot", snap)
	if code == 0 || !strings.Contains(stderr, "no approvals: run syncgap approve") {
		t.Errorf("no approvals: exit %d\n%s", code, stderr)
	}
	out := mustRun(t, "apply", "--snapshot", snap, "--approve-all")
	if !strings.Contains(out, "Dry run") {
		t.Errorf("dry run with --approve-all:\n%s", out)
	}
	_, stderr, code = syncgap(t, "apply", "--snapshot", snap, "--approve-all", "--execute")
	if code == 0 || !strings.Contains(stderr, "--execute needs --ldap") {
		t.Errorf("execute without a server: exit %d\n%s", code, stderr)
	}

	// Approvals of the plan, then a replan: they are for another plan now.
	var decisions = map[string]string{}
	for _, a := range readPlan(t, snap) {
		if a.Kind.Decidable() {
			decisions[a.ActionID] = "Approve"
		}
	}
	signed := filepath.Join(dir, "signed.xlsx")
	signWorkbook(t, filepath.Join(snap, "report.xlsx"), signed, map[string]any{"decisions": decisions, "approver": "D", "date": "2026-11-30"})
	mustRun(t, "approve", "--snapshot", snap, "--workbook", signed)
	mustRun(t, "apply", "--snapshot", snap)
	mustRun(t, "replan", "--snapshot", snap, "--policy", "review", "--replace")
	_, stderr, code = syncgap(t, "apply", "--snapshot", snap)
	if code == 0 || !strings.Contains(stderr, "no approvals") {
		t.Errorf("after a replan the old approvals are gone: exit %d\n%s", code, stderr)
	}

	// A plan edited after it was made.
	p := filepath.Join(snap, "plan.parquet")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, append(b, ' '), 0o644)
	_, stderr, code = syncgap(t, "apply", "--snapshot", snap, "--approve-all")
	if code == 0 || !strings.Contains(stderr, "plan.parquet was changed after plan wrote it") {
		t.Errorf("edited plan: exit %d\n%s", code, stderr)
	}

	// A second apply while one holds the lock.
	unlock, err := pipeline.LockSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	os.WriteFile(p, b, 0o644)
	t.Setenv("SG_NOPE_PW", "x")
	_, stderr, code = syncgap(t, "apply", "--snapshot", snap, "--approve-all", "--execute", "--ldap", "ldaps://127.0.0.1:1", "--bind-dn", "x@y", "--password-env", "SG_NOPE_PW")
	if code == 0 || !strings.Contains(stderr, "another syncgap command is writing this snapshot") {
		t.Errorf("second apply: exit %d\n%s", code, stderr)
	}
}

// TestChangesLDIFWithLdapmodify applies plan's changes.ldif with OpenLDAP's
// ldapmodify against the Samba DC: AD ends up with the planned values, and
// a second run is refused because the expected values are gone (the
// compare-and-swap form works in the real tool too).
func TestChangesLDIFWithLdapmodify(t *testing.T) {
	e := newApplyEnv(t, 400, 23)
	snap := e.audit(t, "snap")
	mustRun(t, "plan", "--snapshot", snap, "--policy", "entra-wins", "--missing-in-entra", "clear-ad")
	changed := map[string][]string{}
	n := 0
	for _, a := range readPlan(t, snap) {
		if a.Target == pipeline.TargetAD && a.Kind.Decidable() {
			changed[strings.ToLower(a.DN)+"|"+strings.ToLower(a.Attribute)] = a.Value
			n++
		}
	}
	if n < 10 {
		t.Fatalf("only %d AD actions", n)
	}
	before := e.export(t, "before")
	ldapmodify := func() (string, error) {
		cmd := exec.Command("ldapmodify", "-x", "-H", e.dc.LDAPSURL, "-D", e.dc.AdminUPN, "-y", filepath.Join(e.dc.Dir, "admin.pass"),
			"-f", filepath.Join(snap, "changes.ldif"))
		cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+e.dc.CAFile)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := ldapmodify(); err != nil {
		t.Fatalf("ldapmodify: %v\n%s", err, out)
	}
	expectState(t, before, e.export(t, "after"), changed)
	out, err := ldapmodify()
	if err == nil || !(strings.Contains(out, "No such attribute (16)") || strings.Contains(out, "Type or value exists (20)")) {
		t.Errorf("a second ldapmodify run was not refused: %v\n%s", err, out)
	}
}

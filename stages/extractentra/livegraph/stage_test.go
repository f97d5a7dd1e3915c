package livegraph

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"syncgap/fixtures/graphserver"
	"syncgap/fixtures/tenantgen"
	"syncgap/pipeline"
	"syncgap/stages/extractentra"
)

func readTables(t *testing.T, dir string) ([]pipeline.EntraUser, []pipeline.TenantFlag) {
	t.Helper()
	users, err := pipeline.ReadRows[pipeline.EntraUser](filepath.Join(dir, pipeline.FileName(pipeline.EntraUsersTable)))
	if err != nil {
		t.Fatal(err)
	}
	flags, err := pipeline.ReadRows[pipeline.TenantFlag](filepath.Join(dir, pipeline.FileName(pipeline.TenantTable)))
	if err != nil {
		t.Fatal(err)
	}
	return users, flags
}

// TestLiveEqualsExport reads one generated tenant both ways, the export
// path from its saved Graph pages and the live path from the test server
// serving those pages, each with the MSOnline CSV added: every column but
// origin (and the tenant rows' source) must be equal.
func TestLiveEqualsExport(t *testing.T) {
	dir, data := tenant(t, 3000)
	msol := filepath.Join(dir, tenantgen.MsolFile)
	ctx := context.Background()

	exportSnap := t.TempDir()
	if _, _, err := pipeline.NewRunner(exportSnap).Run(ctx, extractentra.Stage.With(extractentra.Config{
		Exports: []string{filepath.Join(dir, tenantgen.GraphDir), msol}, TenantFeatures: filepath.Join(dir, tenantgen.FeaturesFile)})); err != nil {
		t.Fatal(err)
	}
	_, base := start(t, data, graphserver.Config{})
	cfg := tokenConfig(base)
	cfg.Exports = []string{msol}
	liveSnap := t.TempDir()
	rec, _, err := pipeline.NewRunner(liveSnap).Run(ctx, Stage.With(cfg))
	if err != nil {
		t.Fatal(err)
	}

	eu, ef := readTables(t, exportSnap)
	lu, lf := readTables(t, liveSnap)
	if len(eu) != len(lu) || len(eu) < 2000 {
		t.Fatalf("%d users live, %d from the export", len(lu), len(eu))
	}
	alt := 0
	for i := range eu {
		if lu[i].Origin != base+"/v1.0/users" {
			t.Fatalf("live origin %q", lu[i].Origin)
		}
		e, l := eu[i], lu[i]
		e.Origin, l.Origin = "", ""
		if !reflect.DeepEqual(e, l) {
			t.Fatalf("row %d differs:\nexport %+v\nlive   %+v", i, e, l)
		}
		if e.AlternateMobilePhones != nil {
			alt++
		}
	}
	if alt == 0 {
		t.Error("no user has AlternateMobilePhones: the MSOnline CSV was not merged")
	}
	if len(ef) != len(lf) {
		t.Fatalf("%d tenant rows live, %d from the file", len(lf), len(ef))
	}
	for i := range ef {
		if ef[i].Feature != lf[i].Feature || ef[i].Enabled != lf[i].Enabled || lf[i].Source != base+"/v1.0/directory/onPremisesSynchronization" {
			t.Errorf("tenant row %d: file %+v, live %+v", i, ef[i], lf[i])
		}
	}
	if rec.Detail["formats"] != "graph-live, msonline-csv" || rec.Parameters["graph.endpoint"] != base || rec.Parameters["graph.auth"] != "access-token" {
		t.Errorf("manifest record: %+v %+v", rec.Detail, rec.Parameters)
	}
	if len(rec.Inputs) != 1 || rec.Inputs[0].Path != msol {
		t.Errorf("inputs %+v", rec.Inputs)
	}
}

func TestDeniedFeaturesStillExtractUsers(t *testing.T) {
	_, data := tenant(t, 3000)
	_, base := start(t, data, graphserver.Config{Faults: graphserver.Faults{DenyFeatures: true}})
	snap := t.TempDir()
	cfg := tokenConfig(base)
	rec, _, err := pipeline.NewRunner(snap).Run(context.Background(), Stage.With(cfg))
	if err != nil {
		t.Fatal(err)
	}
	users, flags := readTables(t, snap)
	if len(users) != len(data.Users) {
		t.Errorf("%d users, want %d", len(users), len(data.Users))
	}
	if len(flags) != 1 || flags[0].Feature != pipeline.BypassFeature || flags[0].Enabled.Valid ||
		!strings.Contains(flags[0].Source, "permission denied (403 Authorization_RequestDenied") ||
		!strings.Contains(flags[0].Source, "OnPremDirectorySynchronization.Read.All") {
		t.Errorf("tenant rows %+v", flags)
	}
	if rec.Detail["tenant_features"] != "unknown: permission denied" {
		t.Errorf("detail %+v", rec.Detail)
	}
}

func TestFailedExtractWritesNoTable(t *testing.T) {
	_, data := tenant(t, 3000)
	for _, tt := range []struct {
		name string
		cfg  graphserver.Config
	}{
		{"throttled to the end", graphserver.Config{Faults: graphserver.Faults{ThrottleRate: 1, RetryAfter: "0.01"}}},
		{"expired token", graphserver.Config{Expired: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, base := start(t, data, tt.cfg)
			snap := t.TempDir()
			cfg := tokenConfig(base)
			cfg.Retry.MaxRetries = 2
			if _, _, err := pipeline.NewRunner(snap).Run(context.Background(), Stage.With(cfg)); err == nil {
				t.Fatal("no error")
			}
			entries, _ := os.ReadDir(snap)
			for _, e := range entries {
				t.Errorf("left %s behind", e.Name())
			}
		})
	}
}

func TestParamsHoldNoSecrets(t *testing.T) {
	cfg := Config{Endpoint: "https://graph.microsoft.us/", TenantID: "t", ClientID: "c", Auth: AuthClientSecret,
		Secrets: Secrets{ClientSecret: "SECRET", CertPassword: "SECRET", AccessToken: "SECRET"}, Exports: []string{"msol.csv"}}
	got, err := Stage.With(cfg).Params()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"graph.endpoint": "https://graph.microsoft.us", "graph.tenant_id": "t", "graph.client_id": "c",
		"graph.auth": "client-secret", "export.1": "msol.csv"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Params = %v, want %v", got, want)
	}
}

// TestLiveWithinTinyMemory reads one tenant live in the default budget,
// which holds it in memory, and in budgets that make the users go to
// spools: the same tables byte for byte, the spilling logged, no spill
// files left. A user the service returns twice is refused either way,
// with the same message.
func TestLiveWithinTinyMemory(t *testing.T) {
	dir, data := tenant(t, 3000)
	// Without the CSV only the users read live can fill the budget: they
	// must go to a spool as they come.
	for _, exports := range [][]string{nil, {filepath.Join(dir, tenantgen.MsolFile)}} {
		t.Run(fmt.Sprintf("%d exports", len(exports)), func(t *testing.T) { liveWithinTinyMemory(t, data, exports) })
	}
}

func liveWithinTinyMemory(t *testing.T, data *graphserver.Data, exports []string) {
	run := func(base string, budget int64) (map[string]string, string, error) {
		cfg := tokenConfig(base)
		cfg.Exports = exports
		snap := t.TempDir()
		var log bytes.Buffer
		old := slog.Default()
		slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
		rec, _, err := pipeline.NewRunner(snap).Run(pipeline.WithMemory(context.Background(), budget), Stage.With(cfg))
		slog.SetDefault(old)
		entries, _ := os.ReadDir(snap)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".syncgap-spill-") {
				t.Errorf("budget %d left %s", budget, e.Name())
			}
		}
		if err != nil {
			return nil, log.String(), err
		}
		hashes := map[string]string{}
		for _, out := range rec.Outputs {
			hashes[out.File] = out.SHA256
		}
		return hashes, log.String(), nil
	}
	_, base := start(t, data, graphserver.Config{})
	want, log, err := run(base, pipeline.DefaultMemory)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log, "spilling to disk") || len(want) != 2 {
		t.Fatalf("the default budget spilled 3,000 users, or wrote %v:\n%s", want, log)
	}
	for _, budget := range []int64{64 << 10, 1 << 20} {
		got, log, err := run(base, budget)
		if err != nil {
			t.Fatalf("budget %d: %v", budget, err)
		}
		if !strings.Contains(log, "merged the exports within the memory budget, spilling to disk") {
			t.Errorf("budget %d did not spool the users:\n%s", budget, log)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("budget %d wrote %v, want %v", budget, got, want)
		}
	}

	twice := &graphserver.Data{Users: append(slices.Clone(data.Users), data.Users[7]), Sync: data.Sync}
	_, base = start(t, twice, graphserver.Config{})
	var msgs []string
	for _, budget := range []int64{pipeline.DefaultMemory, 64 << 10} {
		_, _, err := run(base, budget)
		if err == nil || !strings.Contains(err.Error(), "graph returned a user twice while paging") || !strings.Contains(err.Error(), "already seen") {
			t.Fatalf("budget %d: a user served twice gave %v", budget, err)
		}
		msgs = append(msgs, err.Error())
	}
	if msgs[0] != msgs[1] {
		t.Errorf("in memory:\n%s\nspooled:\n%s", msgs[0], msgs[1])
	}
}

package extractentra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"syncgap/fixtures/tenantgen"
	"syncgap/pipeline"
)

// mergeResult is what a merge gives: the users, each later export's
// unmatched rows, or the error.
type mergeResult struct {
	users     []pipeline.EntraUser
	unmatched []int
	examples  [][]string
	err       string
}

// inMemory is the reference: each export checked for duplicates as
// ReadExport does, then Merge.
func inMemory(exports []*Export) mergeResult {
	exports = copyExports(exports)
	for _, e := range exports {
		path := e.Path
		if err := checkDuplicates(e.Users, func(int) string { return path }); err != nil {
			return mergeResult{err: err.Error()}
		}
	}
	users, err := Merge(exports)
	if err != nil {
		return mergeResult{err: err.Error()}
	}
	return result(users, exports)
}

// spooled is the same through the spools and mergeSpooled under budget,
// which leaves nothing in its spill directory.
func spooled(t *testing.T, exports []*Export, budget int64) mergeResult {
	t.Helper()
	exports = copyExports(exports)
	dir := t.TempDir()
	ctx := pipeline.WithMemory(context.Background(), budget)
	g := newGauge(ctx, dir, len(exports))
	set := &ExportSet{}
	var users []pipeline.EntraUser
	err := func() error {
		defer set.Close()
		for _, e := range exports {
			if err := e.spoolUsers(g, false); err != nil {
				return err
			}
			set.Add(e)
		}
		return set.mergeSpooled(ctx, g, func(u *pipeline.EntraUser) error {
			users = append(users, *u)
			return nil
		})
	}()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left in the spill directory: %v", left)
	}
	if err != nil {
		return mergeResult{err: err.Error()}
	}
	return result(users, exports)
}

func copyExports(exports []*Export) []*Export {
	var out []*Export
	for _, e := range exports {
		c := *e
		c.Users = append([]pipeline.EntraUser(nil), e.Users...)
		out = append(out, &c)
	}
	return out
}

func result(users []pipeline.EntraUser, exports []*Export) mergeResult {
	r := mergeResult{users: users}
	for _, e := range exports[1:] {
		r.unmatched = append(r.unmatched, e.Unmatched)
		r.examples = append(r.examples, e.UnmatchedUPNs)
	}
	return r
}

func sameResult(t *testing.T, name string, got, want mergeResult) {
	t.Helper()
	if got.err != want.err {
		t.Fatalf("%s: error\n got %s\nwant %s", name, got.err, want.err)
	}
	if len(got.users) != len(want.users) {
		t.Fatalf("%s: %d users, want %d", name, len(got.users), len(want.users))
	}
	for i := range want.users {
		if g, w := got.users[i], want.users[i]; !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: user %d\n got %#v\nwant %#v", name, i, g, w)
		}
	}
	if !reflect.DeepEqual(got.unmatched, want.unmatched) || !reflect.DeepEqual(got.examples, want.examples) {
		t.Fatalf("%s: unmatched %v %q, want %v %q", name, got.unmatched, got.examples, want.unmatched, want.examples)
	}
}

// The budgets the spooled merge is tried with: one that spills every few
// rows, and one that holds everything.
var spoolBudgets = []int64{16 << 10, pipeline.DefaultMemory}

// TestSpooledMergeIsMerge runs tenants built to meet Merge's every rule
// (id and UPN ids, cloud and on-premises UPNs in other cases and with
// spaces, UPNs two users share, ids taken from later exports, on-premises
// UPNs filled in and then looked up, duplicates) through both merges.
func TestSpooledMergeIsMerge(t *testing.T) {
	n := 100
	if testing.Short() {
		n = 30
	}
	for seed := range uint64(n) {
		exports := randomExports(rand.New(rand.NewPCG(seed, seed*7+1)))
		want := inMemory(exports)
		for _, b := range spoolBudgets {
			sameResult(t, fmt.Sprintf("seed %d, budget %d", seed, b), spooled(t, exports, b), want)
		}
	}
}

// randomExports is a primary export and up to three later ones drawn from
// a few names, so that keys collide in every way Merge tells apart.
func randomExports(r *rand.Rand) []*Export {
	names := []string{"ann", "bob", "cat", "dan", "ivy", "fay", "iris", "hal"}
	domains := []string{"@contoso.com", "@contoso.local", "@contoso.onmicrosoft.com"}
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	upn := func() string {
		u := pick(names) + pick(domains)
		switch r.IntN(8) {
		case 0:
			u = strings.ToUpper(u)
		case 1:
			u = strings.ToUpper(u[:1]) + u[1:]
		case 2:
			u = " " + u + " "
		case 3:
			// İ lower-cases to i but folds to nothing else: these UPNs
			// compare equal as Merge looks them up, but are no duplicates.
			u = strings.ReplaceAll(u, "i", "İ")
		}
		return u
	}
	// dupUPN is checkDuplicates' rule: equal lower-cased, and ignoring case.
	dupUPN := func(seen []string, u string) bool {
		for _, s := range seen {
			if strings.ToLower(s) == strings.ToLower(u) && strings.EqualFold(s, u) {
				return true
			}
		}
		return false
	}
	maybe := func(s string) string {
		if r.IntN(2) == 0 {
			return ""
		}
		return s
	}
	list := func() []string {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		return []string{fmt.Sprintf("+1 555 %04d", r.IntN(10000))}
	}
	flag := func() pipeline.NullBool {
		if r.IntN(3) == 0 {
			return pipeline.NullBool{}
		}
		return pipeline.Known(r.IntN(2) == 0)
	}
	when := func() time.Time {
		switch r.IntN(5) {
		case 0:
			return time.Time{}
		case 1: // just after the zero time, which a microsecond timestamp would make none
			return time.Time{}.Add(time.Duration(1 + r.IntN(999)))
		case 2: // before it, as a year 0000 parses
			return time.Date(0, 1, 1, 0, 0, 0, r.IntN(1e9), time.UTC)
		}
		return time.Date(2024, 1, 1+r.IntN(28), 0, 0, 0, r.IntN(1e9), time.UTC)
	}
	user := func(id, upn string, origin string) pipeline.EntraUser {
		return pipeline.EntraUser{ID: id, UPN: upn, MobilePhone: maybe(fmt.Sprintf("+1 555 %04d", r.IntN(10000))),
			AlternateMobilePhones: list(), BusinessPhones: list(), UsageLocation: maybe(pick([]string{"US", "GB"})),
			OnPremisesSyncEnabled: flag(), OnPremisesImmutableID: maybe("aW1t"),
			OnPremisesUPN:            pick([]string{"", "", "", "  ", upn}),
			OnPremisesSamAccountName: maybe("sam"), OnPremisesDN: maybe("CN=x"), OnPremisesLastSync: when(),
			AccountEnabled: flag(), Origin: origin}
	}
	dups := r.IntN(10) == 0 // most tenants have none: the merge itself is what is compared
	// Ids in no order, so rows of no user fall between those of users.
	ids := r.Perm(1000)
	newID := func() string { id := ids[0]; ids = ids[1:]; return fmt.Sprintf("id%03d", id) }
	upnID := func(u string) string { return UPNIDPrefix + strings.ToLower(strings.TrimSpace(u)) }
	primaryKind := r.IntN(3) // 0: object ids, 1: UPN ids, 2: either
	// A third of the tenants have object ids everywhere: the merge by id.
	idsOnly := r.IntN(3) == 0
	if idsOnly {
		primaryKind = 0
	}
	var primary []pipeline.EntraUser
	var onPrem []string // the primary's on-premises UPNs, for later rows to name
	seenID, seenUPN := map[string]bool{}, []string(nil)
	for i := range 1 + r.IntN(30) {
		u := upn()
		if r.IntN(12) == 0 && !idsOnly {
			u = "" // hand-made exports may have none
		}
		id := newID()
		if primaryKind == 1 || (primaryKind == 2 && r.IntN(2) == 0) {
			id = upnID(u)
		}
		if !dups && (seenID[id] || dupUPN(seenUPN, u)) {
			continue
		}
		seenID[id], seenUPN = true, append(seenUPN, u)
		row := user(id, u, fmt.Sprintf("primary:%d", i+2))
		if r.IntN(3) == 0 {
			row.OnPremisesUPN = upn()
		}
		if row.OnPremisesUPN != "" {
			onPrem = append(onPrem, row.OnPremisesUPN)
		}
		primary = append(primary, row)
	}
	exports := []*Export{{Path: "primary", Format: GraphPages, Users: primary}}
	for x := range r.IntN(4) {
		var rows []pipeline.EntraUser
		seenID, seenUPN := map[string]bool{}, []string(nil)
		for i := range r.IntN(30) {
			u := upn()
			if len(onPrem) > 0 && r.IntN(4) == 0 {
				u = onPrem[r.IntN(len(onPrem))]
			}
			var id string
			switch r.IntN(4) {
			case 0:
				if id = upnID(u); idsOnly {
					id = newID()
				}
			case 1:
				id = newID()
			default:
				if len(primary) > 0 {
					id = primary[r.IntN(len(primary))].ID
				} else {
					id = newID()
				}
			}
			if !dups && (seenID[id] || dupUPN(seenUPN, u)) {
				continue
			}
			seenID[id], seenUPN = true, append(seenUPN, u)
			row := user(id, u, fmt.Sprintf("later%d:%d", x+1, i+2))
			if r.IntN(2) == 0 {
				row.OnPremisesUPN = upn()
				onPrem = append(onPrem, row.OnPremisesUPN)
			}
			rows = append(rows, row)
		}
		exports = append(exports, &Export{Path: fmt.Sprintf("later%d", x+1), Format: MSOnlineCSV, Users: rows})
	}
	return exports
}

// TestSpooledStageIsInMemoryStage runs the stage on a generated tenant (a
// Graph page directory and an MSOnline CSV) in the default budget, which
// holds it in memory, and in budgets that spool it: the same tables, the
// same summary, and no spill files left.
func TestSpooledStageIsInMemoryStage(t *testing.T) {
	gen := t.TempDir()
	users := 10000
	if testing.Short() {
		users = 3000
	}
	if _, err := tenantgen.Generate(tenantgen.Config{Users: users, Seed: 5}, gen); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Exports: []string{filepath.Join(gen, "graph"), filepath.Join(gen, "msol.csv")},
		TenantFeatures: filepath.Join(gen, "tenant-features.json")}
	run := func(budget int64) (pipeline.EntraSummary, map[string]string, string) {
		snap := t.TempDir()
		ctx := pipeline.WithMemory(context.Background(), budget)
		var log bytes.Buffer
		old := slog.Default()
		slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
		sum, rec, err := Stage.Run(ctx, pipeline.NewRunner(snap), cfg)
		slog.SetDefault(old)
		if err != nil {
			t.Fatalf("budget %d: %v", budget, err)
		}
		// The default holds this tenant in memory; the others must spill.
		if spilled := strings.Contains(log.String(), "spilling to disk"); spilled != (budget != pipeline.DefaultMemory) {
			t.Errorf("budget %d: spilled %v:\n%s", budget, spilled, log.String())
		}
		hashes := map[string]string{}
		for _, out := range rec.Outputs {
			hashes[out.File] = out.SHA256
		}
		return sum, hashes, snap
	}
	wantSum, want, _ := run(pipeline.DefaultMemory)
	for _, budget := range []int64{64 << 10, 1 << 20} {
		sum, got, snap := run(budget)
		if !reflect.DeepEqual(got, want) || sum != wantSum {
			t.Errorf("budget %d: %v %+v, want %v %+v", budget, got, sum, want, wantSum)
		}
		entries, _ := os.ReadDir(snap)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".syncgap-spill-") {
				t.Errorf("budget %d left %s", budget, e.Name())
			}
		}
	}
}

// stageResult is what the stage gives for cfg under budget: the tables'
// hashes and the summary, or the error; it fails the test if a spill
// directory is left behind.
func stageResult(t *testing.T, cfg Config, budget int64) (map[string]string, pipeline.EntraSummary, string) {
	t.Helper()
	snap := t.TempDir()
	sum, rec, err := Stage.Run(pipeline.WithMemory(context.Background(), budget), pipeline.NewRunner(snap), cfg)
	entries, _ := os.ReadDir(snap)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".syncgap-spill-") {
			t.Errorf("%v with budget %d left %s", cfg.Exports, budget, e.Name())
		}
	}
	if err != nil {
		return nil, sum, err.Error()
	}
	hashes := map[string]string{}
	for _, out := range rec.Outputs {
		hashes[out.File] = out.SHA256
	}
	return hashes, sum, ""
}

// Every export of testdata, alone and in the combinations people use, and
// the broken ones: the stage gives the same tables, summary and errors
// whether the users are held in memory or spooled from the first one.
func TestSpooledStageOnTestdata(t *testing.T) {
	td := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join("testdata", n))
		}
		return out
	}
	for _, exports := range [][]string{
		td("graph-page.json"), td("graph-array.json"), td("graph-concat.json"), td("pages"), td("users.jsonl"),
		td("ps7.json"), td("ps51.json"), td("ps51-single-utf16.json"), td("mguser.csv"), td("admin-center.csv"),
		td("admin-center-nosync.csv"), td("msonline.csv"), td("adsynctools.csv"), td("adsynctools-entra.csv"),
		td("graph-nonroutable.json", "adsynctools-compare.csv"),
		td("graph-page.json", "msonline.csv"),
		td("adsynctools.csv", "msonline.csv", "graph-page.json"),
		td("mguser.csv", "admin-center.csv", "msonline.csv", "adsynctools-entra.csv"),
		td("admin-center.csv", "mguser.csv", "adsynctools-compare.csv"),
		td("users.jsonl", "ps7.json", "pages"),
		// Errors, and which comes first.
		td("adsynctools-compare.csv", "graph-page.json"),
		td("bad/dup-upn.json", "bad/cut.json"),
		td("graph-page.json", "bad/cut.json"),
		td("bad/pages-dup", "msonline.csv"),
		td("graph-page.json", "bad/dup-id.jsonl"),
		td("bad/dup-id.jsonl", "bad/dup-upn.json"),
		td("msonline.csv", "bad/ambiguous-date.csv"),
		td("bad/msonline-unexpanded.csv"),
		td("graph-page.json", "bad/nope.json"),
	} {
		cfg := Config{Exports: exports, TenantFeatures: filepath.Join("testdata", "tenant.json")}
		want, wantSum, wantErr := stageResult(t, cfg, pipeline.DefaultMemory)
		for _, budget := range []int64{1, 16 << 10} {
			got, sum, err := stageResult(t, cfg, budget)
			if err != wantErr || !reflect.DeepEqual(got, want) || sum != wantSum {
				t.Errorf("%v with budget %d:\n got %v %+v %q\nwant %v %+v %q", exports, budget, got, sum, err, want, wantSum, wantErr)
			}
		}
	}
}

// A CSV whose users go to the spool part way through, with culture dates
// pending on both sides of the switch and settled by one after it, reads
// as in memory; so does one whose pending date fails once the order is
// known, with the same error.
func TestSpoolingPartWay(t *testing.T) {
	for _, tc := range []struct {
		name, late string
		wantErr    string
	}{
		{"settled", "14/11/2023 22:13:20", ""},
		{"failing", "25/12/2023 10:00:00", `:3072:56: unrecognised date "05/06/2023 25:00:00"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("UserPrincipalName,ObjectId,LastDirSyncTime,DisplayName\n")
			pad := strings.Repeat("x", 200)
			for i := range 4096 {
				date := ""
				switch {
				case i == 5 || i == 3500:
					date = "03/04/2023 10:00:00" // day or month first: the file must tell
				case i == 3070 && tc.wantErr != "":
					date = "05/06/2023 25:00:00" // no valid time either way, found once the order is known
				case i == 4000:
					date = tc.late
				}
				if i >= 2048 {
					pad = "" // the rest of the file is denser: the projection grows
				}
				fmt.Fprintf(&b, "u%d@contoso.com,%08d-0000-0000-0000-000000000000,%s,%s\n", i, i, date, pad)
			}
			path := filepath.Join(t.TempDir(), "msol.csv")
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			want, wantErr := ReadExport(path)
			dir := t.TempDir()
			// A limit the projection passes only on the third sample.
			g := &gauge{limit: 900 << 10, budget: 1 << 20, dir: dir, n: 1, projected: make([]int64, 1)}
			got, err := readExport(path, g.collector(0, path))
			if got != nil && got.sp != nil {
				defer got.sp.Close()
			}
			if tc.wantErr != "" {
				if err == nil || wantErr == nil || err.Error() != wantErr.Error() || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %v (…%s)", err, wantErr, tc.wantErr)
				}
				return
			}
			if err != nil || wantErr != nil {
				t.Fatal(err, wantErr)
			}
			if got.sp == nil || got.sp.n != 4096 || got.Users != nil {
				t.Fatalf("not spooled: %+v", got)
			}
			set := &ExportSet{Exports: []*Export{got}}
			var users []pipeline.EntraUser
			if err := set.mergeSpooled(context.Background(), g, func(u *pipeline.EntraUser) error {
				users = append(users, *u)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			merged, _ := Merge([]*Export{want})
			if !reflect.DeepEqual(users, merged) {
				t.Errorf("spooled users differ from ReadExport's")
			}
			if users[5].OnPremisesLastSync.Month() != 4 || users[3500].OnPremisesLastSync.Month() != 4 {
				t.Errorf("pending dates %v %v, want 3 April", users[5].OnPremisesLastSync, users[3500].OnPremisesLastSync)
			}
		})
	}
}

// The same for JSON: a JSON Lines file and a page directory whose first
// users carry a long property nobody reads, so the projection only passes
// the limit part way through.
func TestSpoolingPartWayJSON(t *testing.T) {
	const n = 3 * flushEvery
	line := func(i int) string {
		pad := ""
		if i < flushEvery {
			pad = strings.Repeat("x", 2000)
		}
		return fmt.Sprintf(`{"id":"%08d-0000-0000-0000-000000000000","userPrincipalName":"U%d@contoso.com","onPremisesUserPrincipalName":"u%d@contoso.local","mobilePhone":"+1 555 %04d","notes":"%s"}`,
			n-i, i, i, i%10000, pad)
	}
	dir := t.TempDir()
	var jsonl strings.Builder
	pages := filepath.Join(dir, "pages")
	if err := os.Mkdir(pages, 0o755); err != nil {
		t.Fatal(err)
	}
	for p := 0; p < n/1024; p++ {
		var page []string
		for i := p * 1024; i < (p+1)*1024; i++ {
			jsonl.WriteString(line(i) + "\n")
			page = append(page, line(i))
		}
		body := `{"value":[` + strings.Join(page, ",") + `]}`
		if err := os.WriteFile(filepath.Join(pages, fmt.Sprintf("page-%d.json", p+1)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "users.jsonl")
	if err := os.WriteFile(file, []byte(jsonl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{file, pages} {
		want, err := ReadExport(path)
		if err != nil {
			t.Fatal(err)
		}
		merged, _ := Merge([]*Export{want})
		g := &gauge{limit: 2 << 20, budget: 1 << 20, dir: t.TempDir(), n: 1, projected: make([]int64, 1)}
		got, err := readExport(path, g.collector(0, path))
		if err != nil {
			t.Fatal(err)
		}
		if got.sp == nil || got.sp.n != n || got.Users != nil {
			t.Fatalf("%s: not spooled", path)
		}
		set := &ExportSet{Exports: []*Export{got}}
		var users []pipeline.EntraUser
		err = set.mergeSpooled(context.Background(), g, func(u *pipeline.EntraUser) error {
			users = append(users, *u)
			return nil
		})
		set.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(users, merged) || got.String() != want.String() {
			t.Errorf("%s: spooled users differ from ReadExport's (%s, want %s)", path, got, want)
		}
	}
}

// Cancelled while it spills (Ctrl-C), the stage stops, says so, and leaves
// neither tables nor spill files.
func TestSpoolingCancelled(t *testing.T) {
	gen := t.TempDir()
	if _, err := tenantgen.Generate(tenantgen.Config{Users: 20000, Seed: 3}, gen); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Exports: []string{filepath.Join(gen, "graph"), filepath.Join(gen, "msol.csv")}}
	snap := t.TempDir()
	ctx, cancel := context.WithCancel(pipeline.WithMemory(context.Background(), 64<<10))
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if left, _ := filepath.Glob(filepath.Join(snap, ".syncgap-spill-*")); len(left) > 0 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	_, _, err := Stage.Run(ctx, pipeline.NewRunner(snap), cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want the cancellation", err)
	}
	entries, _ := os.ReadDir(snap)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".syncgap-spill-") || strings.HasSuffix(e.Name(), ".parquet") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// The duplicate trackers take their users in key order, which for the
// primary export is not file order within an id (sortByID's order breaks
// ties by UPN): the duplicate is still the second user in file order, of
// the run whose second comes first.
func TestDuplicatesFromSortedStreams(t *testing.T) {
	var ids idDups
	for _, r := range []spoolRow{
		{EntraUser: pipeline.EntraUser{ID: "a", Origin: "f:2"}, Seq: 2},
		{EntraUser: pipeline.EntraUser{ID: "a", Origin: "f:9"}, Seq: 9},
		{EntraUser: pipeline.EntraUser{ID: "a", Origin: "f:5"}, Seq: 5},
		{EntraUser: pipeline.EntraUser{ID: "b", Origin: "f:1"}, Seq: 1},
		{EntraUser: pipeline.EntraUser{ID: "b", Origin: "f:7"}, Seq: 7},
		{EntraUser: pipeline.EntraUser{ID: "c", Origin: "f:3"}, Seq: 3},
	} {
		ids.feed(&r)
	}
	ids.end()
	if ids.later == nil || ids.later.seq != 5 || ids.prior.seq != 2 {
		t.Errorf("id duplicate %+v of %+v, want 5 of 2", ids.later, ids.prior)
	}
	var upns upnDups
	for _, r := range []upnRow{
		{Key: "iv@x", Raw: "İv@x", Seq: 1}, // lower-cases to iv@x, folds to nothing but itself
		{Key: "iv@x", Seq: 4},
		{Key: "iv@x", Raw: "IV@x", Seq: 6},
		{Key: "iv@x", Raw: "İV@x", Seq: 8},
		{Key: "z@x", Seq: 2},
		{Key: "z@x", Raw: "Z@x", Seq: 7},
	} {
		upns.feed(&r)
	}
	if upns.later == nil || upns.later.Seq != 6 || upns.prior.Seq != 4 {
		t.Errorf("UPN duplicate %+v of %+v, want 6 of 4", upns.later, upns.prior)
	}
}

// A packed user unpacks to itself, whatever it holds, and a damaged one
// is an error, not a wrong user.
func TestPackRoundTrip(t *testing.T) {
	long := strings.Repeat("ü", 70000) // lengths past two varint bytes
	for _, r := range []spoolRow{
		{},
		{EntraUser: pipeline.EntraUser{ID: "a"}, Seq: 1},
		{EntraUser: full, Seq: 1 << 40, Target: 7, PendingDate: "03/04/2023 10:00:00"},
		{EntraUser: pipeline.EntraUser{ID: "b", UPN: long, AlternateMobilePhones: []string{}, BusinessPhones: []string{"", long},
			OnPremisesSyncEnabled: no, AccountEnabled: yes, OnPremisesLastSync: time.Time{}.Add(1)}, Target: noUser},
		{EntraUser: pipeline.EntraUser{ID: "c", OnPremisesLastSync: time.Date(-100, 5, 1, 0, 0, 0, 999, time.UTC)}},
		{EntraUser: pipeline.EntraUser{ID: "d", OnPremisesLastSync: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}},
	} {
		p, _ := pack(&r, nil)
		var got spoolRow
		if err := p.unpack(&got); err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("unpacked %+v (%v), want %+v", got, err, r)
		}
		if pipeline.PackedEntraUPN(p.User) != r.UPN {
			t.Errorf("packedUPN %q, want %q", pipeline.PackedEntraUPN(p.User), r.UPN)
		}
		for _, cut := range []int{0, 1, len(p.User) / 2, len(p.User) - 1} {
			d := p
			d.User = d.User[:cut]
			if err := d.unpack(&got); !errors.Is(err, pipeline.ErrPacked) {
				t.Errorf("cut at %d of %d: %v", cut, len(p.User), err)
			}
		}
	}
}

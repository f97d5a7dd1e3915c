package join

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"syncgap/pipeline"
)

// messyTenant draws users from small pools of keys, so that shared
// anchors, shared UPNs (differing in case and white space), empty keys,
// anchor conflicts and every sync flag occur often.
func messyTenant(seed uint64, nAD, nCloud int) ([]pipeline.ADUser, []pipeline.EntraUser) {
	r := rand.New(rand.NewPCG(seed, 7))
	pool := func(n int, f string) func() string {
		return func() string {
			if r.IntN(10) == 0 {
				return ""
			}
			return fmt.Sprintf(f, r.IntN(n))
		}
	}
	anchor := pool(nAD*9/10+1, "A%04d=")
	upn := pool(nAD*9/10+1, "user%d@corp.example")
	drift := func(s string) string {
		switch r.IntN(6) {
		case 0:
			return strings.ToUpper(s)
		case 1:
			return " " + s + "\t"
		}
		return s
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ad := make([]pipeline.ADUser, nAD)
	for i := range ad {
		ad[i] = pipeline.ADUser{DN: fmt.Sprintf("CN=u%05d,DC=corp", i), SourceAnchor: anchor(), UPN: drift(upn()),
			Mobile: fmt.Sprintf("+44 7700 %06d", i), OtherMobile: []string{fmt.Sprint(i)}, WhenChanged: when, Origin: "ad.ldif:1"}
	}
	flags := []pipeline.NullBool{pipeline.Known(true), pipeline.Known(false), {}}
	cloud := make([]pipeline.EntraUser, nCloud)
	for i := range cloud {
		cloud[i] = pipeline.EntraUser{ID: fmt.Sprintf("id-%05d", i), UPN: drift(upn()), OnPremisesImmutableID: anchor(),
			OnPremisesUPN: drift(upn()), OnPremisesSyncEnabled: flags[r.IntN(len(flags))], MobilePhone: fmt.Sprint(i),
			BusinessPhones: []string{"+1"}, OnPremisesLastSync: when, Origin: "graph:1"}
		if r.IntN(3) == 0 {
			cloud[i].OnPremisesUPN = ""
		}
	}
	return ad, cloud
}

func referenceRows(t *testing.T, ad []pipeline.ADUser, cloud []pipeline.EntraUser) []pipeline.Joined {
	t.Helper()
	var want []pipeline.Joined
	if err := refJoin(ad, cloud, func(j *pipeline.Joined) error { want = append(want, *j); return nil }); err != nil {
		t.Fatal(err)
	}
	return want
}

func compareRows(t *testing.T, got, want []pipeline.Joined) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func noSpillLeft(t *testing.T, dir string) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(dir, ".syncgap-spill-*"))
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// The bounded join gives exactly the reference hash join's rows, in its
// order, whatever the budget: in memory, with the AD keys in many chunks,
// and with edges and pairs spilled and their runs folded.
func TestJoinMatchesReference(t *testing.T) {
	ad, cloud := messyTenant(1, 3000, 3500)
	want := referenceRows(t, ad, cloud)
	statuses := map[pipeline.MatchStatus]int{}
	for _, j := range want {
		statuses[j.MatchStatus]++
	}
	for _, s := range []pipeline.MatchStatus{pipeline.Matched, pipeline.Ambiguous, pipeline.AnchorConflict, pipeline.ADOnly, pipeline.CloudOnly, pipeline.OrphanedSynced} {
		if statuses[s] < 10 {
			t.Fatalf("the messy tenant has only %d %s rows: %v", statuses[s], s, statuses)
		}
	}
	for _, budget := range []int64{pipeline.DefaultMemory, 64 << 10, 4 << 10} {
		t.Run(pipeline.SizeText(budget), func(t *testing.T) {
			dir := t.TempDir()
			var got []pipeline.Joined
			st, err := joinRows(context.Background(), memTables{ad, cloud}, budget, dir, func(j *pipeline.Joined) error {
				got = append(got, *j)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			compareRows(t, got, want)
			if spilled := st.Spilled(); spilled != (budget < pipeline.DefaultMemory) {
				t.Errorf("spilled %v at %s: %+v", spilled, pipeline.SizeText(budget), st)
			}
			if budget == 4<<10 && (st.Chunks < 10 || st.EdgeRuns < runFanIn || st.PairRuns < 2) {
				t.Errorf("4 KiB did not chunk, spill and fold enough: %+v", st)
			}
			noSpillLeft(t, dir)
		})
	}
}

// Through the table files, as the stage reads them.
func TestJoinFromTableFiles(t *testing.T) {
	ad, cloud := messyTenant(2, 800, 900)
	want := referenceRows(t, ad, cloud)
	dir := t.TempDir()
	if _, err := pipeline.WriteTable(dir, pipeline.ADUsersTable, ad); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.WriteTable(dir, pipeline.EntraUsersTable, cloud); err != nil {
		t.Fatal(err)
	}
	src := tableFiles{ad: filepath.Join(dir, pipeline.FileName(pipeline.ADUsersTable)), cloud: filepath.Join(dir, pipeline.FileName(pipeline.EntraUsersTable))}
	for _, budget := range []int64{pipeline.DefaultMemory, 8 << 10} {
		var got []pipeline.Joined
		if _, err := joinRows(context.Background(), src, budget, dir, func(j *pipeline.Joined) error {
			got = append(got, *j)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		compareRows(t, got, want)
		noSpillLeft(t, dir)
	}
}

// An error from the row callback stops the join and removes its spills.
func TestJoinCleansUpOnError(t *testing.T) {
	ad, cloud := messyTenant(3, 500, 500)
	dir := t.TempDir()
	stop := fmt.Errorf("stop")
	n := 0
	_, err := joinRows(context.Background(), memTables{ad, cloud}, 4<<10, dir, func(*pipeline.Joined) error {
		if n++; n == 100 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("err = %v, want the callback's", err)
	}
	noSpillLeft(t, dir)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left in the directory: %v", entries)
	}
}

// TestShortKeysEndAChunkBeforeTheTableGrows: keys much shorter than the
// 60 bytes a chunk's tables are sized for would fit more of them into the
// chunk's budget than the tables hold; the chunk ends when a table is
// full instead of letting it double, and the rows stay the reference's.
func TestShortKeysEndAChunkBeforeTheTableGrows(t *testing.T) {
	ad, cloud := messyTenant(2, 3000, 3000)
	for i := range ad {
		ad[i].SourceAnchor = ""
		ad[i].UPN = fmt.Sprintf("u%d", i)
	}
	want := referenceRows(t, ad, cloud)
	const budget = 64 << 10
	var got []pipeline.Joined
	st, err := joinRows(context.Background(), memTables{ad, cloud}, budget, t.TempDir(), func(j *pipeline.Joined) error {
		got = append(got, *j)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	compareRows(t, got, want)
	perChunk := budget / keyShare / (keyBytes + 60) // what newKeyIndex is told
	if min := len(ad) / int(perChunk); st.Chunks < min {
		t.Errorf("%d chunks for %d AD users, %d a table: a table grew", st.Chunks, len(ad), perChunk)
	}
}

package diff

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"syncgap/pipeline"
	"syncgap/workbook"
)

// rows is a Table over Go values.
type rows []pipeline.DiffSide

func (r rows) Len() int                          { return len(r) }
func (r rows) Row(i int, dst *pipeline.DiffSide) { *dst = r[i] }

// user is a matched pair in sync: both sides hold the same mobile and no
// otherMobile.
func user(id, dn, upn string) pipeline.DiffSide {
	return pipeline.DiffSide{
		UPN: upn, DN: dn, EntraID: id, MatchStatus: pipeline.Matched,
		MobileState: pipeline.InSync, OtherMobileState: pipeline.InSync,
		MobileAD: "+1 425 555 0100", MobileEntra: "+1 425 555 0100",
		OtherMobileAD: []string{}, OtherMobileEntra: []string{}, Effect: pipeline.NoEffect,
	}
}

// with returns s changed by f.
func with(s pipeline.DiffSide, f func(*pipeline.DiffSide)) pipeline.DiffSide {
	f(&s)
	return s
}

// got is a diff row as the tests compare it: who (AFTER's identifiers,
// else BEFORE's), how paired, what changed.
type got struct {
	who, key, changes string
}

func (g got) String() string { return fmt.Sprintf("{%s %s [%s]}", g.who, g.key, g.changes) }

func compare(t *testing.T, before, after rows) ([]got, *Result) {
	t.Helper()
	res, err := Compare(context.Background(), before, after)
	if err != nil {
		t.Fatal(err)
	}
	var out []got
	for _, r := range res.All() {
		out = append(out, got{r.EntraID + "|" + r.DN + "|" + r.UPN, string(r.MatchKey), strings.Join(r.Changes, " ")})
	}
	return out, res
}

func TestComparePairsAndChanges(t *testing.T) {
	a, b, c := user("id-a", "CN=A,DC=x", "a@x.com"), user("id-b", "CN=B,DC=x", "b@x.com"), user("id-c", "CN=C,DC=x", "c@x.com")
	for _, tt := range []struct {
		name          string
		before, after rows
		want          []got
		unchanged     int
	}{
		{"unchanged users are no rows", rows{a, b}, rows{b, a}, nil, 2},
		{"moved in AD: paired by entra id", rows{a}, rows{with(a, func(s *pipeline.DiffSide) { s.DN = "CN=A,OU=New,DC=x" })},
			[]got{{"id-a|CN=A,OU=New,DC=x|a@x.com", "entra_id", "dn_changed"}}, 0},
		{"new cloud account, same DN: paired by DN", rows{a}, rows{with(a, func(s *pipeline.DiffSide) { s.EntraID = "id-a2" })},
			[]got{{"id-a2|CN=A,DC=x|a@x.com", "dn", "entra_id_changed"}}, 0},
		{"DN compared ignoring case", rows{a}, rows{with(a, func(s *pipeline.DiffSide) { s.EntraID, s.DN = "id-a2", "cn=a,dc=X" })},
			[]got{{"id-a2|cn=a,dc=X|a@x.com", "dn", "dn_changed entra_id_changed"}}, 0},
		{"new id and DN, same UPN (any case): paired by UPN", rows{a},
			rows{with(a, func(s *pipeline.DiffSide) { s.EntraID, s.DN, s.UPN = "id-a2", "CN=A2,DC=x", "A@X.com" })},
			[]got{{"id-a2|CN=A2,DC=x|A@X.com", "upn", "upn_changed dn_changed entra_id_changed"}}, 0},
		{"renamed: UPN changed, same entra id", rows{a}, rows{with(a, func(s *pipeline.DiffSide) { s.UPN = "a.new@x.com" })},
			[]got{{"id-a|CN=A,DC=x|a.new@x.com", "entra_id", "upn_changed"}}, 0},
		{"entra id before DN: swapped DNs pair by id", rows{a, b},
			rows{with(a, func(s *pipeline.DiffSide) { s.DN = b.DN }), with(b, func(s *pipeline.DiffSide) { s.DN = a.DN })},
			[]got{{"id-a|CN=B,DC=x|a@x.com", "entra_id", "dn_changed"}, {"id-b|CN=A,DC=x|b@x.com", "entra_id", "dn_changed"}}, 0},
		{"appeared and disappeared", rows{a, b}, rows{b, c},
			[]got{{"id-a|CN=A,DC=x|a@x.com", "", "disappeared"}, {"id-c|CN=C,DC=x|c@x.com", "", "appeared"}}, 1},
		{"AD mobile edited", rows{a}, rows{with(a, func(s *pipeline.DiffSide) {
			s.MobileAD, s.MobileState, s.Effect = "+1 425 555 0199", pipeline.Mismatch, pipeline.OverwritesCloud
		})}, []got{{"id-a|CN=A,DC=x|a@x.com", "entra_id", "ad_changed state_changed effect_changed"}}, 0},
		{"cloud mobile edited", rows{a}, rows{with(a, func(s *pipeline.DiffSide) {
			s.MobileEntra, s.MobileState, s.Effect = "", pipeline.MissingInEntra, pipeline.FillsCloud
		})}, []got{{"id-a|CN=A,DC=x|a@x.com", "entra_id", "cloud_changed state_changed effect_changed"}}, 0},
		{"AD otherMobile edited", rows{a}, rows{with(a, func(s *pipeline.DiffSide) { s.OtherMobileAD = []string{"+1 425 555 0101"} })},
			[]got{{"id-a|CN=A,DC=x|a@x.com", "entra_id", "ad_changed"}}, 0},
		{"otherMobile in another order is no change", rows{with(a, func(s *pipeline.DiffSide) {
			s.OtherMobileAD, s.OtherMobileEntra = []string{"1", "2"}, []string{"3", "4"}
		})}, rows{with(a, func(s *pipeline.DiffSide) {
			s.OtherMobileAD, s.OtherMobileEntra = []string{"2", "1"}, []string{"4", "3"}
		})}, nil, 1},
		{"cloud otherMobile edited", rows{a}, rows{with(a, func(s *pipeline.DiffSide) { s.OtherMobileEntra = []string{"+1 425 555 0102"} })},
			[]got{{"id-a|CN=A,DC=x|a@x.com", "entra_id", "cloud_changed"}}, 0},
		{"cloud otherMobile unknown, then known: a verdict change, not an edit", rows{with(a, func(s *pipeline.DiffSide) {
			s.OtherMobileEntra, s.OtherMobileState = nil, pipeline.Unverifiable
		})}, rows{with(a, func(s *pipeline.DiffSide) { s.OtherMobileEntra = []string{"+1 425 555 0102"} })},
			[]got{{"id-a|CN=A,DC=x|a@x.com", "entra_id", "state_changed"}}, 0},
		{"AD user deleted: the cloud user is orphaned, a match change", rows{a}, rows{with(a, func(s *pipeline.DiffSide) {
			s.DN, s.MobileAD, s.OtherMobileAD = "", "", nil
			s.MatchStatus, s.MobileState, s.OtherMobileState = pipeline.OrphanedSynced, pipeline.NotApplicable, pipeline.NotApplicable
		})}, []got{{"id-a||a@x.com", "entra_id", "match_changed state_changed"}}, 0},
		{"cloud user created for an AD-only user: paired by DN", rows{with(a, func(s *pipeline.DiffSide) {
			s.EntraID, s.MobileEntra, s.OtherMobileEntra = "", "", nil
			s.MatchStatus, s.MobileState, s.OtherMobileState = pipeline.ADOnly, pipeline.NotApplicable, pipeline.NotApplicable
		})}, rows{a}, []got{{"id-a|CN=A,DC=x|a@x.com", "dn", "match_changed state_changed"}}, 0},
		{"two AD users sharing a UPN are not guessed", rows{a, with(b, func(s *pipeline.DiffSide) { s.UPN = a.UPN })},
			rows{with(a, func(s *pipeline.DiffSide) { s.EntraID, s.DN = "n1", "CN=N1" }), with(b, func(s *pipeline.DiffSide) { s.EntraID, s.DN, s.UPN = "n2", "CN=N2", a.UPN })},
			[]got{
				{"id-a|CN=A,DC=x|a@x.com", "", "disappeared"}, {"id-b|CN=B,DC=x|a@x.com", "", "disappeared"},
				{"n1|CN=N1|a@x.com", "", "appeared"}, {"n2|CN=N2|a@x.com", "", "appeared"},
			}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g, res := compare(t, tt.before, tt.after)
			if !reflect.DeepEqual(g, tt.want) {
				t.Errorf("rows\n got %v\nwant %v", g, tt.want)
			}
			if n := res.Counts.Unchanged(); n != tt.unchanged {
				t.Errorf("unchanged = %d, want %d", n, tt.unchanged)
			}
		})
	}
}

// An ambiguous cloud user has a row per AD candidate, all with its id:
// they pair by DN within the id, and a candidate that joins pairs with
// its earlier ad_only row by DN.
func TestCompareAmbiguousRows(t *testing.T) {
	amb := func(dn string) pipeline.DiffSide {
		return with(user("id-x", dn, "x@x.com"), func(s *pipeline.DiffSide) {
			s.MatchStatus, s.MobileState, s.OtherMobileState = pipeline.Ambiguous, pipeline.NotApplicable, pipeline.NotApplicable
		})
	}
	adOnly := with(user("", "CN=X3,DC=x", "x@x.com"), func(s *pipeline.DiffSide) {
		s.MatchStatus, s.MobileState, s.OtherMobileState, s.MobileEntra, s.OtherMobileEntra = pipeline.ADOnly, pipeline.NotApplicable, pipeline.NotApplicable, "", nil
	})
	before := rows{amb("CN=X1,DC=x"), amb("CN=X2,DC=x"), adOnly}
	after := rows{
		amb("CN=X2,DC=x"),
		with(amb("CN=X1,DC=x"), func(s *pipeline.DiffSide) { s.MobileAD = "+1 425 555 0111" }),
		amb("CN=X3,DC=x"),
	}
	g, res := compare(t, before, after)
	want := []got{
		{"id-x|CN=X1,DC=x|x@x.com", "entra_id", "ad_changed"},
		{"id-x|CN=X3,DC=x|x@x.com", "dn", "match_changed"},
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("rows\n got %v\nwant %v", g, want)
	}
	if res.Counts.Paired != 3 || res.Counts.ByKey[pipeline.KeyEntraID] != 2 || res.Counts.ByKey[pipeline.KeyDN] != 1 {
		t.Errorf("paired %d, by key %v", res.Counts.Paired, res.Counts.ByKey)
	}
	// One id row left on each side after the DN pairs still pairs by id.
	g, _ = compare(t, rows{amb("CN=X1,DC=x"), amb("CN=X2,DC=x")}, rows{amb("CN=X1,DC=x"), amb("CN=X9,DC=x")})
	if want := []got{{"id-x|CN=X9,DC=x|x@x.com", "entra_id", "dn_changed"}}; !reflect.DeepEqual(g, want) {
		t.Errorf("rows\n got %v\nwant %v", g, want)
	}
}

func TestCompareCounts(t *testing.T) {
	a, b, c := user("id-a", "CN=A", "a@x"), user("id-b", "CN=B", "b@x"), user("id-c", "CN=C", "c@x")
	drifted := func(s pipeline.DiffSide) pipeline.DiffSide {
		return with(s, func(s *pipeline.DiffSide) {
			s.MobileEntra, s.MobileState, s.Effect = "+1 425 555 0199", pipeline.Mismatch, pipeline.OverwritesCloud
		})
	}
	unknown := func(s pipeline.DiffSide) pipeline.DiffSide {
		return with(s, func(s *pipeline.DiffSide) {
			s.OtherMobileEntra, s.OtherMobileState, s.Effect = nil, pipeline.Unverifiable, pipeline.NoEffect
		})
	}
	// a: drifted -> in sync (better); b: in sync -> drifted (worse);
	// c: drifted -> unknown otherMobile, effect none: not better, only unknown.
	_, res := compare(t, rows{drifted(a), b, drifted(c)}, rows{a, drifted(b), unknown(drifted(c))})
	got := res.Counts
	want := workbook.DiffCounts{
		Before: 3, After: 3, Paired: 3, Changed: 3,
		ByKind: map[pipeline.ChangeKind]int{pipeline.CloudChanged: 2, pipeline.StateChanged: 3, pipeline.EffectChanged: 3},
		ByKey:  map[pipeline.DiffKey]int{pipeline.KeyEntraID: 3},
		Moves: map[workbook.Move]int{
			{Field: workbook.FieldMobile, From: "mismatch", To: "in_sync"}:          1,
			{Field: workbook.FieldMobile, From: "in_sync", To: "mismatch"}:          1,
			{Field: workbook.FieldOtherMobile, From: "in_sync", To: "unverifiable"}: 1,
			{Field: workbook.FieldEffect, From: "overwrites_cloud", To: "none"}:     2,
			{Field: workbook.FieldEffect, From: "none", To: "overwrites_cloud"}:     1,
		},
		EffectBefore: map[pipeline.Effect]int{pipeline.OverwritesCloud: 2, pipeline.NoEffect: 1},
		EffectAfter:  map[pipeline.Effect]int{pipeline.OverwritesCloud: 1, pipeline.NoEffect: 2},
		Better:       1, Worse: 1, UnknownBefore: 0, UnknownAfter: 1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts\n got %+v\nwant %+v", got, want)
	}
	moves := res.Counts.MovesOf(workbook.FieldEffect)
	if len(moves) != 2 || moves[0].N != 2 || moves[0].From != "overwrites_cloud" {
		t.Errorf("effect moves, most first: %+v", moves)
	}
}

// The diff's rows and their order depend on the users only, never on the
// order of the gaps rows: both are shuffled, the rows stay the same.
func TestCompareIgnoresRowOrder(t *testing.T) {
	var before, after rows
	for i := range 400 {
		u := user(fmt.Sprintf("id-%03d", i), fmt.Sprintf("CN=U%03d,DC=x", i), fmt.Sprintf("u%03d@x.com", i%350))
		before = append(before, u)
		switch i % 7 {
		case 0: // gone
		case 1:
			after = append(after, with(u, func(s *pipeline.DiffSide) { s.DN = "CN=Moved" + s.DN[2:] }))
		case 2:
			after = append(after, with(u, func(s *pipeline.DiffSide) { s.EntraID += "-new" }))
		case 3:
			after = append(after, with(u, func(s *pipeline.DiffSide) { s.MobileAD = "+1 425 555 0123" }))
		default:
			after = append(after, u)
		}
		if i%11 == 0 {
			after = append(after, user(fmt.Sprintf("new-%03d", i), fmt.Sprintf("CN=New%03d", i), fmt.Sprintf("u%03d@x.com", i%350)))
		}
	}
	want, _ := compare(t, before, after)
	if len(want) < 100 {
		t.Fatalf("only %d rows: the fixture plants more", len(want))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		b, a := slices.Clone(before), slices.Clone(after)
		r.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
		r.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
		if g, _ := compare(t, b, a); !reflect.DeepEqual(g, want) {
			t.Fatalf("shuffled rows give another diff:\n got %v\nwant %v", g, want)
		}
	}
}

func TestCompareCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Compare(ctx, rows{user("a", "CN=A", "a@x")}, rows{}); err != context.Canceled {
		t.Errorf("cancelled compare: %v", err)
	}
}

// BenchmarkCompare pairs and compares two snapshots of 200,000 users in
// which one in fifty changed.
func BenchmarkCompare(b *testing.B) {
	const n = 200000
	before, after := make(rows, n), make(rows, n)
	for i := range n {
		u := user(fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), fmt.Sprintf("CN=User %d,OU=Users,DC=contoso,DC=com", i), fmt.Sprintf("user%d@contoso.com", i))
		before[i], after[i] = u, u
		switch i % 50 {
		case 0:
			after[i].MobileAD, after[i].MobileState, after[i].Effect = "+1 425 555 0199", pipeline.Mismatch, pipeline.OverwritesCloud
		case 1:
			after[i].EntraID = "new-" + u.EntraID
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res, err := Compare(context.Background(), before, after)
		if err != nil || res.Len() != 2*n/50 {
			b.Fatalf("%d rows, %v", res.Len(), err)
		}
	}
}

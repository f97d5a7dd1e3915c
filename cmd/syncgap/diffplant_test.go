package main

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"syncgap/fixtures/tenantgen"
	"syncgap/ldif"
	"syncgap/pipeline"
)

// tenantCopy is a generated tenant's AD export, Graph pages and MSOnline
// CSV read into memory, to plant changes in and write out as the
// tenant's next state.
type tenantCopy struct {
	entries []*ldif.Entry
	pages   []*graphPage
	msol    [][]string // header first
	msolCol map[string]int
	truth   []truthUser
}

type graphPage struct {
	name  string
	doc   map[string]json.RawMessage
	users []map[string]any
	dirty bool
}

// truthUser is one truth.csv row.
type truthUser struct {
	dn, id, upn, status, mobile, other, effect string
}

func readTenant(t *testing.T, dir string) *tenantCopy {
	t.Helper()
	tc := &tenantCopy{}
	f, err := os.Open(filepath.Join(dir, tenantgen.LDIFFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := ldif.NewReader(f, tenantgen.LDIFFile)
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		tc.entries = append(tc.entries, e)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, tenantgen.GraphDir, "*.json"))
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		pg := &graphPage{name: filepath.Base(p)}
		if err := json.Unmarshal(b, &pg.doc); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(pg.doc["value"], &pg.users); err != nil {
			t.Fatal(err)
		}
		tc.pages = append(tc.pages, pg)
	}
	mf, err := os.Open(filepath.Join(dir, tenantgen.MsolFile))
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	if tc.msol, err = csv.NewReader(mf).ReadAll(); err != nil {
		t.Fatal(err)
	}
	tc.msolCol = map[string]int{}
	for i, h := range tc.msol[0] {
		tc.msolCol[h] = i
	}
	col, recs := truthRecords(t, filepath.Join(dir, tenantgen.TruthFile))
	for _, r := range recs {
		tc.truth = append(tc.truth, truthUser{r[col["dn"]], strings.ToLower(r[col["entra_id"]]), r[col["upn"]],
			r[col["match_status"]], r[col["mobile_state"]], r[col["other_mobile_state"]], r[col["effect"]]})
	}
	return tc
}

// write writes the tenant into dir, a copy of the generated one: the
// LDIF with every value in base64, the changed Graph pages, the CSV.
func (tc *tenantCopy) write(t *testing.T, dir string) {
	t.Helper()
	var b bytes.Buffer
	b64 := base64.StdEncoding.EncodeToString
	for _, e := range tc.entries {
		b.WriteString("dn:: " + b64([]byte(e.DN)) + "\n")
		for _, a := range e.Attrs {
			b.WriteString(strings.Join(append([]string{a.Name}, a.Options...), ";") + ":: " + b64(a.Value) + "\n")
		}
		b.WriteString("\n")
	}
	mustWrite(t, filepath.Join(dir, tenantgen.LDIFFile), b.Bytes())
	for _, pg := range tc.pages {
		if !pg.dirty {
			continue
		}
		users, err := json.Marshal(pg.users)
		if err != nil {
			t.Fatal(err)
		}
		pg.doc["value"] = users
		page, err := json.Marshal(pg.doc)
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(dir, tenantgen.GraphDir, pg.name), page)
	}
	b.Reset()
	for _, rec := range tc.msol {
		q := make([]string, len(rec))
		for i, v := range rec {
			q[i] = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		b.WriteString(strings.Join(q, ",") + "\r\n")
	}
	mustWrite(t, filepath.Join(dir, tenantgen.MsolFile), b.Bytes())
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (tc *tenantCopy) entry(t *testing.T, dn string) *ldif.Entry {
	t.Helper()
	for _, e := range tc.entries {
		if e.DN == dn {
			return e
		}
	}
	t.Fatalf("no LDIF entry %q", dn)
	return nil
}

// attrValues are e's values of attr.
func attrValues(e *ldif.Entry, attr string) []string {
	var out []string
	for _, a := range e.Attrs {
		if strings.EqualFold(a.Name, attr) {
			out = append(out, string(a.Value))
		}
	}
	return out
}

// set replaces e's values of attr.
func set(e *ldif.Entry, attr string, vals ...string) {
	e.Attrs = slices.DeleteFunc(e.Attrs, func(a ldif.Attr) bool { return strings.EqualFold(a.Name, attr) })
	for _, v := range vals {
		e.Attrs = append(e.Attrs, ldif.Attr{Name: attr, Value: []byte(v)})
	}
}

// cloud returns the Graph user with object id id to read.
func (tc *tenantCopy) cloud(t *testing.T, id string) map[string]any {
	t.Helper()
	u, _ := tc.cloudAt(t, id)
	return u
}

// edit returns the Graph user with object id id to change, and marks its
// page for writing.
func (tc *tenantCopy) edit(t *testing.T, id string) map[string]any {
	t.Helper()
	u, pg := tc.cloudAt(t, id)
	pg.dirty = true
	return u
}

func (tc *tenantCopy) cloudAt(t *testing.T, id string) (map[string]any, *graphPage) {
	t.Helper()
	for _, pg := range tc.pages {
		for _, u := range pg.users {
			if strings.EqualFold(u["id"].(string), id) {
				return u, pg
			}
		}
	}
	t.Fatalf("no Graph user %s", id)
	return nil, nil
}

func (tc *tenantCopy) removeCloud(id string) {
	for _, pg := range tc.pages {
		n := len(pg.users)
		pg.users = slices.DeleteFunc(pg.users, func(u map[string]any) bool { return strings.EqualFold(u["id"].(string), id) })
		pg.dirty = pg.dirty || len(pg.users) != n
	}
}

func (tc *tenantCopy) removeMsol(id string) {
	tc.msol = slices.DeleteFunc(tc.msol, func(r []string) bool { return strings.EqualFold(r[tc.msolCol["ObjectId"]], id) })
}

// msolRow is the MSOnline row of object id id, or nil.
func (tc *tenantCopy) msolRow(id string) []string {
	for _, r := range tc.msol[1:] {
		if strings.EqualFold(r[tc.msolCol["ObjectId"]], id) {
			return r
		}
	}
	return nil
}

// pick returns a matched user of truth, not taken yet, whose DN, id and
// UPN no other truth row shares, for which ok holds.
func (tc *tenantCopy) pick(t *testing.T, taken map[string]bool, ok func(u truthUser, e *ldif.Entry) bool) truthUser {
	t.Helper()
	seen := map[string]int{}
	for _, u := range tc.truth {
		seen["dn:"+u.dn]++
		seen["id:"+u.id]++
		seen["upn:"+strings.ToLower(u.upn)]++
	}
	for _, u := range tc.truth {
		if u.status != "matched" || taken[u.dn] || seen["dn:"+u.dn] > 1 || seen["id:"+u.id] > 1 || seen["upn:"+strings.ToLower(u.upn)] > 1 {
			continue
		}
		if ok(u, tc.entry(t, u.dn)) {
			taken[u.dn] = true
			return u
		}
	}
	t.Fatal("the generated tenant has no user for a planted change")
	return truthUser{}
}

// planted is a change made to the tenant: the diff row it must give.
type planted struct {
	what    string
	id, dn  string // the row's entra_id and dn (AFTER's, else BEFORE's)
	key     string
	changes []pipeline.ChangeKind
	check   func(r *pipeline.DiffRow) string // more to require of the row; "" when it holds
}

// TestDiffFindsPlantedChanges audits a generated tenant, plants changes
// on both sides of a copy (AD and cloud numbers edited, users added,
// removed, renamed, moved and re-created, an AD account deleted), audits
// the copy, and requires the diff to hold exactly the planted users,
// each with the change kinds the plant implies, and nothing else.
func TestDiffFindsPlantedChanges(t *testing.T) {
	root := t.TempDir()
	gen := filepath.Join(root, "before-tenant")
	if _, err := tenantgen.Generate(tenantgen.Config{Users: 1500, Seed: 11}, gen); err != nil {
		t.Fatal(err)
	}
	next := filepath.Join(root, "after-tenant")
	if err := os.CopyFS(next, os.DirFS(gen)); err != nil {
		t.Fatal(err)
	}
	tc := readTenant(t, gen)
	plants := plantChanges(t, tc)
	tc.write(t, next)

	audit := func(tenant, out string) {
		mustAudit(t, []string{"audit", "--ldif", filepath.Join(tenant, tenantgen.LDIFFile), "--export", filepath.Join(tenant, tenantgen.GraphDir),
			"--export", filepath.Join(tenant, tenantgen.MsolFile), "--tenant-features", filepath.Join(tenant, tenantgen.FeaturesFile), "--out", out})
	}
	before, after, out := filepath.Join(root, "snap-before"), filepath.Join(root, "snap-after"), filepath.Join(root, "drift")
	audit(gen, before)
	audit(next, after)
	stdout := mustRun(t, "diff", before, after, "--out", out)

	rows, err := pipeline.ReadRows[pipeline.DiffRow](filepath.Join(out, "diff.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]planted{}
	for _, p := range plants {
		want[p.id+"|"+p.dn] = p
	}
	found := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		k := r.EntraID + "|" + r.DN
		p, ok := want[k]
		if !ok {
			t.Errorf("unplanted diff row %s %q: %v", r.UPN, k, r.Changes)
			continue
		}
		found[k] = true
		var wantKinds []string
		for _, c := range p.changes {
			wantKinds = append(wantKinds, string(c))
		}
		if !slices.Equal(r.Changes, wantKinds) || string(r.MatchKey) != p.key {
			t.Errorf("%s (%s): changes %v by %q, want %v by %q", p.what, r.UPN, r.Changes, r.MatchKey, wantKinds, p.key)
		}
		if p.check != nil {
			if msg := p.check(r); msg != "" {
				t.Errorf("%s (%s): %s", p.what, r.UPN, msg)
			}
		}
	}
	for k, p := range want {
		if !found[k] {
			t.Errorf("%s: no diff row for %q", p.what, k)
		}
	}

	// The manifest and the terminal count the same rows.
	m, err := pipeline.LoadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, o := m.Output("diff.parquet"); o == nil || o.Rows != int64(len(plants)) {
		t.Errorf("manifest records %+v, want %d rows", o, len(plants))
	}
	for _, line := range []string{"appeared       1", "disappeared       1", "upn_changed       1", "entra_id_changed       1"} {
		if !strings.Contains(strings.Join(strings.Fields(stdout), " "), strings.Join(strings.Fields(line), " ")) {
			t.Errorf("summary lacks %q:\n%s", line, stdout)
		}
	}
}

// plantChanges changes tc as a week of edits would and returns the diff
// rows they must give.
func plantChanges(t *testing.T, tc *tenantCopy) []planted {
	taken := map[string]bool{}
	var out []planted
	// inSync: a matched pair with nothing to do, whose mobile is a number.
	inSync := func(u truthUser, e *ldif.Entry) bool {
		m := attrValues(e, "mobile")
		return u.mobile == "in_sync" && u.other == "in_sync" && u.effect == "none" && len(m) == 1 && digits(m[0]) >= 7
	}
	const fresh = "+64 9 876 54" // New Zealand numbers: no generated user has one
	state := func(field string, got, wanted pipeline.State) string {
		if got != wanted {
			return field + " is " + string(got) + ", want " + string(wanted)
		}
		return ""
	}

	u := tc.pick(t, taken, inSync)
	set(tc.entry(t, u.dn), "mobile", fresh+"01")
	out = append(out, planted{what: "AD mobile edited", id: u.id, dn: u.dn, key: "entra_id",
		changes: []pipeline.ChangeKind{pipeline.ADChanged, pipeline.StateChanged, pipeline.EffectChanged},
		check: func(r *pipeline.DiffRow) string {
			return cmp.Or(state("after mobile_state", r.After.MobileState, pipeline.Mismatch),
				want(r.After.MobileAD == fresh+"01" && r.After.Effect == pipeline.OverwritesCloud, "after: AD mobile %q, effect %s", r.After.MobileAD, r.After.Effect))
		}})

	u = tc.pick(t, taken, func(u truthUser, e *ldif.Entry) bool { return u.mobile == "mismatch" })
	tc.edit(t, u.id)["mobilePhone"] = fresh + "02"
	out = append(out, planted{what: "cloud mobile edited, still different", id: u.id, dn: u.dn, key: "entra_id",
		changes: []pipeline.ChangeKind{pipeline.CloudChanged},
		check: func(r *pipeline.DiffRow) string {
			return want(r.Before.MobileEntra != r.After.MobileEntra && r.After.MobileEntra == fresh+"02", "cloud mobile %q → %q", r.Before.MobileEntra, r.After.MobileEntra)
		}})

	u = tc.pick(t, taken, func(u truthUser, e *ldif.Entry) bool {
		return u.mobile == "mismatch" && u.other == "in_sync" && u.effect == "overwrites_cloud" && len(attrValues(e, "mobile")) == 1
	})
	tc.edit(t, u.id)["mobilePhone"] = attrValues(tc.entry(t, u.dn), "mobile")[0]
	out = append(out, planted{what: "cloud mobile set to AD's: drifted → in sync", id: u.id, dn: u.dn, key: "entra_id",
		changes: []pipeline.ChangeKind{pipeline.CloudChanged, pipeline.StateChanged, pipeline.EffectChanged},
		check: func(r *pipeline.DiffRow) string {
			return cmp.Or(state("before mobile_state", r.Before.MobileState, pipeline.Mismatch), state("after mobile_state", r.After.MobileState, pipeline.InSync),
				want(r.After.Effect == pipeline.NoEffect, "after effect %s", r.After.Effect))
		}})

	u = tc.pick(t, taken, inSync)
	e := tc.entry(t, u.dn)
	set(e, "otherMobile", append(attrValues(e, "otherMobile"), fresh+"03")...)
	out = append(out, planted{what: "AD otherMobile edited", id: u.id, dn: u.dn, key: "entra_id",
		changes: []pipeline.ChangeKind{pipeline.ADChanged, pipeline.StateChanged, pipeline.EffectChanged},
		check: func(r *pipeline.DiffRow) string {
			return want(slices.Contains(r.After.OtherMobileAD, fresh+"03") && r.Before.MobileAD == r.After.MobileAD, "after AD otherMobile %q", r.After.OtherMobileAD)
		}})

	u = tc.pick(t, taken, func(u truthUser, e *ldif.Entry) bool { return inSync(u, e) && tc.msolRow(u.id) != nil })
	row := tc.msolRow(u.id)
	alt := &row[tc.msolCol["AlternateMobilePhones"]]
	*alt = strings.Trim(*alt+";"+fresh+"04", ";")
	out = append(out, planted{what: "cloud otherMobile edited (MSOnline export)", id: u.id, dn: u.dn, key: "entra_id",
		changes: []pipeline.ChangeKind{pipeline.CloudChanged, pipeline.StateChanged, pipeline.EffectChanged},
		check: func(r *pipeline.DiffRow) string {
			return want(slices.Contains(r.After.OtherMobileEntra, fresh+"04"), "after cloud otherMobile %q", r.After.OtherMobileEntra)
		}})

	u = tc.pick(t, taken, inSync)
	tc.entries = slices.DeleteFunc(tc.entries, func(e *ldif.Entry) bool { return e.DN == u.dn })
	tc.removeCloud(u.id)
	tc.removeMsol(u.id)
	out = append(out, planted{what: "user removed on both sides", id: u.id, dn: u.dn, changes: []pipeline.ChangeKind{pipeline.Disappeared},
		check: func(r *pipeline.DiffRow) string {
			return want(!r.After.Present() && r.Before.MatchStatus == pipeline.Matched, "before %+v after %+v", r.Before, r.After)
		}})

	addedDN := "CN=Zed Planted,OU=Users,OU=Redmond,OU=Americas,DC=contoso,DC=com"
	tc.entries = append(tc.entries, &ldif.Entry{DN: addedDN, Attrs: []ldif.Attr{
		{Name: "objectClass", Value: []byte("top")}, {Name: "objectClass", Value: []byte("person")},
		{Name: "objectClass", Value: []byte("organizationalPerson")}, {Name: "objectClass", Value: []byte("user")},
		{Name: "cn", Value: []byte("Zed Planted")},
		{Name: "userAccountControl", Value: []byte("512")}, {Name: "whenChanged", Value: []byte("20241201120000.0Z")},
		{Name: "objectGUID", Value: []byte("planted-guid-001")}, {Name: "sAMAccountName", Value: []byte("zplanted")},
		{Name: "userPrincipalName", Value: []byte("zed.planted@contoso.com")}, {Name: "mobile", Value: []byte(fresh + "05")},
	}})
	out = append(out, planted{what: "AD user added", dn: addedDN, changes: []pipeline.ChangeKind{pipeline.Appeared},
		check: func(r *pipeline.DiffRow) string {
			return cmp.Or(want(!r.Before.Present(), "before side %+v", r.Before), want(r.After.MatchStatus == pipeline.ADOnly, "after match %s", r.After.MatchStatus))
		}})

	// Renamed on both sides; the sourceAnchor keeps the pair.
	u = tc.pick(t, taken, func(u truthUser, e *ldif.Entry) bool {
		c := tc.cloud(t, u.id)
		return c["userPrincipalName"] == u.upn && c["onPremisesUserPrincipalName"] == u.upn && c["onPremisesImmutableId"] != nil
	})
	renamed, oldUPN := "renamed.planted@contoso.com", u.upn
	set(tc.entry(t, u.dn), "userPrincipalName", renamed)
	c := tc.edit(t, u.id)
	c["userPrincipalName"], c["onPremisesUserPrincipalName"] = renamed, renamed
	if r := tc.msolRow(u.id); r != nil {
		r[tc.msolCol["UserPrincipalName"]] = renamed
	}
	out = append(out, planted{what: "renamed (UPN changed, same entra id)", id: u.id, dn: u.dn, key: "entra_id",
		changes: []pipeline.ChangeKind{pipeline.UPNChanged},
		check: func(r *pipeline.DiffRow) string {
			return want(r.UPN == renamed && r.Before.UPN == oldUPN, "upn %q, before %q", r.UPN, r.Before.UPN)
		}})

	// Moved to another OU: the DN changes on both sides, the object id stays.
	u = tc.pick(t, taken, func(u truthUser, e *ldif.Entry) bool {
		return tc.cloud(t, u.id)["onPremisesImmutableId"] != nil && !strings.Contains(u.dn, `\`)
	})
	moved := strings.Replace(u.dn, ",", ",OU=Moved,", 1)
	tc.entry(t, u.dn).DN = moved
	tc.edit(t, u.id)["onPremisesDistinguishedName"] = moved
	out = append(out, planted{what: "moved in AD (DN changed)", id: u.id, dn: moved, key: "entra_id",
		changes: []pipeline.ChangeKind{pipeline.DNChanged}})

	// The cloud account deleted and synced again: a new object id, the
	// same AD user.
	u = tc.pick(t, taken, func(u truthUser, e *ldif.Entry) bool { return tc.cloud(t, u.id)["onPremisesImmutableId"] != nil })
	newID := "00000000-0000-4000-8000-00000000d1ff"
	tc.edit(t, u.id)["id"] = newID
	if r := tc.msolRow(u.id); r != nil {
		r[tc.msolCol["ObjectId"]] = newID
	}
	out = append(out, planted{what: "new cloud account, same DN", id: newID, dn: u.dn, key: "dn",
		changes: []pipeline.ChangeKind{pipeline.EntraIDChanged}})

	// The AD account deleted: its cloud user is left synced with no AD user.
	u = tc.pick(t, taken, func(u truthUser, e *ldif.Entry) bool {
		c := tc.cloud(t, u.id)
		return inSync(u, e) && c["userPrincipalName"] == u.upn && c["onPremisesSyncEnabled"] == true
	})
	deleted := u.dn
	tc.entries = slices.DeleteFunc(tc.entries, func(e *ldif.Entry) bool { return e.DN == deleted })
	out = append(out, planted{what: "AD account deleted (verdict change)", id: u.id, key: "entra_id",
		changes: []pipeline.ChangeKind{pipeline.MatchChanged, pipeline.StateChanged},
		check: func(r *pipeline.DiffRow) string {
			return cmp.Or(want(r.After.MatchStatus == pipeline.OrphanedSynced, "after match %s", r.After.MatchStatus),
				want(r.Before.DN == deleted, "before dn %q", r.Before.DN))
		}})
	sort.Slice(out, func(i, j int) bool { return out[i].what < out[j].what })
	return out
}

// want is "" when ok holds, else the message.
func want(ok bool, format string, a ...any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf(format, a...)
}

// digits counts the decimal digits in s.
func digits(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}

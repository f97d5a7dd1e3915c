package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// verify-cloud finds exactly the planted users: a flip is simulated by
// writing the later cloud export from the forecast (the cloud equals AD for
// every user), except for a few left as they were (not converged) and a
// few whose AD value changed after the plan (changed since).
func TestVerifyCloudFindsThePlanted(t *testing.T) {
	work := t.TempDir()
	gen := filepath.Join(work, "t")
	mustRun(t, "fixtures", "generate", "--users", "600", "--seed", "11", "--out", gen)
	before := filepath.Join(work, "before")
	mustRun(t, "audit", "--ldif", filepath.Join(gen, "ad.ldif"), "--export", filepath.Join(gen, "graph"),
		"--tenant-features", filepath.Join(gen, "tenant-features.json"), "--out", before)
	// ad-wins writes nothing to AD: approve_all leaves AD as it is, and
	// the switch copies it to the cloud.
	mustRun(t, "plan", "--snapshot", before, "--policy", "ad-wins")
	forecast, err := pipeline.ReadRows[pipeline.ForecastRow](filepath.Join(before, "forecast.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	ldif, err := os.ReadFile(filepath.Join(gen, "ad.ldif"))
	if err != nil {
		t.Fatal(err)
	}
	after := map[string][]string{} // cloud id → mobile the later export holds
	var notConverged, changedSince []string
	adText := string(ldif)
	for _, f := range forecast {
		if f.Scenario != pipeline.ApproveAll || f.Attribute != "mobile" {
			continue
		}
		after[f.EntraID] = f.CloudAfter
		switch {
		case len(notConverged) < 3 && f.CloudBefore != nil && !slices.Equal(f.CloudBefore, f.CloudAfter):
			notConverged = append(notConverged, f.EntraID)
			after[f.EntraID] = f.CloudBefore // sync never got to it
		case len(changedSince) < 2 && len(f.CloudAfter) == 1 && plainMobile(adText, f.DN, f.CloudAfter[0]):
			n := fmt.Sprintf("+1 425 555 01%02d", 90+len(changedSince))
			adText = strings.Replace(adText, "dn: "+f.DN+"\n", "dn: "+f.DN+"\n# changed after the plan\n", 1)
			adText = replaceMobile(adText, f.DN, f.CloudAfter[0], n)
			changedSince = append(changedSince, f.EntraID)
			after[f.EntraID] = []string{n} // sync copied the new AD value
		}
	}
	if len(notConverged) < 3 || len(changedSince) < 2 {
		t.Fatalf("the tenant gave %d users to leave unconverged and %d to change in AD", len(notConverged), len(changedSince))
	}
	later := filepath.Join(work, "later")
	os.MkdirAll(filepath.Join(later, "graph"), 0o755)
	os.WriteFile(filepath.Join(later, "ad.ldif"), []byte(adText), 0o644)
	rewritePages(t, filepath.Join(gen, "graph"), filepath.Join(later, "graph"), after)
	features, _ := os.ReadFile(filepath.Join(gen, "tenant-features.json"))
	on := strings.Replace(string(features), `"bypassDirSyncOverridesEnabled":false`, `"bypassDirSyncOverridesEnabled":true`, 1)
	if on == string(features) {
		t.Fatal("tenant-features.json has no bypass flag set false")
	}
	os.WriteFile(filepath.Join(later, "tenant-features.json"), []byte(on), 0o644)
	afterSnap := filepath.Join(work, "after")
	mustRun(t, "audit", "--ldif", filepath.Join(later, "ad.ldif"), "--export", filepath.Join(later, "graph"),
		"--tenant-features", filepath.Join(later, "tenant-features.json"), "--out", afterSnap)

	stdout, stderr, code := syncgap(t, "verify-cloud", "--snapshot", before, "--after", afterSnap)
	if code != 5 || !strings.Contains(stderr, "3 cloud values did not converge") {
		t.Fatalf("exit %d, want 5\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	rows, err := pipeline.ReadRows[pipeline.VerifyCloudRow](filepath.Join(before, "verify_cloud.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[pipeline.CloudStatus][]string{}
	mobileRows := 0
	for _, r := range rows {
		if r.Attribute == "otherMobile" {
			// The later audit is Graph-only: no cloud otherMobile to check.
			if r.Status != pipeline.CloudUnknown && r.Status != pipeline.ChangedSince {
				t.Errorf("otherMobile of %s: %s (%s)", r.UPN, r.Status, r.Reason)
			}
			continue
		}
		mobileRows++
		if r.Status != pipeline.Converged {
			got[r.Status] = append(got[r.Status], r.EntraID)
		}
	}
	slices.Sort(notConverged)
	slices.Sort(changedSince)
	for st, want := range map[pipeline.CloudStatus][]string{pipeline.NotConverged: notConverged, pipeline.ChangedSince: changedSince} {
		slices.Sort(got[st])
		if !slices.Equal(got[st], want) {
			t.Errorf("%s: got %v, planted %v", st, got[st], want)
		}
		delete(got, st)
	}
	if len(got) > 0 {
		t.Errorf("statuses nobody planted: %v", got)
	}
	if mobileRows != len(after) {
		t.Errorf("%d mobile rows checked, the forecast has %d", mobileRows, len(after))
	}
	if !strings.Contains(stdout, "not converged 3") || !strings.Contains(stdout, "changed in AD since the plan 2") {
		t.Errorf("summary:\n%s", stdout)
	}

	// The Post-change sheet, read by gnumeric, lists the same values.
	upnOf := map[string]string{}
	for _, f := range forecast {
		upnOf[f.EntraID] = f.UPN
	}
	sheets := ssconvertSheets(t, filepath.Join(before, "post-change.xlsx"))
	var listed []string
	for _, rec := range sheets["Post-change"][1:] {
		if rec[0] == string(pipeline.NotConverged) {
			listed = append(listed, rec[1])
		}
	}
	var plantedUPNs []string
	for _, id := range notConverged {
		plantedUPNs = append(plantedUPNs, upnOf[id])
	}
	slices.Sort(listed)
	slices.Sort(plantedUPNs)
	if !slices.Equal(listed, plantedUPNs) {
		t.Errorf("Post-change lists %v as not converged, planted %v", listed, plantedUPNs)
	}
	if !strings.Contains(fmt.Sprint(sheets["Summary"]), "Not converged: the cloud still differs 3") {
		t.Errorf("Summary: %v", sheets["Summary"])
	}

	// A later audit whose flag is off is refused: nothing was flipped.
	_, stderr, code = syncgap(t, "verify-cloud", "--snapshot", before, "--after", before)
	if code != 1 || !strings.Contains(stderr, "BypassDirSyncOverridesEnabled is off in this audit's tenant table") {
		t.Errorf("flag off: exit %d\n%s", code, stderr)
	}
}

// plainMobile tells whether the LDIF entry of dn holds exactly "mobile: v".
func plainMobile(ldif, dn, v string) bool {
	entry, ok := ldifEntry(ldif, dn)
	return ok && strings.Count(entry, "\nmobile: "+v+"\n") == 1
}

func replaceMobile(ldif, dn, old, new string) string {
	entry, _ := ldifEntry(ldif, dn)
	return strings.Replace(ldif, entry, strings.Replace(entry, "\nmobile: "+old+"\n", "\nmobile: "+new+"\n", 1), 1)
}

// ldifEntry is the text of dn's entry, up to the blank line after it.
func ldifEntry(ldif, dn string) (string, bool) {
	i := strings.Index(ldif, "dn: "+dn+"\n")
	if i < 0 {
		return "", false
	}
	j := strings.Index(ldif[i:], "\n\n")
	if j < 0 {
		return ldif[i:], true
	}
	return ldif[i : i+j+1], true
}

// rewritePages copies Graph page files, setting each listed user's
// mobilePhone to its value there (none: null).
func rewritePages(t *testing.T, from, to string, mobile map[string][]string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var page map[string]any
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		for _, u := range page["value"].([]any) {
			user := u.(map[string]any)
			if v, ok := mobile[strings.ToLower(user["id"].(string))]; ok {
				if len(v) == 0 {
					user["mobilePhone"] = nil
				} else {
					user["mobilePhone"] = v[0]
				}
			}
		}
		out, _ := json.Marshal(page)
		os.WriteFile(filepath.Join(to, e.Name()), out, 0o644)
	}
}

// ssconvertSheets reads every sheet of a workbook with gnumeric, as CSV
// records by sheet name.
func ssconvertSheets(t *testing.T, book string) map[string][][]string {
	t.Helper()
	ssconvert, err := exec.LookPath("ssconvert")
	if err != nil {
		t.Fatalf("ssconvert: %v (make test installs gnumeric)", err)
	}
	dir := t.TempDir()
	if o, err := exec.Command(ssconvert, "-S", book, filepath.Join(dir, "%s.csv")).CombinedOutput(); err != nil {
		t.Fatalf("ssconvert: %v\n%s", err, o)
	}
	entries, _ := os.ReadDir(dir)
	out := map[string][][]string{}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[strings.TrimSuffix(e.Name(), ".csv")] = recs
	}
	return out
}

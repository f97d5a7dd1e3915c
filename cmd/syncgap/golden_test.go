package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"syncgap/pipeline"
)

// goldenDemo holds the SHA-256 of every file the demo audit and three plans
// write, recorded before the package restructuring of docs/architecture.md:
// a refactor must leave every output byte-identical. The commands run in
// process, so the tool version written into the workbooks is the test
// binary's ("syncgap (devel)"), not a VCS revision that changes per commit.
var goldenDemo = map[string]string{
	"--policy ad-wins --enable-bypass --only-ou OU=EMEA,DC=contoso,DC=com/changes.ldif": "c4794603c913f21d086ef734a1dc802f9c13dc09178f9e30a3850afadf4e022a",
	"--policy ad-wins --enable-bypass --only-ou OU=EMEA,DC=contoso,DC=com/plan.parquet": "55f203a35daac3cb87b3711b6228217cd76169696fc9d76f53e4ad0b1fcec6d0",
	"--policy ad-wins --enable-bypass --only-ou OU=EMEA,DC=contoso,DC=com/plan_hash":    "06d28e464ad041764f399e3381c42504e983563f19753038065ebb6cf1823838",
	"--policy ad-wins --enable-bypass --only-ou OU=EMEA,DC=contoso,DC=com/report.xlsx":  "3fdc1b812d217b425b6c338ceaa1017de68923010ce4708234d0ac9a5d95eceb",
	"--policy entra-wins --enable-bypass/changes.ldif":                                  "384827c21a3c268423067c8e657ee14ecc98a54e288539abcc6352afff9e508c",
	"--policy entra-wins --enable-bypass/plan.parquet":                                  "1b6e084729f6515a8e5d3c9d0138b7f61374cf881731308bf9695281d581bff8",
	"--policy entra-wins --enable-bypass/plan_hash":                                     "8c93ab86e68d20f687bc00541d78119783a681633bc7dc31a60f6c7bf96b74ac",
	"--policy entra-wins --enable-bypass/report.xlsx":                                   "8aff24beeb81410ad60a77c9a2a9d029735795e4863abf8deb856bd86272f159",
	"--policy review --normalize/changes.ldif":                                          "d266482d2a6c536623a9f185abd7ba9dd65df2e83be41300c55876cb3d5b71a4",
	"--policy review --normalize/plan.parquet":                                          "2e7937282b016bf182d36e2c980c7f9a06a5544befbaafa711b01b58dc629233",
	"--policy review --normalize/plan_hash":                                             "0a86795f4bb0ede74b8ea1e23e0e7662fc68cbe42682f3a1473184f6111c3b2f",
	"--policy review --normalize/report.xlsx":                                           "8a04ddf1535de81f61e9949020675eb5791c6b9eb42c8dcd64d3a27eedad25af",
	"audit/ad_users.parquet":                                                            "590e8f4cb195484543ab21d8e3ffae988439421ab861ca3f144620fbc0a253c1",
	"audit/entra_users.parquet":                                                         "a7e3b8ae30f64c2b149447f3021e631a7ef37c7725488041b5a46a68abcf85fc",
	"audit/gaps.parquet":                                                                "6d657a34292d599145dfde7925b62a4b767819abc49c431e79872018db2509ea",
	"audit/joined.parquet":                                                              "b87e52188ad78df6b51ce4c3a7ca6022e705aad35066c385d0c8ec60fd5a9518",
	"audit/report.xlsx":                                                                 "45b386a7c5f0dfb6d6226ea653d561369fc8489bd7dbc40d4cae30f7a49e6cbd",
	"audit/tenant.parquet":                                                              "7a125ef2fa12a4bc88499fc23f823dadc0e44b52a09cc8bf9e2dd060adfd515e",
}

// runInProcess runs the CLI as main would, without a separate process.
func runInProcess(t *testing.T, args ...string) string {
	t.Helper()
	root := newRoot()
	var out strings.Builder
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("syncgap %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

func snapshotHashes(t *testing.T, dir, prefix string, into map[string]string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == pipeline.ManifestFile || e.IsDir() || (prefix != "audit/" && strings.HasSuffix(e.Name(), ".parquet") && e.Name() != "plan.parquet") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		into[prefix+e.Name()] = hex.EncodeToString(sum[:])
	}
	m, err := pipeline.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Stages {
		if s.Stage == "plan" {
			into[prefix+"plan_hash"] = planHashOf(s)
		}
	}
}

func TestDemoOutputsUnchanged(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "snap")
	runInProcess(t, demoArgs(t, snap)...)
	got := map[string]string{}
	snapshotHashes(t, snap, "audit/", got)
	for _, p := range [][]string{
		{"--policy", "entra-wins", "--enable-bypass"},
		{"--policy", "review", "--normalize"},
		{"--policy", "ad-wins", "--enable-bypass", "--only-ou", "OU=EMEA,DC=contoso,DC=com"},
	} {
		runInProcess(t, append([]string{"plan", "--snapshot", snap}, p...)...)
		snapshotHashes(t, snap, strings.Join(p, " ")+"/", got)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(goldenDemo) == 0 {
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "\t%q: %q,\n", k, got[k])
		}
		t.Fatalf("no golden hashes recorded; these are today's:\n%s", b.String())
	}
	for _, k := range keys {
		if want, ok := goldenDemo[k]; !ok {
			t.Errorf("%s: new output, not in the recorded set", k)
		} else if want != got[k] {
			t.Errorf("%s: sha256 %s, recorded %s", k, got[k], want)
		}
	}
	for k := range goldenDemo {
		if _, ok := got[k]; !ok {
			t.Errorf("%s: recorded but not written any more", k)
		}
	}
}

func planHashOf(s pipeline.StageRecord) string { return s.Detail["plan_hash"] }

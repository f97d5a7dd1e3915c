package pipeline_test

import (
	"os/exec"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"
)

// depsPolicy is the statement of which of this module's packages may import
// which, in the manner of go/build's deps_test.go (docs/architecture.md,
// "Packages"). A package of the module that no rule names fails the test,
// so a new package takes a decision here. Patterns use path.Match.
//
//	pipeline      the base everything stands on: no package of ours
//	leaf packages what several stages share, beside each other
//	stages/*      pipeline, the workbook and the leaves, never another stage
//	cmd, fixtures anything
var depsPolicy = []struct {
	pkg   string
	allow []string
}{
	{"syncgap/pipeline", nil},
	{"syncgap/phone", nil},
	{"syncgap/ldapconn", nil},
	{"syncgap/ldif", []string{"syncgap/pipeline"}},
	{"syncgap/workbook", []string{"syncgap/pipeline"}},
	{"syncgap/planfile", []string{"syncgap/pipeline", "syncgap/ldif", "syncgap/workbook"}},
	{"syncgap/forecast", []string{"syncgap/pipeline", "syncgap/phone"}},
	{"syncgap/stages/*", leavesAnd()},
	// The live Graph source lives under its stage and writes that stage's tables.
	{"syncgap/stages/extractentra/livegraph", leavesAnd("syncgap/stages/extractentra")},
	{"syncgap/cmd/*", []string{"*"}},
	{"syncgap/fixtures/*", []string{"*"}},
	{"syncgap/fixtures/*/*", []string{"*"}},
	{"syncgap/fixtures/*/*/*", []string{"*"}},
}

func leavesAnd(more ...string) []string {
	return append([]string{"syncgap/pipeline", "syncgap/workbook", "syncgap/ldif", "syncgap/ldapconn", "syncgap/phone", "syncgap/planfile", "syncgap/forecast"}, more...)
}

// sdkImporters may import msgraph-sdk-go directly: its models package costs
// minutes and gigabytes to compile (docs/dependencies.md, "msgraph-sdk-go").
var sdkImporters = []string{"syncgap/stages/extractentra/livegraph"}

func TestImportPolicy(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "syncgap/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list found only %d packages", len(lines))
	}
	var bad []string
	for _, line := range lines {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		allow, ok := policyFor(pkg)
		if !ok {
			bad = append(bad, pkg+": no rule in depsPolicy")
			continue
		}
		for _, imp := range imports {
			if strings.HasPrefix(imp, "github.com/microsoftgraph/") && !slices.Contains(sdkImporters, pkg) {
				bad = append(bad, pkg+" imports "+imp+": only "+strings.Join(sdkImporters, ", ")+" may")
			}
			if !strings.HasPrefix(imp, "syncgap/") || imp == pkg {
				continue
			}
			if !matchesAny(allow, imp) {
				bad = append(bad, pkg+" imports "+imp)
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}

// policyFor is the allow list of the most specific rule naming pkg.
func policyFor(pkg string) ([]string, bool) {
	var best []string
	bestLen, found := -1, false
	for _, r := range depsPolicy {
		if ok, _ := path.Match(r.pkg, pkg); ok && len(r.pkg) > bestLen {
			best, bestLen, found = r.allow, len(r.pkg), true
		}
	}
	return best, found
}

func matchesAny(patterns []string, imp string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, imp); ok || p == "*" {
			return true
		}
	}
	return false
}

// TestImportPolicyCatches proves the policy is not vacuous: the rules
// refuse a stage importing a stage, and pipeline importing anything of ours.
func TestImportPolicyCatches(t *testing.T) {
	for _, tc := range []struct{ pkg, imp string }{
		{"syncgap/stages/plan", "syncgap/stages/classify"},
		{"syncgap/stages/apply", "syncgap/stages/plan"},
		{"syncgap/pipeline", "syncgap/workbook"},
		{"syncgap/workbook", "syncgap/stages/report"},
	} {
		allow, ok := policyFor(tc.pkg)
		if !ok || matchesAny(allow, tc.imp) {
			t.Errorf("%s importing %s is allowed", tc.pkg, tc.imp)
		}
	}
}

package livegraph

import (
	"os/exec"
	"strings"
	"testing"
)

// heavy are the module prefixes only this package (and the binary that
// links it) may depend on: msgraph-sdk-go's models package alone costs
// minutes and gigabytes to compile (docs/dependencies.md).
var heavy = []string{"github.com/microsoftgraph/", "github.com/microsoft/kiota", "github.com/Azure/azure-sdk-for-go/"}

const self = "syncgap/stages/extractentra/livegraph"

// TestOnlyThisPackageImportsTheSDK lists every package of the module with
// its dependencies, tests included, and fails on any but this package and
// cmd/syncgap that depends on the SDK, and on any but this package that
// imports msgraph-sdk-go directly.
func TestOnlyThisPackageImportsTheSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-test",
		"-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", "syncgap/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, "|", 3)
		if len(f) != 3 {
			t.Fatalf("go list line %q", line)
		}
		// Test variants are listed as "pkg [pkg.test]" and "pkg.test".
		pkg, _, _ := strings.Cut(f[0], " ")
		pkg = strings.TrimSuffix(pkg, ".test")
		pkg = strings.TrimSuffix(pkg, "_test")
		for _, imp := range strings.Fields(f[1]) {
			if strings.HasPrefix(imp, "github.com/microsoftgraph/msgraph-sdk-go") && pkg != self {
				t.Errorf("%s imports %s: only %s may", f[0], imp, self)
			}
		}
		if pkg == self || pkg == "syncgap/cmd/syncgap" {
			continue
		}
		checked++
		for _, dep := range strings.Fields(f[2]) {
			for _, h := range heavy {
				if strings.HasPrefix(dep, h) {
					t.Errorf("%s depends on %s: its tests would compile the Graph SDK", f[0], dep)
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d packages checked: is the listing right?", checked)
	}
}

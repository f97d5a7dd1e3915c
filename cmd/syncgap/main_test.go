package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// bin is the syncgap binary built once for the tests that need real exit
// codes and a separate process.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "syncgap-bin-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "syncgap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncgap runs the binary and returns stdout, stderr and the exit code.
func syncgap(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return o.String(), e.String(), ee.ExitCode()
		}
		t.Fatalf("run syncgap: %v", err)
	}
	return o.String(), e.String(), 0
}

// repoRoot is the module root, for fixtures.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// demoArgs are the audit arguments for the embedded demo tenant.
func demoArgs(t *testing.T, out string) []string {
	d := filepath.Join(repoRoot(t), "fixtures", "demo")
	return []string{"audit", "--ldif", filepath.Join(d, "ad.ldif"), "--export", filepath.Join(d, "graph"),
		"--export", filepath.Join(d, "msol.csv"), "--tenant-features", filepath.Join(d, "tenant-features.json"), "--out", out}
}

func mustAudit(t *testing.T, args []string) string {
	t.Helper()
	stdout, stderr, code := syncgap(t, args...)
	if code != 0 {
		t.Fatalf("audit exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	return stdout
}

// treeHashes maps every file under dir to the SHA-256 of its content (a
// FIFO to its kind: reading one would block).
func treeHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.Type().IsRegular() {
			got[rel] = d.Type().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		got[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

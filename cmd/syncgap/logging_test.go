package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// By default the terminal gets the summary, not log lines; the snapshot's
// syncgap.log gets what each command ran, wrote and how it ended, refusals
// included; -v puts the log lines on stderr too.
func TestLogGoesToTheSnapshot(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "snap")
	stdout, stderr, code := syncgap(t, demoArgs(t, snap)...)
	if code != 0 {
		t.Fatalf("audit exit %d\n%s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("a quiet audit wrote to stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, "Report:") {
		t.Errorf("no summary on stdout:\n%s", stdout)
	}
	log := readLog(t, snap)
	for _, want := range []string{`command="syncgap audit --ldif `, "msg=wrote stage=extract-ad file=ad_users.parquet rows=290", "msg=wrote stage=report file=report.xlsx", `result="ok"`} {
		if !strings.Contains(log, want) {
			t.Errorf("syncgap.log lacks %q:\n%s", want, log)
		}
	}

	_, stderr, code = syncgap(t, "-v", "plan", "--snapshot", snap, "--policy", "entra-wins")
	if code != 0 || !strings.Contains(stderr, "level=INFO msg=wrote stage=plan file=plan.parquet") || !strings.Contains(stderr, "level=DEBUG") {
		t.Errorf("-v: exit %d, stderr:\n%s", code, stderr)
	}
	_, _, code = syncgap(t, "approve", "--snapshot", snap, "--workbook", filepath.Join(snap, "report.xlsx"))
	if code == 0 {
		t.Fatal("an unsigned workbook was approved")
	}
	log2 := readLog(t, snap)
	if !strings.HasPrefix(log2, log) {
		t.Error("syncgap.log was rewritten, not appended to")
	}
	tail := log2[len(log):]
	for _, want := range []string{`command="syncgap -v plan`, "level=DEBUG", `command="syncgap approve`, `result="error: `} {
		if !strings.Contains(tail, want) {
			t.Errorf("syncgap.log lacks %q:\n%s", want, tail)
		}
	}
	if strings.Count(tail, "command=") != 2 || strings.Count(tail, "result=") != 2 {
		t.Errorf("want two commands, each with its result:\n%s", tail)
	}
}

func readLog(t *testing.T, snap string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(snap, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCommandLineHidesURLCredentials(t *testing.T) {
	got := commandLine([]string{"extract-entra", "--graph-endpoint", "https://admin:S3cret@graph.example", "--ldap", "ldaps://dc01", "a@b.c"})
	want := "syncgap extract-entra --graph-endpoint https://…@graph.example --ldap ldaps://dc01 a@b.c"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

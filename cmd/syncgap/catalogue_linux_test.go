//go:build linux

package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"syncgap/pipeline"
)

// TestHostileInputCatalogue runs the binary on every hostile or broken input
// docs/testing.md lists ("Hostile inputs"), each in a directory of its own.
// Each must end in one error line that names the file and the position (or
// sheet and cell), holds no control character and no secret and is short;
// exit non-zero; and change no file in its directory (every file is hashed
// before and after, the snapshot's too). The harness measures each run's
// wall time and peak RSS, logs both, and bounds them for the bombs.
func TestHostileInputCatalogue(t *testing.T) {
	demo := filepath.Join(repoRoot(t), "fixtures", "demo")
	planned := filepath.Join(t.TempDir(), "planned")
	mustAudit(t, demoArgs(t, planned))
	mustRun(t, "plan", "--snapshot", planned, "--policy", "entra-wins", "--enable-bypass")
	var decided pipeline.Action // an action the board decides on, a row of the Plan sheet
	for _, a := range readPlan(t, planned) {
		if a.Kind == pipeline.KindWrite {
			decided = a
			break
		}
	}
	book := filepath.Join(planned, "report.xlsx")
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatalf("prlimit (util-linux) is needed to simulate a full disk: %v", err)
	}

	// snap copies the planned demo snapshot into dir.
	snap := func(t *testing.T, dir string) string {
		s := filepath.Join(dir, "snap")
		copyTree(t, planned, s)
		return s
	}
	// audit returns audit arguments with the demo LDIF, features and the
	// export(s) given.
	audit := func(dir string, exports ...string) []string {
		args := []string{"audit", "--ldif", filepath.Join(demo, "ad.ldif"), "--out", filepath.Join(dir, "out")}
		for _, e := range exports {
			args = append(args, "--export", e)
		}
		return args
	}
	write := func(t *testing.T, path, content string) string {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	demoFile := func(t *testing.T, name string) string {
		b, err := os.ReadFile(filepath.Join(demo, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	approve := func(s, w string) []string {
		return []string{"approve", "--snapshot", s, "--workbook", w}
	}
	const page = `{"value":[{"id":"00000000-0000-0000-0000-000000000001","userPrincipalName":"a@x.com","onPremisesSyncEnabled":true}]}`

	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) []string // the arguments
		want  string                                  // regexp of the error line
		bomb  bool                                    // bound its time and memory
		wrap  []string                                // run the binary through this command
		// hold runs beside the binary (e.g. takes a lock) and returns its undo.
		hold func(t *testing.T, dir string) func()
	}{
		// Outputs: only a snapshot's own directory, never anything else.
		{name: "out names the input file", want: `ad\.ldif is a file, not a snapshot directory`,
			setup: func(t *testing.T, dir string) []string {
				in := write(t, filepath.Join(dir, "ad.ldif"), demoFile(t, "ad.ldif"))
				return []string{"audit", "--ldif", in, "--export", filepath.Join(demo, "graph"), "--out", in}
			}},
		{name: "replace a directory that is not a snapshot", want: `pages is not a syncgap snapshot`,
			setup: func(t *testing.T, dir string) []string {
				pages := filepath.Join(dir, "pages")
				copyTree(t, filepath.Join(demo, "graph"), pages)
				return []string{"audit", "--ldif", filepath.Join(demo, "ad.ldif"), "--export", filepath.Join(demo, "graph"), "--out", pages, "--replace"}
			}},
		{name: "out holds other files", want: `notes already holds files`,
			setup: func(t *testing.T, dir string) []string {
				os.Mkdir(filepath.Join(dir, "notes"), 0o755)
				write(t, filepath.Join(dir, "notes", "todo.txt"), "call the CAB\n")
				return []string{"audit", "--ldif", filepath.Join(demo, "ad.ldif"), "--export", filepath.Join(demo, "graph"), "--out", filepath.Join(dir, "notes")}
			}},
		{name: "manifest path outside the snapshot", want: `manifest\.json: corrupt manifest: stage classify output "\.\./victim\.txt"`,
			setup: func(t *testing.T, dir string) []string {
				s := snap(t, dir)
				write(t, filepath.Join(dir, "victim.txt"), "precious\n")
				m := filepath.Join(s, pipeline.ManifestFile)
				b, _ := os.ReadFile(m)
				write(t, m, strings.Replace(string(b), `"file": "gaps.parquet"`, `"file": "../victim.txt"`, 1))
				return []string{"replay", s}
			}},
		{name: "plan on a full disk", want: `report\.xlsx.*file too large`, wrap: []string{prlimit, "--fsize=50000", "--"},
			setup: func(t *testing.T, dir string) []string {
				return []string{"plan", "--snapshot", snap(t, dir), "--policy", "ad-wins", "--replace"}
			}},
		{name: "a second writer on the snapshot", want: `snap: another syncgap command is writing this snapshot`,
			setup: func(t *testing.T, dir string) []string {
				return []string{"plan", "--snapshot", snap(t, dir), "--policy", "ad-wins", "--replace"}
			},
			hold: func(t *testing.T, dir string) func() {
				unlock, err := pipeline.LockSnapshot(filepath.Join(dir, "snap"))
				if err != nil {
					t.Fatal(err)
				}
				return unlock
			}},

		// Workbooks: bombs, damage anywhere, formulas where a decision goes.
		{name: "workbook part declaring 3 GB", bomb: true, want: `bomb\.xlsx: .*declares 3072 MB uncompressed`,
			setup: func(t *testing.T, dir string) []string {
				w := filepath.Join(dir, "bomb.xlsx")
				rewriteZip(t, book, w, planPart(t, book), func(e *zipPart) { e.size = 3 << 30 })
				return approve(snap(t, dir), w)
			}},
		{name: "workbook part inflating past its declared size", bomb: true, want: `bomb\.xlsx: sheet "Plan" \(xl/worksheets/sheet\d+\.xml\): inflates to more than the 4096 bytes its header declares`,
			setup: func(t *testing.T, dir string) []string {
				w := filepath.Join(dir, "bomb.xlsx")
				rewriteZip(t, book, w, planPart(t, book), func(e *zipPart) {
					e.raw, e.size = spaceBomb(2<<30), 4096 // 2 GiB of spaces claiming 4 KB
				})
				return approve(snap(t, dir), w)
			}},
		{name: "workbook with a 64 MB shared string", bomb: true, want: `bomb\.xlsx: .*more than 32767 characters`,
			setup: func(t *testing.T, dir string) []string {
				w := filepath.Join(dir, "bomb.xlsx")
				sst := `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>` +
					strings.Repeat("A", 64<<20) + `</t></si></sst>`
				rewriteZip(t, book, w, "xl/sharedStrings.xml", func(e *zipPart) { e.setData(t, []byte(sst)) })
				return approve(snap(t, dir), w)
			}},
		{name: "workbook with a cut Plan sheet", want: `bad\.xlsx: sheet "Plan" .*(damaged|malformed XML)`,
			setup: func(t *testing.T, dir string) []string {
				w := filepath.Join(dir, "bad.xlsx")
				rewriteZip(t, book, w, planPart(t, book), func(e *zipPart) { e.setData(t, e.data[:len(e.data)*2/3]) })
				return approve(snap(t, dir), w)
			}},
		{name: "workbook with a damaged deflate stream", want: `bad\.xlsx: sheet "Plan" .*(damaged|malformed|corrupt)`,
			setup: func(t *testing.T, dir string) []string {
				w := filepath.Join(dir, "bad.xlsx")
				rewriteZip(t, book, w, planPart(t, book), func(e *zipPart) {
					raw := bytes.Clone(e.raw)
					for i := len(raw) / 2; i < len(raw)/2+64; i++ {
						raw[i] ^= 0x5a
					}
					e.raw = raw
				})
				return approve(snap(t, dir), w)
			}},
		{name: "workbook with a formula as a decision", want: `signed\.xlsx: sheet "Plan" cell [A-Z]+\d+: holds a formula`,
			setup: func(t *testing.T, dir string) []string {
				w := filepath.Join(dir, "signed.xlsx")
				signWorkbook(t, book, w, map[string]any{
					"decisions": map[string]string{decided.ActionID: `=IF(1,"Approve","Reject")`},
					"approver":  "Pat Reviewer", "role": "Change manager", "date": "2026-12-01",
				})
				return approve(snap(t, dir), w)
			}},

		// Inputs read strictly.
		{name: "CSV export with invalid UTF-8", want: `msol\.csv:3:\d+: not valid UTF-8`,
			setup: func(t *testing.T, dir string) []string {
				lines := strings.SplitAfter(demoFile(t, "msol.csv"), "\n")
				lines[2] = strings.Replace(lines[2], "@", "\xff@", 1)
				return audit(dir, write(t, filepath.Join(dir, "msol.csv"), strings.Join(lines, "")))
			}},
		{name: "duplicate JSON key", want: `page\.json:1:\d+: key "onPremisesSyncEnabled" appears twice`,
			setup: func(t *testing.T, dir string) []string {
				return audit(dir, write(t, filepath.Join(dir, "page.json"), strings.Replace(page, `"onPremisesSyncEnabled":true`, `"onPremisesSyncEnabled":true,"onPremisesSyncEnabled":false`, 1)))
			}},
		{name: "duplicate CSV header", want: `msol\.csv:1:\d+: column "MobilePhone" appears twice in the header`,
			setup: func(t *testing.T, dir string) []string {
				lines := strings.SplitAfter(demoFile(t, "msol.csv"), "\n")
				lines[0] = strings.Replace(lines[0], `"UsageLocation"`, `"MobilePhone"`, 1)
				return audit(dir, write(t, filepath.Join(dir, "msol.csv"), strings.Join(lines, "")))
			}},
		{name: "bypass flag that is not a boolean", want: `tenant-features\.json:1:\d+: bypassDirSyncOverridesEnabled is true \(string\), not a JSON boolean`,
			setup: func(t *testing.T, dir string) []string {
				f := write(t, filepath.Join(dir, "tenant-features.json"),
					strings.Replace(demoFile(t, "tenant-features.json"), `"bypassDirSyncOverridesEnabled":false`, `"bypassDirSyncOverridesEnabled":"true"`, 1))
				return append(audit(dir, filepath.Join(demo, "graph")), "--tenant-features", f)
			}},
		{name: "named pipe among the pages", want: `users-0002\.json: is a named pipe`,
			setup: func(t *testing.T, dir string) []string {
				pages := filepath.Join(dir, "graph")
				copyTree(t, filepath.Join(demo, "graph"), pages)
				if err := syscall.Mkfifo(filepath.Join(pages, "users-0002.json"), 0o644); err != nil {
					t.Fatal(err)
				}
				return audit(dir, pages)
			}},
		{name: "tenant features from a device", want: `/dev/zero: is a device`,
			setup: func(t *testing.T, dir string) []string {
				return append(audit(dir, filepath.Join(demo, "graph")), "--tenant-features", "/dev/zero")
			}},
		{name: "LDIF without mobile attributes", want: `ad\.ldif: none of its 290 users has mobile or otherMobile`,
			setup: func(t *testing.T, dir string) []string {
				var keep []string
				for _, l := range strings.SplitAfter(demoFile(t, "ad.ldif"), "\n") {
					if !strings.HasPrefix(l, "mobile:") && !strings.HasPrefix(l, "otherMobile:") {
						keep = append(keep, l)
					}
				}
				in := write(t, filepath.Join(dir, "ad.ldif"), strings.Join(keep, ""))
				return []string{"audit", "--ldif", in, "--export", filepath.Join(demo, "graph"), "--out", filepath.Join(dir, "out")}
			}},
		{name: "Graph page without id", want: `page\.json:1:\d+: the users have no id: .*add id to \$select`,
			setup: func(t *testing.T, dir string) []string {
				return audit(dir, write(t, filepath.Join(dir, "page.json"), strings.Replace(page, `"id":"00000000-0000-0000-0000-000000000001",`, "", 1)))
			}},
		{name: "password file that is a named pipe", want: `pw: is a named pipe`,
			setup: func(t *testing.T, dir string) []string {
				if err := syscall.Mkfifo(filepath.Join(dir, "pw"), 0o600); err != nil {
					t.Fatal(err)
				}
				return []string{"extract-ad", "--ldap", "ldaps://127.0.0.1:1", "--base", "DC=x", "--bind-dn", "x@y", "--password-file", filepath.Join(dir, "pw"), "--out", filepath.Join(dir, "out")}
			}},
		{name: "exclude file from a device", want: `/dev/zero: is a device`,
			setup: func(t *testing.T, dir string) []string {
				return []string{"plan", "--snapshot", snap(t, dir), "--policy", "ad-wins", "--replace", "--exclude-file", "/dev/zero"}
			}},

		// What reaches the terminal.
		{name: "terminal escapes in a UPN", want: `page\.json:1: .*\\x1b\[2J`,
			setup: func(t *testing.T, dir string) []string {
				two := `{"value":[{"id":"00000000-0000-0000-0000-000000000001","userPrincipalName":"a\u001b[2J@x.com"},` +
					`{"id":"00000000-0000-0000-0000-000000000002","userPrincipalName":"A\u001b[2J@x.com"}]}`
				return audit(dir, write(t, filepath.Join(dir, "page.json"), two))
			}},
		{name: "a 5 MB value in an error", want: `ad\.ldif:3:\d+: bad base64 in sAMAccountName value`,
			setup: func(t *testing.T, dir string) []string {
				in := write(t, filepath.Join(dir, "ad.ldif"), "dn: CN=A,DC=x\nobjectClass: user\nsAMAccountName:: !"+strings.Repeat("x", 5<<20)+"\n")
				return []string{"audit", "--ldif", in, "--export", filepath.Join(demo, "graph"), "--out", filepath.Join(dir, "out")}
			}},
		{name: "credentials in the Graph endpoint", want: `graph endpoint https://…@127\.0\.0\.1:1: credentials in the URL are refused`,
			setup: func(t *testing.T, dir string) []string {
				return []string{"extract-entra", "--graph", "--graph-endpoint", "https://admin:SECRET-IN-URL@127.0.0.1:1/", "--tenant-id", "t",
					"--client-id", "c", "--access-token-env", "SYNCGAP_TEST_TOKEN", "--out", filepath.Join(dir, "out")}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := tc.setup(t, dir)
			if tc.hold != nil {
				defer tc.hold(t, dir)()
			}
			before := treeHashes(t, dir)
			r := runMeasured(t, append(tc.wrap, append([]string{bin}, args...)...))
			t.Logf("exit %d in %.2f s, peak RSS %d MB", r.code, r.wall.Seconds(), r.maxRSS>>20)
			if r.code == 0 {
				t.Fatalf("exit 0\nstderr:\n%s", r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "syncgap: error: ") || !regexp.MustCompile(tc.want).MatchString(last) {
				t.Fatalf("error line %q does not match %q\nstderr:\n%.2000s", last, tc.want, r.stderr)
			}
			for _, l := range lines[:len(lines)-1] {
				if strings.HasPrefix(l, "syncgap: error") {
					t.Errorf("more than one error line: %q", l)
				}
			}
			if i := strings.IndexFunc(last, func(c rune) bool { return c < 0x20 || c == 0x7f }); i >= 0 {
				t.Errorf("control character %q in the error line %q", last[i], last)
			}
			if len(last) > 600 {
				t.Errorf("error line of %d bytes", len(last))
			}
			if strings.Contains(r.stderr, "SECRET") {
				t.Errorf("a secret reached stderr")
			}
			if tc.bomb && (r.wall > 20*time.Second || r.maxRSS > 256<<20) {
				t.Errorf("a bomb took %.1f s and %d MB: the bound is 20 s and 256 MB", r.wall.Seconds(), r.maxRSS>>20)
			}
			after := treeHashes(t, dir)
			// The snapshot's log records the refused command (appended:
			// what it held is still there).
			log := filepath.Join("snap", LogFile)
			if _, ok := after[log]; ok {
				if old, err := os.ReadFile(filepath.Join(planned, LogFile)); err != nil || !strings.HasPrefix(readLog(t, filepath.Join(dir, "snap")), string(old)) {
					t.Errorf("%s was not appended to", log)
				}
				delete(before, log)
				delete(after, log)
			}
			for f, h := range before {
				if a, ok := after[f]; !ok {
					t.Errorf("%s was removed", f)
				} else if a != h {
					t.Errorf("%s was changed", f)
				}
			}
			for f := range after {
				if _, ok := before[f]; !ok {
					t.Errorf("%s was created", f)
				}
			}
		})
	}
}

type measured struct {
	stderr string
	code   int
	wall   time.Duration
	maxRSS int64 // bytes
}

// runMeasured runs argv with a deadline, so a run that blocks (on a FIFO,
// say) fails the test instead of hanging it, and measures its wall time and
// peak RSS. The RSS comes from a small Python parent: Go starts a child
// with vfork, and Linux then counts the parent's own high-water mark (this
// test's, hundreds of MB once it has built a bomb) in the child's.
func runMeasured(t *testing.T, argv []string) measured {
	t.Helper()
	rss := filepath.Join(t.TempDir(), "maxrss")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", append([]string{"-c", rusageScript, rss}, argv...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Env = append(os.Environ(), "SYNCGAP_TEST_TOKEN=not-a-token")
	var e bytes.Buffer
	cmd.Stderr = &e
	start := time.Now()
	err := cmd.Run()
	r := measured{stderr: e.String(), wall: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("still running after 2 minutes: %s", strings.Join(argv, " "))
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	b, err := os.ReadFile(rss)
	if err != nil {
		t.Fatalf("peak RSS not measured: %v\n%s", err, r.stderr)
	}
	kb, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	r.maxRSS = kb << 10
	return r
}

// rusageScript runs its arguments 2… and writes their peak RSS in KB to
// the file named by argument 1.
const rusageScript = `import resource, subprocess, sys
r = subprocess.run(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(r.returncode if r.returncode >= 0 else 128 - r.returncode)
`

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// zipPart is one entry of a workbook being rewritten: its uncompressed
// bytes, its deflated bytes as stored, and the size its header declares.
type zipPart struct {
	data, raw []byte
	size      uint64
}

func (e *zipPart) setData(t *testing.T, data []byte) {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestSpeed)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	e.data, e.raw, e.size = data, b.Bytes(), uint64(len(data))
}

// rewriteZip copies the workbook in to out with the entry name changed by
// edit; the entry is stored raw, so its header says what edit left in size
// whatever the data.
func rewriteZip(t *testing.T, in, out, name string, edit func(*zipPart)) {
	t.Helper()
	zr, err := zip.OpenReader(in)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	found := false
	for _, zf := range zr.File {
		if zf.Name != name {
			if err := zw.Copy(zf); err != nil {
				t.Fatal(err)
			}
			continue
		}
		found = true
		rc, _ := zf.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		rawR, _ := zf.OpenRaw()
		raw, _ := io.ReadAll(rawR)
		e := &zipPart{data: data, raw: raw, size: zf.UncompressedSize64}
		edit(e)
		h := zf.FileHeader
		h.Method, h.CompressedSize64, h.UncompressedSize64 = zip.Deflate, uint64(len(e.raw)), e.size
		w, err := zw.CreateRaw(&h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.raw)
	}
	if !found {
		t.Fatalf("%s has no part %s", in, name)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// planPart is the zip part of the workbook's Plan sheet.
func planPart(t *testing.T, book string) string {
	t.Helper()
	zr, err := zip.OpenReader(book)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	read := func(name string) string {
		for _, f := range zr.File {
			if f.Name == name {
				rc, _ := f.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				return string(b)
			}
		}
		t.Fatalf("%s has no %s", book, name)
		return ""
	}
	m := regexp.MustCompile(`<sheet name="Plan" sheetId="\d+" r:id="(rId\d+)"`).FindStringSubmatch(read("xl/workbook.xml"))
	if m == nil {
		t.Fatal("no Plan sheet in xl/workbook.xml")
	}
	rel := regexp.MustCompile(`Id="` + m[1] + `"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="` + m[1] + `"`).FindStringSubmatch(read("xl/_rels/workbook.xml.rels"))
	if rel == nil {
		t.Fatalf("no relationship %s", m[1])
	}
	target := rel[1] + rel[2]
	return "xl/" + strings.TrimPrefix(target, "/xl/")
}

// spaceBomb is a raw deflate stream that inflates to n spaces, written by
// hand (one literal, then copies of 258 bytes at distance 1 in fixed
// Huffman codes) because compressing gigabytes would take seconds.
func spaceBomb(n int) []byte {
	var out []byte
	var acc uint64
	var bits uint
	put := func(v uint64, nb uint) { // LSB first
		acc |= v << bits
		bits += nb
		for bits >= 8 {
			out = append(out, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	code := func(c uint64, nb uint) { // Huffman codes go most significant bit first
		var r uint64
		for i := uint(0); i < nb; i++ {
			r |= (c >> i & 1) << (nb - 1 - i)
		}
		put(r, nb)
	}
	put(1, 1)         // BFINAL
	put(1, 2)         // fixed Huffman
	code(0x30+' ', 8) // the literal ' '
	for left := n - 1; left >= 258; left -= 258 {
		code(0xC0+285-280, 8) // length 258
		code(0, 5)            // distance 1
	}
	code(0, 7) // end of block
	if bits > 0 {
		out = append(out, byte(acc))
	}
	return out
}

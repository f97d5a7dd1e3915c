package workbook

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// scanSame checks that ScanSigned, its shared strings spilled a string at a
// time, reads what ReadSigned reads from file: the sign-off, the groups and
// every Plan row in workbook order (Group left for the caller to resolve),
// and leaves no spill file behind. It reports whether the shared strings
// were spilled (a workbook may have none).
func scanSame(t *testing.T, file string) bool {
	t.Helper()
	want, err := ReadSigned(file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	dir := t.TempDir()
	spilled := false
	var rows []Decided
	got, err := ScanSigned(file, dir, 1, func(d *Decided, refused error) error {
		if refused != nil {
			t.Errorf("%s: row %s refused: %v", file, d.IDCell, refused)
			return refused
		}
		if m, _ := filepath.Glob(filepath.Join(dir, ".syncgap-spill-sst-*")); len(m) > 0 {
			spilled = true
		}
		rows = append(rows, *d)
		return nil
	}, func(s *Signed, err error) error { return err })
	if err != nil {
		t.Fatalf("%s: ScanSigned: %v", file, err)
	}
	var own, blank []Decided
	for _, d := range rows {
		if d.Decision == "" {
			blank = append(blank, d)
		} else {
			own = append(own, d)
		}
	}
	for _, list := range [][]Decided{want.Decisions, want.Undecided} {
		for i := range list {
			list[i].Group = GroupKey{}
		}
	}
	if !reflect.DeepEqual(own, nilIfEmpty(want.Decisions)) || !reflect.DeepEqual(blank, nilIfEmpty(want.Undecided)) {
		t.Errorf("%s: ScanSigned read %d decided and %d blank rows, ReadSigned %d and %d:\n%+v\nwant\n%+v",
			file, len(own), len(blank), len(want.Decisions), len(want.Undecided), rows, want)
	}
	want.Decisions, want.Undecided = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: ScanSigned's sign-off and groups\n%+v\nwant\n%+v", file, got, want)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("%s: ScanSigned left %s behind", file, left[0].Name())
	}
	return spilled
}

func nilIfEmpty(d []Decided) []Decided {
	if len(d) == 0 {
		return nil
	}
	return d
}

// ScanSigned reads syncgap's own workbook as ReadSigned does, with its
// shared strings (the Sign-off's text) in a spill file.
func TestScanSignedSpillsSharedStrings(t *testing.T) {
	path, _, _, _ := signedFixture(t)
	if !scanSame(t, path) {
		t.Error("the shared strings were not spilled")
	}
	// A refusal while spilled: the file is removed all the same.
	dir := t.TempDir()
	_, err := ScanSigned(path, dir, 1, func(d *Decided, _ error) error {
		if strings.HasPrefix(d.IDCell, "A") {
			return os.ErrInvalid
		}
		return nil
	}, nil)
	if err == nil {
		t.Error("the row function's error did not end the reading")
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("a refused read left %s behind", left[0].Name())
	}
}

package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestTableFilePasses(t *testing.T) {
	dir := t.TempDir()
	rows := []Gap{
		{UPN: "a@x", DN: "CN=A", MatchStatus: Matched, OtherMobileAD: []string{"1", "2"}, OtherMobileEntra: nil, Reason: "r1"},
		{UPN: "b@x", DN: "CN=B", MatchStatus: ADOnly, OtherMobileAD: []string{}, OtherMobileEntra: []string{}, Reason: "r2"},
	}
	if _, err := WriteTable(dir, GapsTable, rows); err != nil {
		t.Fatal(err)
	}
	f, err := OpenTableFile[Gap](filepath.Join(dir, FileName(GapsTable)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 2 {
		t.Fatalf("Len %d", f.Len())
	}
	for pass := range 2 {
		var got []Gap
		for _, g := range f.All() {
			got = append(got, *g)
		}
		if err := PassErr[Gap](f); err != nil || !reflect.DeepEqual(got, rows) {
			t.Errorf("pass %d: %+v, %v; want %+v", pass, got, err, rows)
		}
	}
	var only []Gap
	narrow := OnlyColumns[Gap](f, "dn", "reason")
	for _, g := range narrow.All() {
		only = append(only, *g)
	}
	if want := []Gap{{DN: "CN=A", Reason: "r1"}, {DN: "CN=B", Reason: "r2"}}; !reflect.DeepEqual(only, want) {
		t.Errorf("only dn and reason: %+v, want %+v", only, want)
	}
	bad := f.Only("dn", "no_such_column")
	for range bad.All() {
		t.Fatal("a row from a column the type does not have")
	}
	if err := bad.Err(); err == nil || !strings.Contains(err.Error(), "no_such_column") {
		t.Errorf("unknown column: %v", err)
	}
	// A pass that stops early is no error; a file that changed under the
	// rows is.
	for range f.All() {
		break
	}
	if err := f.Err(); err != nil {
		t.Errorf("a pass stopped early: %v", err)
	}
	if _, err := WriteTable(dir, GapsTable, rows[:1]); err != nil {
		t.Fatal(err)
	}
	for range f.All() {
	}
	if err := f.Err(); err == nil || !strings.Contains(err.Error(), "footer says 2") {
		t.Errorf("the file shrank: %v", err)
	}
	os.Remove(filepath.Join(dir, FileName(GapsTable)))
	for range f.All() {
	}
	if err := PassErr[Gap](f); err == nil {
		t.Error("the file is gone: no error")
	}
	if err := PassErr[Gap](Slice[Gap](rows)); err != nil {
		t.Errorf("rows in memory: %v", err)
	}
}

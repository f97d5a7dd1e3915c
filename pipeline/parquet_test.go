package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func sampleJoined(n int) []Joined {
	rows := make([]Joined, n)
	for i := range rows {
		r := &rows[i]
		r.MatchStatus = Matched
		r.MatchMethod = ByAnchor
		r.AD = ADUser{
			DN:          fmt.Sprintf("CN=User %d\\, X,OU=Sales,DC=contoso,DC=com", i),
			UPN:         fmt.Sprintf("user%d@contoso.com", i),
			Mobile:      "+1 425 555 0100",
			OtherMobile: []string{},
			Enabled:     Known(i%2 == 0),
			WhenChanged: time.Date(2024, 1, 15, 10, 30, 0, 123000, time.UTC),
			Origin:      fmt.Sprintf("ad.ldif:%d", i*20+1),
		}
		if i%3 == 0 {
			r.AD.OtherMobile = []string{"+44 20 7946 0958", "=HYPERLINK(\"x\")"}
		}
		if i%5 != 0 {
			r.Entra = EntraUser{ID: fmt.Sprintf("%08d-0000-0000-0000-000000000000", i), UPN: r.AD.UPN}
			if i%2 == 0 {
				r.Entra.AlternateMobilePhones = []string{}
			}
		}
	}
	return rows
}

func TestTableRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := sampleJoined(rowGroupRows + 17) // crosses a row-group boundary
	rec, err := WriteTable(dir, JoinedTable, want)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Rows != int64(len(want)) || rec.File != "joined.parquet" {
		t.Fatalf("record = %+v", rec)
	}
	got, err := ReadRows[Joined](filepath.Join(dir, rec.File))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	sum, _, err := HashFile(filepath.Join(dir, rec.File))
	if err != nil || sum != rec.SHA256 {
		t.Fatalf("hash on disk %s (%v), recorded %s", sum, err, rec.SHA256)
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	rows := sampleJoined(3000)
	var sums []string
	for i := 0; i < 2; i++ {
		rec, err := WriteTable(t.TempDir(), JoinedTable, rows)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, rec.SHA256)
	}
	if sums[0] != sums[1] {
		t.Fatalf("same rows gave different files: %s vs %s", sums[0], sums[1])
	}
	rows[42].AD.Mobile = "+1 425 555 0199"
	rec, err := WriteTable(t.TempDir(), JoinedTable, rows)
	if err != nil {
		t.Fatal(err)
	}
	if rec.SHA256 == sums[0] {
		t.Fatal("a changed row gave the same hash")
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	w, err := CreateTable[ADUser](dir, ADUsersTable)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(&ADUser{DN: "CN=a"})
	w.Abort()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("abort left %v", entries)
	}
}

func TestReadRejectsMissingColumn(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteTable(dir, TenantTable, []TenantFlag{{Feature: "x"}}); err != nil {
		t.Fatal(err)
	}
	_, err := ReadRows[ADUser](filepath.Join(dir, "tenant.parquet"))
	if err == nil {
		t.Fatal("reading tenant.parquet as ad_users succeeded")
	}
}

func TestLoadTableRandomAccess(t *testing.T) {
	dir := t.TempDir()
	want := sampleJoined(40000) // several 16k-row batches
	if _, err := WriteTable(dir, JoinedTable, want); err != nil {
		t.Fatal(err)
	}
	tab, err := LoadTable[Joined](filepath.Join(dir, "joined.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	if tab.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", tab.Len(), len(want))
	}
	for _, i := range []int{39999, 0, 16383, 16384, 32768, 12345, 39998} {
		var got Joined
		tab.Row(i, &got)
		if !reflect.DeepEqual(got, want[i]) {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
}

package extractentra

import (
	"os"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkReadGraphPages reads a directory of Graph page files, 999 users
// a page, compact JSON of about 450 bytes a user: the shape of the
// million-user benchmark. SYNCGAP_BENCH_PAGES sets the page count (default
// 100, about 100k users and 45 MB; 1002 pages is a million users).
func BenchmarkReadGraphPages(b *testing.B) {
	pages := 100
	if s := os.Getenv("SYNCGAP_BENCH_PAGES"); s != "" {
		var err error
		if pages, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	dir := b.TempDir()
	size := writeSyntheticPages(b, dir, pages)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	var e *Export
	for b.Loop() {
		var err error
		if e, err = ReadExport(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if len(e.Users) != pages*999 {
		b.Fatalf("read %d users, want %d", len(e.Users), pages*999)
	}
	b.ReportMetric(float64(len(e.Users))*float64(b.N)/b.Elapsed().Seconds(), "users/s")
	// What the result holds once garbage is gone: the memory the rest of
	// the audit has to live with.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/float64(len(e.Users)), "live-B/user")
	runtime.KeepAlive(e)
}

// BenchmarkMergeSort is Merge of one export whose users are not in id
// order: the sort a million-user export may need.
func BenchmarkMergeSort(b *testing.B) {
	dir := b.TempDir()
	writeSyntheticPages(b, dir, 20)
	e, err := ReadExport(dir)
	if err != nil {
		b.Fatal(err)
	}
	users := e.Users
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		// reverse: the worst case for the cycle walk is no better than this
		for i, j := 0, len(users)-1; i < j; i, j = i+1, j-1 {
			users[i], users[j] = users[j], users[i]
		}
		b.StartTimer()
		if _, err := Merge([]*Export{{Users: users}}); err != nil {
			b.Fatal(err)
		}
	}
}

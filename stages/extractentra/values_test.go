package extractentra

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"syncgap/pipeline"
)

func TestParseTime(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		in     string
		order  dateOrder
		want   time.Time
		proved dateOrder
		err    bool
	}{
		{in: "", want: time.Time{}},
		{in: "2023-11-14T22:13:20Z", want: synced},
		{in: "2023-11-14T23:13:20+01:00", want: synced},
		{in: "2023-11-14T22:13:20.1234567Z", want: utc(2023, 11, 14, 22, 13, 20, 123456700)},
		{in: "2023-11-14T22:13:20", want: synced},
		{in: "2023-11-14 22:13:20", want: synced},
		{in: "2023-11-14 22:13:20Z", want: synced},
		// PowerShell 5.1 ConvertTo-Json, both styles.
		{in: "/Date(1700000000000)/", want: synced},
		{in: "/Date(1700000000000+0000)/", want: synced},
		{in: "/Date(1700000000000-0500)/", want: synced},
		{in: `\/Date(1700000000000)\/`, want: synced},
		{in: "/Date(-1000)/", want: utc(1969, 12, 31, 23, 59, 59, 0)},
		{in: "/Date(abc)/", err: true},
		{in: "/Date(1700000000000+01)/", err: true},
		// Export-Csv culture formats.
		{in: "11/14/2023 10:13:20 PM", want: synced},
		{in: "11/14/2023 12:05:00 AM", want: utc(2023, 11, 14, 0, 5, 0, 0)},
		{in: "1/2/2023 9:05:01 am", want: utc(2023, 1, 2, 9, 5, 1, 0)},
		{in: "14/11/2023 22:13:20", want: synced, proved: orderDMY},
		{in: "11/14/2023 22:13:20", want: synced, proved: orderMDY},
		{in: "03/04/2023 10:00:00", err: true},
		{in: "03/04/2023 10:00:00", order: orderDMY, want: utc(2023, 4, 3, 10, 0, 0, 0)},
		{in: "03/04/2023 10:00:00", order: orderMDY, want: utc(2023, 3, 4, 10, 0, 0, 0)},
		{in: "04/04/2023 10:00:00", want: utc(2023, 4, 4, 10, 0, 0, 0)},
		{in: "14.11.2023 22:13:20", want: synced},
		{in: "14-11-2023 22:13:20", want: synced},
		{in: "2023/11/14 22:13:20", want: synced},
		{in: "2023-11-14", want: utc(2023, 11, 14, 0, 0, 0, 0)},
		{in: "31/04/2023 10:00:00", err: true},
		{in: "13/13/2023 10:00:00", err: true},
		{in: "11/14/2023 13:00:00 PM", err: true},
		{in: "yesterday", err: true},
		{in: "2023-11-14T25:13:20Z", err: true},
	}
	for _, tt := range tests {
		got, proved, err := parseTime(tt.in, tt.order)
		if (err != nil) != tt.err {
			t.Errorf("parseTime(%q): error %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC || proved != tt.proved {
			t.Errorf("parseTime(%q) = %v (%v), proved %d; want %v, proved %d", tt.in, got, got.Location(), proved, tt.want, tt.proved)
		}
	}
	if _, _, err := parseTime("03/04/2023 10:00:00", orderUnknown); !errors.Is(err, errAmbiguousDate) {
		t.Errorf("ambiguous date: got %v, want errAmbiguousDate", err)
	}
}

func TestSplitMulti(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"  ", []string{}},
		{"+1 555 0101", []string{"+1 555 0101"}},
		{"+1 555 0101;+1 555 0102", []string{"+1 555 0101", "+1 555 0102"}},
		{"+1 555 0101; ;+1 555 0102;", []string{"+1 555 0101", "+1 555 0102"}},
		{"a|b", []string{"a", "b"}},
		{"a\r\nb\n", []string{"a", "b"}},
		{"{+44 20 7946 0000, +44 20 7946 0001}", []string{"+44 20 7946 0000", "+44 20 7946 0001"}},
		{"{}", []string{}},
	}
	for _, tt := range tests {
		if got := splitMulti(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitMulti(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in   string
		want pipeline.NullBool
		err  bool
	}{
		{"", unknown, false}, {"True", yes, false}, {"false", no, false}, {" TRUE ", yes, false},
		{"Yes", yes, false}, {"no", no, false}, {"1", yes, false}, {"0", no, false}, {"maybe", unknown, true},
	}
	for _, tt := range tests {
		got, err := parseBool(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("parseBool(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestUnexpanded(t *testing.T) {
	for in, want := range map[string]bool{
		"System.String[]": true, "System.Object[]": true, "System.Collections.Generic.List`1[System.String]": true,
		"+1 555 0101": false, "": false, "System": false,
	} {
		if got := unexpanded(in); got != want {
			t.Errorf("unexpanded(%q) = %v", in, got)
		}
	}
}

func TestNaturalCompare(t *testing.T) {
	names := []string{"page-10.json", "page-2.json", "page-1.json", "page-002.json", "page.json", "a10b2", "a10b10", "a9"}
	slices.SortFunc(names, naturalCompare)
	want := []string{"a9", "a10b2", "a10b10", "page-1.json", "page-002.json", "page-2.json", "page-10.json", "page.json"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("sorted %q, want %q", names, want)
	}
}

func TestFormatDescriptions(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Formats() {
		d := f.Description()
		if d == "" || seen[d] || d == "unknown format "+string(f) {
			t.Errorf("%s: description %q", f, d)
		}
		seen[d] = true
	}
}

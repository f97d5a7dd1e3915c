package workbook

import (
	"reflect"
	"strings"
	"testing"

	"syncgap/pipeline"
)

func TestAttrEffect(t *testing.T) {
	tests := []struct {
		name             string
		state            pipeline.State
		adEmpty, clEmpty bool
		want             pipeline.Effect
	}{
		{"in sync", pipeline.InSync, false, false, pipeline.NoEffect},
		{"format only", pipeline.FormatOnly, false, false, pipeline.ReformatsCloud},
		{"missing in entra", pipeline.MissingInEntra, false, true, pipeline.FillsCloud},
		{"missing in ad clears", pipeline.MissingInAD, true, false, pipeline.ClearsCloud},
		{"mismatch", pipeline.Mismatch, false, false, pipeline.OverwritesCloud},
		{"invalid, AD empty", pipeline.Invalid, true, false, pipeline.ClearsCloud},
		{"invalid, cloud empty", pipeline.Invalid, false, true, pipeline.FillsCloud},
		{"invalid, both set", pipeline.Invalid, false, false, pipeline.OverwritesCloud},
		{"invalid, both empty", pipeline.Invalid, true, true, pipeline.NoEffect},
		{"unverifiable adds nothing", pipeline.Unverifiable, true, false, pipeline.NoEffect},
		{"not applicable", pipeline.NotApplicable, true, false, pipeline.NoEffect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := attrEffect(tt.state, tt.adEmpty, tt.clEmpty); got != tt.want {
				t.Errorf("attrEffect(%s, %v, %v) = %s, want %s", tt.state, tt.adEmpty, tt.clEmpty, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	s, err := summarize(fixtureAudit())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  []count
		want []count
	}{
		{"match", s.Match, []count{{"matched", 6}, {"ambiguous", 1}, {"anchor_conflict", 1}, {"ad_only", 1}, {"cloud_only", 1}, {"orphaned_synced", 0}}},
		{"mobile", s.Mobile, []count{{"in_sync", 3}, {"format_only", 1}, {"missing_in_entra", 0}, {"missing_in_ad", 1}, {"mismatch", 1}, {"invalid", 1}, {"unverifiable", 0}, {"not_applicable", 3}}},
		{"other mobile", s.OtherMobile, []count{{"in_sync", 2}, {"format_only", 0}, {"missing_in_entra", 1}, {"missing_in_ad", 0}, {"mismatch", 1}, {"invalid", 0}, {"unverifiable", 3}, {"not_applicable", 3}}},
		// Row 2 changes nothing known, but its cloud otherMobile cannot be read.
		{"effect", s.Effect, []count{{"clears_cloud", 1}, {"overwrites_cloud", 2}, {"fills_cloud", 1}, {"reformats_cloud", 1}, {"none", 4}, {effectUnknown, 1}}},
		{"risk", s.Risk, []count{{"high", 2}, {"medium", 2}, {"low", 1}, {"none", 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %v\nwant %v", tt.got, tt.want)
			}
		})
	}
	want := changes{Cleared: [2]int{1, 0}, Overwritten: [2]int{1, 1}, Filled: [2]int{1, 1}, Reformatted: [2]int{1, 0}}
	if s.Changes != want {
		t.Errorf("changes = %+v, want %+v", s.Changes, want)
	}
	if s.Rows != 10 || s.Synced != 7 || s.OtherUnknown != 3 || s.Shown != 5 {
		t.Errorf("rows, synced, other unknown, shown = %d, %d, %d, %d; want 10, 7, 3, 5", s.Rows, s.Synced, s.OtherUnknown, s.Shown)
	}
	if got, want := s.Changes.line(0), "clear 1 cloud values, overwrite 2, fill 2, reformat 1"; !strings.Contains(got, want) || strings.Contains(got, "unknown") {
		t.Errorf("line = %q, want it to contain %q and no unknown", got, want)
	}
	if got := s.Changes.line(3); !strings.Contains(got, "for 3 users the cloud's otherMobile is unknown") {
		t.Errorf("line(3) = %q, want it to say what is unknown", got)
	}
}

// Values outside the enums of docs/tables.md are listed after the known ones, never dropped.
func TestTallyKeepsUnknownValues(t *testing.T) {
	tl := newTally(riskOrder)
	for _, v := range []string{"high", "zeta", "", "alpha", "zeta"} {
		tl.add(v)
	}
	want := []count{{"high", 1}, {"medium", 0}, {"low", 0}, {"none", 0}, {"(empty)", 1}, {"alpha", 1}, {"zeta", 2}}
	if got := tl.counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestBypass(t *testing.T) {
	tests := []struct {
		name      string
		flags     []pipeline.TenantFlag
		state     string
		sourceHas string
	}{
		{"on", []pipeline.TenantFlag{{Feature: pipeline.BypassFeature, Enabled: pipeline.Known(true), Source: "live"}}, "on", "live"},
		{"off, other case", []pipeline.TenantFlag{{Feature: "BypassDirSyncOverridesEnabled", Enabled: pipeline.Known(false), Source: "f.json"}}, "off", "f.json"},
		{"null", []pipeline.TenantFlag{{Feature: pipeline.BypassFeature, Source: "403 Forbidden"}}, "unknown", "403 Forbidden"},
		{"absent", []pipeline.TenantFlag{{Feature: "blockSoftMatchEnabled", Enabled: pipeline.Known(true)}}, "unknown", "not in the snapshot"},
		{"no table", nil, "unknown", "not in the snapshot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bypass(tt.flags)
			if got.State != tt.state || !strings.Contains(got.Source, tt.sourceHas) {
				t.Errorf("bypass = %+v, want state %s, source containing %q", got, tt.state, tt.sourceHas)
			}
		})
	}
}

func TestNotes(t *testing.T) {
	synced := func(n int, st pipeline.State) pipeline.Slice[pipeline.Gap] {
		g := make([]pipeline.Gap, n)
		for i := range g {
			g[i] = pipeline.Gap{MatchStatus: pipeline.Matched, MobileState: pipeline.InSync, OtherMobileState: st}
		}
		return g
	}
	on := []pipeline.TenantFlag{{Feature: pipeline.BypassFeature, Enabled: pipeline.Known(true)}}
	tests := []struct {
		name string
		a    *Audit
		want []string // substrings, one per note, in order
	}{
		{"nothing to say", &Audit{Tenant: on, Gaps: synced(4, pipeline.InSync)}, nil},
		{"flag unknown", &Audit{Gaps: synced(1, pipeline.InSync)}, []string{"could not be read"}},
		{"no legacy export", &Audit{Tenant: on, Gaps: synced(4, pipeline.Unverifiable)},
			[]string{"No MSOnline/ADSyncTools export given: the cloud otherMobile cannot be compared (4 of 4"}},
		{"partial legacy export", &Audit{Tenant: on, Gaps: append(synced(1, pipeline.Unverifiable), synced(3, pipeline.InSync)...)},
			[]string{"unknown for 1 of 4 synced users"}},
		{"weak evidence", &Audit{Tenant: on, WeakEvidence: true}, []string{"join evidence is weaker"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := summarize(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			got := s.notes(tt.a)
			if len(got) != len(tt.want) {
				t.Fatalf("notes = %q, want %d", got, len(tt.want))
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("note %d = %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

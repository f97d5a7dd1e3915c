package classify

import (
	"testing"
	"time"

	"syncgap/phone"
	"syncgap/pipeline"
)

func matched(adMobile, cloudMobile string, adOther, cloudOther []string, c string) *pipeline.Joined {
	return &pipeline.Joined{
		MatchStatus: pipeline.Matched, MatchMethod: pipeline.ByAnchor,
		AD:    pipeline.ADUser{DN: "CN=a", UPN: "a@x.com", Mobile: adMobile, OtherMobile: adOther, Country: c},
		Entra: pipeline.EntraUser{ID: "1", UPN: "a@x.com", MobilePhone: cloudMobile, AlternateMobilePhones: cloudOther},
	}
}

func TestRow(t *testing.T) {
	none := []string{}
	tests := []struct {
		name           string
		row            *pipeline.Joined
		cfg            Config
		mobile, other  pipeline.State
		effect         pipeline.Effect
		risk           pipeline.Risk
		adE164, clE164 string
	}{
		{"equal texts", matched("+1 425 555 0100", "+1 425 555 0100", none, none, "US"), Config{}, pipeline.InSync, pipeline.InSync, pipeline.NoEffect, pipeline.RiskNone, "", ""},
		{"both empty, nbsp trimmed", matched("\u00a0", "", none, none, ""), Config{}, pipeline.InSync, pipeline.InSync, pipeline.NoEffect, pipeline.RiskNone, "", ""},
		{"format only", matched("+1 (425) 555-0100", "425.555.0100", none, none, "US"), Config{}, pipeline.FormatOnly, pipeline.InSync, pipeline.ReformatsCloud, pipeline.RiskLow, "+14255550100", "+14255550100"},
		{"GB trunk zero", matched("+44 (0)20 7946 0958", "020 7946 0958", none, none, "GB"), Config{}, pipeline.FormatOnly, pipeline.InSync, pipeline.ReformatsCloud, pipeline.RiskLow, "+442079460958", "+442079460958"},
		{"region from usageLocation", func() *pipeline.Joined {
			j := matched("07700 900123", "+447700900123", none, none, "")
			j.Entra.UsageLocation = "GB"
			return j
		}(), Config{}, pipeline.FormatOnly, pipeline.InSync, pipeline.ReformatsCloud, pipeline.RiskLow, "+447700900123", "+447700900123"},
		{"no region: national number invalid", matched("07700 900123", "+447700900123", none, none, ""), Config{}, pipeline.Invalid, pipeline.InSync, pipeline.OverwritesCloud, pipeline.RiskHigh, "", "+447700900123"},
		{"default region", matched("07700 900123", "+447700900123", none, none, ""), Config{DefaultRegion: "GB"}, pipeline.FormatOnly, pipeline.InSync, pipeline.ReformatsCloud, pipeline.RiskLow, "+447700900123", "+447700900123"},
		{"missing in entra", matched("+1 425 555 0100", "", none, none, "US"), Config{}, pipeline.MissingInEntra, pipeline.InSync, pipeline.FillsCloud, pipeline.RiskLow, "+14255550100", ""},
		{"missing in ad clears", matched("", "+1 425 555 0100", none, none, "US"), Config{}, pipeline.MissingInAD, pipeline.InSync, pipeline.ClearsCloud, pipeline.RiskHigh, "", "+14255550100"},
		{"mismatch", matched("+1 425 555 0100", "+1 425 555 0199", none, none, "US"), Config{}, pipeline.Mismatch, pipeline.InSync, pipeline.OverwritesCloud, pipeline.RiskMedium, "+14255550100", "+14255550199"},
		{"different extensions differ", matched("+1 425 555 0100 x12", "+1 425 555 0100 ext. 13", none, none, "US"), Config{}, pipeline.Mismatch, pipeline.InSync, pipeline.OverwritesCloud, pipeline.RiskMedium, "+14255550100;ext=12", "+14255550100;ext=13"},
		{"n/a in AD over empty cloud: invalid, fills", matched("n/a", "", none, none, "US"), Config{}, pipeline.Invalid, pipeline.InSync, pipeline.FillsCloud, pipeline.RiskHigh, "", ""},
		{"TBD in cloud, AD empty: invalid, clears", matched("", "TBD", none, none, "US"), Config{}, pipeline.Invalid, pipeline.InSync, pipeline.ClearsCloud, pipeline.RiskHigh, "", ""},
		{"same garbage both sides is in sync", matched("n/a", "n/a", none, none, "US"), Config{}, pipeline.InSync, pipeline.InSync, pipeline.NoEffect, pipeline.RiskNone, "", ""},
		{"other unknown", matched("", "", []string{"+1 425 555 0100"}, nil, "US"), Config{}, pipeline.InSync, pipeline.Unverifiable, pipeline.NoEffect, pipeline.RiskNone, "", ""},
		{"other set order-insensitive", matched("", "", []string{"+1 425 555 0101", "+1 425 555 0100"}, []string{"+1 425 555 0100", " +1 425 555 0101"}, "US"), Config{}, pipeline.InSync, pipeline.InSync, pipeline.NoEffect, pipeline.RiskNone, "", ""},
		{"other format only", matched("", "", []string{"+1 425 555 0100", "+1 425 555 0100"}, []string{"+14255550100"}, "US"), Config{}, pipeline.InSync, pipeline.FormatOnly, pipeline.ReformatsCloud, pipeline.RiskLow, "", ""},
		{"other missing in ad", matched("", "", none, []string{"+14255550100"}, "US"), Config{}, pipeline.InSync, pipeline.MissingInAD, pipeline.ClearsCloud, pipeline.RiskHigh, "", ""},
		{"other missing in entra", matched("", "", []string{"+14255550100"}, none, "US"), Config{}, pipeline.InSync, pipeline.MissingInEntra, pipeline.FillsCloud, pipeline.RiskLow, "", ""},
		{"other mismatch, worst effect wins", matched("+1 425 555 0100", "", []string{"+14255550100"}, []string{"+14255550199"}, "US"), Config{}, pipeline.MissingInEntra, pipeline.Mismatch, pipeline.OverwritesCloud, pipeline.RiskMedium, "+14255550100", ""},
		{"other invalid", matched("", "", []string{"TBD"}, []string{"+14255550199"}, "US"), Config{}, pipeline.InSync, pipeline.Invalid, pipeline.OverwritesCloud, pipeline.RiskHigh, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.cfg.Row(tt.row, phone.NewParser())
			if g.MobileState != tt.mobile || g.OtherMobileState != tt.other || g.Effect != tt.effect || g.Risk != tt.risk {
				t.Fatalf("got mobile=%s other=%s effect=%s risk=%s, want %s %s %s %s (reason %q)",
					g.MobileState, g.OtherMobileState, g.Effect, g.Risk, tt.mobile, tt.other, tt.effect, tt.risk, g.Reason)
			}
			if g.MobileADE164 != tt.adE164 || g.MobileEntraE164 != tt.clE164 {
				t.Fatalf("e164 = %q / %q, want %q / %q", g.MobileADE164, g.MobileEntraE164, tt.adE164, tt.clE164)
			}
			if (g.Effect != pipeline.NoEffect || g.MobileState == pipeline.Invalid) && g.Reason == "" {
				t.Fatal("a difference without a reason")
			}
		})
	}
}

func TestNotMatchedRows(t *testing.T) {
	for _, st := range []pipeline.MatchStatus{pipeline.ADOnly, pipeline.CloudOnly, pipeline.OrphanedSynced, pipeline.Ambiguous} {
		j := matched("+1 425 555 0100", "", nil, nil, "US")
		j.MatchStatus = st
		g := Config{}.Row(j, phone.NewParser())
		if g.MobileState != pipeline.NotApplicable || g.OtherMobileState != pipeline.NotApplicable || g.Effect != pipeline.NoEffect {
			t.Errorf("%s: got %s/%s/%s", st, g.MobileState, g.OtherMobileState, g.Effect)
		}
	}
}

func TestTiming(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		adChanged   time.Time
		lastSync    time.Time
		bypass      bool
		adM, cloudM string
		want        pipeline.Timing
	}{
		{"AD changed after sync", t0.Add(time.Hour), t0, false, "+14255550100", "+14255550199", pipeline.SyncPending},
		{"AD older than sync", t0, t0.Add(time.Hour), false, "+14255550100", "+14255550199", pipeline.OverrideLikely},
		{"bypass already on", t0, t0.Add(time.Hour), true, "+14255550100", "+14255550199", pipeline.SyncNotApplied},
		{"no timestamps", time.Time{}, t0, false, "+14255550100", "+14255550199", ""},
		{"no difference", t0.Add(time.Hour), t0, false, "+14255550100", "+14255550100", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := matched(tt.adM, tt.cloudM, nil, []string{}, "US")
			j.AD.WhenChanged, j.Entra.OnPremisesLastSync = tt.adChanged, tt.lastSync
			if g := (Config{BypassEnabled: tt.bypass}).Row(j, phone.NewParser()); g.Timing != tt.want {
				t.Fatalf("timing = %q, want %q", g.Timing, tt.want)
			}
		})
	}
}

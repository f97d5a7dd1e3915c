package workbook

import (
	"fmt"

	"syncgap/pipeline"
)

// synthGaps builds n deterministic gaps rows shaped like a large tenant: 40 %
// with something to look at, 3 % unmatched, the rest in sync. Directory-ish
// values vary per row so compression and string handling see realistic data.
func synthGaps(n int) pipeline.Slice[pipeline.Gap] {
	gaps := make([]pipeline.Gap, n)
	for i := range gaps {
		g := &gaps[i]
		g.UPN = fmt.Sprintf("user%07d@corp.example.com", i)
		g.DN = fmt.Sprintf("CN=User %07d,OU=Staff,OU=Site%02d,DC=corp,DC=example,DC=com", i, i%37)
		g.EntraID = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i*7919)
		g.MatchStatus, g.MatchMethod = pipeline.Matched, pipeline.ByAnchor
		g.MobileState, g.OtherMobileState = pipeline.InSync, pipeline.Unverifiable
		g.Effect, g.Risk = pipeline.NoEffect, pipeline.RiskNone
		g.MobileAD = fmt.Sprintf("+1 425 555 %04d", i%10000)
		g.MobileEntra = g.MobileAD
		g.OtherMobileAD = []string{fmt.Sprintf("+44 20 7946 %04d", i%10000)}
		switch i % 100 {
		case 0, 1, 2: // unmatched
			g.MatchStatus, g.MatchMethod = []pipeline.MatchStatus{pipeline.ADOnly, pipeline.CloudOnly, pipeline.OrphanedSynced}[i%100], pipeline.ByNone
			g.MobileState, g.OtherMobileState = pipeline.NotApplicable, pipeline.NotApplicable
			g.Reason = "no cloud user with this anchor or UPN"
		default:
			if i%100 >= 43 {
				break
			}
			switch i % 5 {
			case 0:
				g.MobileState, g.Effect, g.Risk = pipeline.MissingInAD, pipeline.ClearsCloud, pipeline.RiskHigh
				g.MobileAD = ""
			case 1:
				g.MobileState, g.Effect, g.Risk = pipeline.Mismatch, pipeline.OverwritesCloud, pipeline.RiskMedium
				g.MobileEntra = fmt.Sprintf("+1 206 555 %04d", i%10000)
			case 2:
				g.MobileState, g.Effect, g.Risk = pipeline.MissingInEntra, pipeline.FillsCloud, pipeline.RiskLow
				g.MobileEntra = ""
			case 3:
				g.MobileState, g.Effect, g.Risk = pipeline.FormatOnly, pipeline.ReformatsCloud, pipeline.RiskLow
				g.MobileEntra = fmt.Sprintf("+14255550%03d", i%1000)
			case 4:
				g.MobileState, g.Effect, g.Risk = pipeline.Invalid, pipeline.OverwritesCloud, pipeline.RiskHigh
				g.MobileEntra = "call reception"
			}
			g.Timing = pipeline.OverrideLikely
			g.Region = "US"
			g.Reason = "cloud value differs from AD since the last sync"
		}
	}
	return gaps
}

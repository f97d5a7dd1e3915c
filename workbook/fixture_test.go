package workbook

import (
	"archive/zip"
	"encoding/xml"
	"io"
	"path"
	"testing"

	"syncgap/pipeline"
)

// Directory values that spreadsheet programs like to reinterpret: formulas
// (including DDE), numbers, a leading "@" (Lotus-style function), a leading
// zero and a value with surrounding spaces. Each must stay literal text.
const (
	hostileHyperlink = `=HYPERLINK("http://x","y")`
	hostileDDE       = `=cmd|' /C calc'!A0`
	hostilePlus      = `+1 425 555 0100`
	hostileMinus     = `-5`
	hostileAt        = `@SUM(1,2)`
	hostileSum       = `=1+1`
	hostileZero      = `0012`
	hostileExp       = `1e5`
	hostileSpaces    = ` +44 20 7946 0000 `
)

// fixtureGaps is a small gaps table whose every expected count is written out
// in the tests. Rows 0, 1, 3, 6, 7 belong on Gaps; rows 3, 4, 5, 9 on Unmatched.
func fixtureGaps() pipeline.Slice[pipeline.Gap] {
	return []pipeline.Gap{
		0: {UPN: hostileHyperlink, DN: hostileAt, EntraID: "e0", MatchStatus: pipeline.Matched, MatchMethod: pipeline.ByAnchor,
			MobileState: pipeline.MissingInAD, OtherMobileState: pipeline.Unverifiable, MobileEntra: hostileDDE,
			OtherMobileAD: []string{}, Effect: pipeline.ClearsCloud, Risk: pipeline.RiskHigh,
			Timing: pipeline.OverrideLikely, Region: "US", Reason: hostileSum},
		1: {UPN: "b@corp.example", DN: "CN=B,DC=corp", EntraID: "e1", MatchStatus: pipeline.Matched, MatchMethod: pipeline.ByAnchor,
			MobileState: pipeline.Mismatch, OtherMobileState: pipeline.InSync, MobileAD: hostileMinus, MobileEntra: hostilePlus,
			OtherMobileAD: []string{hostileZero, hostileExp}, OtherMobileEntra: []string{hostileExp, hostileZero},
			Effect: pipeline.OverwritesCloud, Risk: pipeline.RiskMedium, Timing: pipeline.SyncPending},
		2: {UPN: "c@corp.example", DN: "CN=C,DC=corp", EntraID: "e2", MatchStatus: pipeline.Matched, MatchMethod: pipeline.ByUPN,
			MobileState: pipeline.InSync, OtherMobileState: pipeline.Unverifiable, MobileAD: "+14255550102", MobileEntra: "+14255550102",
			Effect: pipeline.NoEffect, Risk: pipeline.RiskNone},
		3: {UPN: "d@corp.example", DN: "CN=D,DC=corp", EntraID: "e3", MatchStatus: pipeline.AnchorConflict, MatchMethod: pipeline.ByAnchor,
			MobileState: pipeline.FormatOnly, OtherMobileState: pipeline.Unverifiable, MobileAD: "+1 425 555 0103", MobileEntra: "+14255550103",
			Effect: pipeline.ReformatsCloud, Risk: pipeline.RiskLow, Reason: "upn names CN=X,DC=corp"},
		4: {UPN: "e@corp.example", DN: hostileSpaces, MatchStatus: pipeline.ADOnly, MatchMethod: pipeline.ByNone,
			MobileState: pipeline.NotApplicable, OtherMobileState: pipeline.NotApplicable, Effect: pipeline.NoEffect, Risk: pipeline.RiskNone,
			Reason: "no cloud user"},
		5: {UPN: hostileDDE, EntraID: "e5", MatchStatus: pipeline.CloudOnly, MatchMethod: pipeline.ByNone,
			MobileState: pipeline.NotApplicable, OtherMobileState: pipeline.NotApplicable, Effect: pipeline.NoEffect, Risk: pipeline.RiskNone},
		6: {UPN: "g@corp.example", DN: "CN=G,DC=corp", EntraID: "e6", MatchStatus: pipeline.Matched, MatchMethod: pipeline.ByOnPremisesUPN,
			MobileState: pipeline.InSync, OtherMobileState: pipeline.Mismatch, MobileAD: "+14255550106", MobileEntra: "+14255550106",
			OtherMobileAD: []string{"+14255550999"}, OtherMobileEntra: []string{hostileSum, "+14255550998"},
			Effect: pipeline.OverwritesCloud, Risk: pipeline.RiskMedium, Timing: pipeline.OverrideLikely},
		7: {UPN: "h@corp.example", DN: "CN=H,DC=corp", EntraID: "e7", MatchStatus: pipeline.Matched, MatchMethod: pipeline.ByAnchor,
			MobileState: pipeline.Invalid, OtherMobileState: pipeline.MissingInEntra, MobileAD: hostileExp,
			OtherMobileAD: []string{"+14255550107"}, OtherMobileEntra: []string{},
			Effect: pipeline.FillsCloud, Risk: pipeline.RiskHigh},
		8: {UPN: "i@corp.example", DN: "CN=I,DC=corp", EntraID: "e8", MatchStatus: pipeline.Matched, MatchMethod: pipeline.ByAnchor,
			MobileState: pipeline.InSync, OtherMobileState: pipeline.InSync, MobileAD: "+14255550108", MobileEntra: "+14255550108",
			OtherMobileAD: []string{}, OtherMobileEntra: []string{}, Effect: pipeline.NoEffect, Risk: pipeline.RiskNone},
		9: {UPN: "j@corp.example", DN: "CN=J,DC=corp", EntraID: "e9", MatchStatus: pipeline.Ambiguous, MatchMethod: pipeline.ByUPN,
			MobileState: pipeline.NotApplicable, OtherMobileState: pipeline.NotApplicable, Effect: pipeline.NoEffect, Risk: pipeline.RiskNone,
			Reason: "two AD users with this UPN"},
	}
}

// fixtureAudit wraps fixtureGaps with the Summary's other inputs.
func fixtureAudit() *Audit {
	return &Audit{
		Snapshot:    hostileSum + "/snap",
		ToolVersion: "v0.0.0-test",
		Inputs: []pipeline.InputRecord{
			{Path: "ad.ldif", Bytes: 1234, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
			{Path: hostileHyperlink, Bytes: 5, SHA256: "00"},
		},
		Formats:    []string{"graph-rest-pages", "msonline-csv"},
		Parameters: map[string]string{"default_region": "US", "policy": "review", "z": hostileMinus, "a": hostileAt},
		Tenant: []pipeline.TenantFlag{
			{Feature: "blockSoftMatchEnabled", Enabled: pipeline.Known(true), Source: "sync.json"},
			{Feature: pipeline.BypassFeature, Enabled: pipeline.Known(false), Source: "sync.json"},
		},
		Gaps: fixtureGaps(),
	}
}

// Expected sheet content for fixtureAudit, header first.
var (
	wantGapRows = [][]string{
		{"UPN", "DN", "Match", "Mobile state", "Other mobile state", "AD mobile", "Cloud mobile", "AD otherMobile", "Cloud otherMobile", "Effect", "Risk", "Timing", "Region", "Reason"},
		{hostileHyperlink, hostileAt, "matched", "missing_in_ad", "unverifiable", "", hostileDDE, "", "(unknown)", "clears_cloud", "high", "override_likely", "US", hostileSum},
		{"b@corp.example", "CN=B,DC=corp", "matched", "mismatch", "in_sync", hostileMinus, hostilePlus, hostileZero + "; " + hostileExp, hostileExp + "; " + hostileZero, "overwrites_cloud", "medium", "sync_pending", "", ""},
		{"d@corp.example", "CN=D,DC=corp", "anchor_conflict", "format_only", "unverifiable", "+1 425 555 0103", "+14255550103", "", "(unknown)", "reformats_cloud", "low", "", "", "upn names CN=X,DC=corp"},
		{"g@corp.example", "CN=G,DC=corp", "matched", "in_sync", "mismatch", "+14255550106", "+14255550106", "+14255550999", hostileSum + "; +14255550998", "overwrites_cloud", "medium", "override_likely", "", ""},
		{"h@corp.example", "CN=H,DC=corp", "matched", "invalid", "missing_in_entra", hostileExp, "", "+14255550107", "", "fills_cloud", "high", "", "", ""},
	}
	wantUnmatchedRows = [][]string{
		{"Match status", "Method", "UPN", "DN", "Entra id", "Reason"},
		{"anchor_conflict", "anchor", "d@corp.example", "CN=D,DC=corp", "e3", "upn names CN=X,DC=corp"},
		{"ad_only", "none", "e@corp.example", hostileSpaces, "", "no cloud user"},
		{"cloud_only", "none", hostileDDE, "", "e5", ""},
		{"ambiguous", "upn", "j@corp.example", "CN=J,DC=corp", "e9", "two AD users with this UPN"},
	}
)

// xlsxCell is a worksheet cell as stored in the file.
type xlsxCell struct {
	Ref     string    `xml:"r,attr"`
	Type    string    `xml:"t,attr"`
	Style   int       `xml:"s,attr"`
	Formula *struct{} `xml:"f"`
	Inline  string    `xml:"is>t"`
}

// xlsxSheet is the part of a worksheet's XML the tests look at.
type xlsxSheet struct {
	Rows []struct {
		R     int        `xml:"r,attr"`
		Cells []xlsxCell `xml:"c"`
	} `xml:"sheetData>row"`
	AutoFilter *struct {
		Ref string `xml:"ref,attr"`
	} `xml:"autoFilter"`
	Pane *struct {
		State   string `xml:"state,attr"`
		TopLeft string `xml:"topLeftCell,attr"`
		YSplit  int    `xml:"ySplit,attr"`
	} `xml:"sheetViews>sheetView>pane"`
	Cols []struct {
		Min   int     `xml:"min,attr"`
		Max   int     `xml:"max,attr"`
		Width float64 `xml:"width,attr"`
		Style int     `xml:"style,attr"`
	} `xml:"cols>col"`
	Protection *struct {
		Sheet      bool `xml:"sheet,attr"`
		AutoFilter bool `xml:"autoFilter,attr"`
	} `xml:"sheetProtection"`
	Validations []struct {
		Type    string `xml:"type,attr"`
		Sqref   string `xml:"sqref,attr"`
		Formula string `xml:"formula1"`
	} `xml:"dataValidations>dataValidation"`
	PageSetup *struct {
		Orientation string `xml:"orientation,attr"`
		FitToWidth  string `xml:"fitToWidth,attr"`
		FitToHeight string `xml:"fitToHeight,attr"`
	} `xml:"pageSetup"`
}

// rawSheets reads every worksheet's XML straight from the archive, keyed by
// sheet name, so tests see what a spreadsheet program will parse.
func rawSheets(t *testing.T, file string) map[string]xlsxSheet {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	read := func(name string, v any) {
		t.Helper()
		f, err := zr.Open(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	read("xl/workbook.xml", &wb)
	read("xl/_rels/workbook.xml.rels", &rels)
	target := map[string]string{}
	for _, r := range rels.Rels {
		target[r.ID] = r.Target
	}
	out := map[string]xlsxSheet{}
	for _, s := range wb.Sheets {
		var ws xlsxSheet
		read(path.Join("xl", target[s.RID]), &ws)
		out[s.Name] = ws
	}
	return out
}

package plan

import (
	"reflect"
	"strings"
	"testing"

	"syncgap/pipeline"
	"syncgap/planfile"
)

// gap builds a matched gaps row with the given mobile pair; other_mobile is
// in sync unless a test changes it.
func gap(dn string, ms pipeline.State, ad, cloud string) pipeline.Gap {
	return pipeline.Gap{
		UPN: "u@contoso.com", DN: dn, EntraID: "id-" + dn, MatchStatus: pipeline.Matched, MatchMethod: pipeline.ByAnchor,
		MobileState: ms, OtherMobileState: pipeline.InSync, MobileAD: ad, MobileEntra: cloud,
		OtherMobileAD: []string{}, OtherMobileEntra: []string{}, Region: "US", Timing: pipeline.OverrideLikely,
	}
}

// want is the part of an action a rule decides.
type want struct {
	Kind     pipeline.ActionKind
	Target   pipeline.Target
	Attr     string
	Op       pipeline.Op
	Expected []string
	Value    []string
}

func got(t *testing.T, cfg Config, g pipeline.Gap) []want {
	t.Helper()
	p, err := NewPlanner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	acts, err := p.Row(nil, &g)
	if err != nil {
		t.Fatal(err)
	}
	var out []want
	for _, a := range acts {
		if len(a.ActionID) != 16 {
			t.Errorf("action id %q", a.ActionID)
		}
		if a.Reason == "" {
			t.Errorf("action %s has no reason", a.ActionID)
		}
		out = append(out, want{a.Kind, a.Target, a.Attribute, a.Op, a.Expected, a.Value})
	}
	return out
}

func TestPolicies(t *testing.T) {
	mismatch := gap("CN=A", pipeline.Mismatch, "+1 206 555 0100", " +1 206 555 0199 ")
	missingAD := gap("CN=B", pipeline.MissingInAD, "", "+1 206 555 0101")
	missingEntra := gap("CN=C", pipeline.MissingInEntra, "+1 206 555 0102", "")
	format := gap("CN=D", pipeline.FormatOnly, "(206) 555-0103", "+1 206 555 0103")
	format.MobileADE164, format.MobileEntraE164 = "+12065550103", "+12065550103"
	invalid := gap("CN=E", pipeline.Invalid, "ask reception", "+1 206 555 0104")
	cloudJunk := gap("CN=E2", pipeline.Invalid, "+1 206 555 0104", "ask reception")
	pending := gap("CN=F", pipeline.Mismatch, "+1 206 555 0105", "+1 206 555 0106")
	pending.Timing = pipeline.SyncPending
	other := gap("CN=G", pipeline.InSync, "", "")
	other.OtherMobileState = pipeline.Mismatch
	other.OtherMobileAD = []string{"+1 206 555 0107", "+1 206 555 0108"}
	other.OtherMobileEntra = []string{"+1 206 555 0109", "+1 206 555 0107", "+1 206 555 0109"}
	unknown := gap("CN=H", pipeline.InSync, "", "")
	unknown.OtherMobileState, unknown.OtherMobileEntra = pipeline.Unverifiable, nil
	ambiguous := gap("CN=I", pipeline.NotApplicable, "", "")
	ambiguous.MatchStatus, ambiguous.OtherMobileState, ambiguous.Reason = pipeline.Ambiguous, pipeline.NotApplicable, "ambiguous: two AD users"
	conflict := gap("CN=J", pipeline.Mismatch, "+1 206 555 0110", "+1 206 555 0111")
	conflict.MatchStatus = pipeline.AnchorConflict
	adOnly := gap("CN=K", pipeline.NotApplicable, "+1 206 555 0112", "")
	adOnly.MatchStatus = pipeline.ADOnly

	none := []string{}
	ew := Config{Policy: EntraWins}
	tests := []struct {
		name string
		cfg  Config
		g    pipeline.Gap
		want []want
	}{
		{"entra-wins mismatch writes the trimmed cloud value", ew, mismatch,
			[]want{{pipeline.KindWrite, pipeline.TargetAD, "mobile", pipeline.OpReplace, []string{"+1 206 555 0100"}, []string{"+1 206 555 0199"}}}},
		{"entra-wins missing_in_ad adds", ew, missingAD,
			[]want{{pipeline.KindWrite, pipeline.TargetAD, "mobile", pipeline.OpAdd, none, []string{"+1 206 555 0101"}}}},
		{"entra-wins missing_in_entra needs a decision", ew, missingEntra,
			[]want{{pipeline.KindDecide, pipeline.TargetAD, "mobile", pipeline.OpDelete, []string{"+1 206 555 0102"}, none}}},
		{"entra-wins missing_in_entra keep-ad", Config{Policy: EntraWins, MissingInEntra: MissingKeepAD}, missingEntra, nil},
		{"entra-wins missing_in_entra clear-ad", Config{Policy: EntraWins, MissingInEntra: MissingClear}, missingEntra,
			[]want{{pipeline.KindWrite, pipeline.TargetAD, "mobile", pipeline.OpDelete, []string{"+1 206 555 0102"}, none}}},
		{"format_only is left alone without --normalize", ew, format, nil},
		{"format_only with --normalize writes E.164", Config{Policy: EntraWins, Normalize: true}, format,
			[]want{{pipeline.KindWrite, pipeline.TargetAD, "mobile", pipeline.OpReplace, []string{"(206) 555-0103"}, []string{"+12065550103"}}}},
		{"--normalize writes cloud values in E.164", Config{Policy: EntraWins, Normalize: true}, mismatch,
			[]want{{pipeline.KindWrite, pipeline.TargetAD, "mobile", pipeline.OpReplace, []string{"+1 206 555 0100"}, []string{"+12065550199"}}}},
		{"junk in AD over a cloud number is a decision for the cloud's", ew, invalid,
			[]want{{pipeline.KindDecide, pipeline.TargetAD, "mobile", pipeline.OpReplace, []string{"ask reception"}, []string{"+1 206 555 0104"}}}},
		{"junk in the cloud is review only", ew, cloudJunk,
			[]want{{pipeline.KindReview, pipeline.TargetAD, "mobile", "", nil, nil}}},
		{"junk in AD over a number is review only under ad-wins", Config{Policy: ADWins}, invalid,
			[]want{{pipeline.KindReview, pipeline.TargetAD, "mobile", "", nil, nil}}},
		{"sync_pending becomes a decision", ew, pending,
			[]want{{pipeline.KindDecide, pipeline.TargetAD, "mobile", pipeline.OpReplace, []string{"+1 206 555 0105"}, []string{"+1 206 555 0106"}}}},
		{"otherMobile set replaced by the de-duplicated cloud set", ew, other,
			[]want{{pipeline.KindWrite, pipeline.TargetAD, "otherMobile", pipeline.OpReplace,
				[]string{"+1 206 555 0107", "+1 206 555 0108"}, []string{"+1 206 555 0107", "+1 206 555 0109"}}}},
		{"unverifiable otherMobile waits for the one acknowledge row", ew, unknown, nil},
		{"ambiguous is review only", ew, ambiguous,
			[]want{{pipeline.KindReview, pipeline.TargetAD, "", "", nil, nil}}},
		{"anchor_conflict is review only even with a mismatch", ew, conflict,
			[]want{{pipeline.KindReview, pipeline.TargetAD, "", "", nil, nil}}},
		{"ad_only plans nothing", ew, adOnly, nil},

		{"ad-wins records an overwritten cloud value", Config{Policy: ADWins}, mismatch,
			[]want{{pipeline.KindRecord, pipeline.TargetEntra, "mobile", pipeline.OpReplace, []string{" +1 206 555 0199 "}, []string{"+1 206 555 0100"}}}},
		{"ad-wins records a cleared cloud value", Config{Policy: ADWins}, missingAD,
			[]want{{pipeline.KindRecord, pipeline.TargetEntra, "mobile", pipeline.OpDelete, []string{"+1 206 555 0101"}, none}}},
		{"ad-wins: a filled cloud loses nothing", Config{Policy: ADWins}, missingEntra, nil},
		{"ad-wins records a reformatted cloud value", Config{Policy: ADWins}, format,
			[]want{{pipeline.KindRecord, pipeline.TargetEntra, "mobile", pipeline.OpReplace, []string{"+1 206 555 0103"}, []string{"(206) 555-0103"}}}},
		{"ad-wins: invalid is still review", Config{Policy: ADWins}, invalid,
			[]want{{pipeline.KindReview, pipeline.TargetAD, "mobile", "", nil, nil}}},

		{"review: mismatch is a decision", Config{Policy: Review}, mismatch,
			[]want{{pipeline.KindDecide, pipeline.TargetAD, "mobile", pipeline.OpReplace, []string{"+1 206 555 0100"}, []string{"+1 206 555 0199"}}}},
		{"review: missing_in_entra is a decision", Config{Policy: Review}, missingEntra,
			[]want{{pipeline.KindDecide, pipeline.TargetAD, "mobile", pipeline.OpDelete, []string{"+1 206 555 0102"}, none}}},
		{"review: missing_in_ad is a decision", Config{Policy: Review}, missingAD,
			[]want{{pipeline.KindDecide, pipeline.TargetAD, "mobile", pipeline.OpAdd, none, []string{"+1 206 555 0101"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if g := got(t, tt.cfg, tt.g); !reflect.DeepEqual(g, tt.want) {
				t.Errorf("got  %+v\nwant %+v", g, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no policy"},
		{Config{Policy: "cloud-wins"}, "unknown policy"},
		{Config{Policy: ADWins, Normalize: true}, "ad-wins plans no AD writes"},
		{Config{Policy: Review, MissingInEntra: MissingClear}, "entra-wins only"},
		{Config{Policy: EntraWins, MissingInEntra: "maybe"}, "unknown --missing-in-entra"},
	} {
		err := tt.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: got %v, want %q", tt.cfg, err, tt.want)
		}
	}
	ok := Config{Policy: EntraWins}
	if err := ok.Validate(); err != nil || ok.MissingInEntra != MissingDecide {
		t.Errorf("entra-wins: %v, missing-in-entra %q", err, ok.MissingInEntra)
	}
}

func TestScopeAndExclusions(t *testing.T) {
	ex, err := ReadExclusions(strings.NewReader("# VIPs\n\nCEO@Contoso.com\ncn=B, ou=Sales,dc=contoso,dc=com\n"), "vips.txt")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlanner(Config{Policy: EntraWins, OnlyOU: "OU=Sales,DC=contoso,DC=com", Exclude: ex})
	if err != nil {
		t.Fatal(err)
	}
	rows := []pipeline.Gap{
		gap("CN=A,OU=Sales,DC=contoso,DC=com", pipeline.Mismatch, "+1 206 555 0100", "+1 206 555 0101"),
		gap("CN=B,OU=Sales,DC=Contoso,DC=com", pipeline.Mismatch, "+1 206 555 0100", "+1 206 555 0101"),
		gap("CN=C,OU=Sales,DC=contoso,DC=com", pipeline.Mismatch, "+1 206 555 0100", "+1 206 555 0101"),
		gap("CN=D,OU=Marketing,DC=contoso,DC=com", pipeline.Mismatch, "+1 206 555 0100", "+1 206 555 0101"),
		gap("CN=E,OU=Sales,DC=contoso,DC=org", pipeline.Mismatch, "+1 206 555 0100", "+1 206 555 0101"),
	}
	rows[2].UPN = "ceo@contoso.com"
	var acts []pipeline.Action
	for i := range rows {
		if acts, err = p.Row(acts, &rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if len(acts) != 1 || acts[0].DN != rows[0].DN {
		t.Fatalf("planned %+v, want only %s", acts, rows[0].DN)
	}
	if p.Stats.Excluded != 2 || p.Stats.OutOfScope != 2 {
		t.Errorf("stats %+v, want 2 excluded, 2 out of scope", p.Stats)
	}
	if _, err := ReadExclusions(strings.NewReader("ok@x\nbad\x00@x\n"), "x.txt"); err == nil || !strings.HasPrefix(err.Error(), "x.txt:2:") {
		t.Errorf("bad exclusion line: %v", err)
	}
}

func TestTenantAction(t *testing.T) {
	for _, tt := range []struct {
		name   string
		bypass pipeline.NullBool
		want   []string // expected; nil: no action
		action bool
	}{
		{"off", pipeline.Known(false), []string{"false"}, true},
		{"unknown", pipeline.NullBool{}, nil, true},
		{"already on", pipeline.Known(true), nil, false},
	} {
		p, err := NewPlanner(Config{Policy: ADWins, EnableBypass: true, Bypass: tt.bypass})
		if err != nil {
			t.Fatal(err)
		}
		a, err := p.Tenant()
		if err != nil {
			t.Fatal(err)
		}
		if (a != nil) != tt.action {
			t.Fatalf("%s: action %+v", tt.name, a)
		}
		if a == nil {
			if !p.Stats.BypassOn {
				t.Errorf("%s: stats do not say the flag is on", tt.name)
			}
			continue
		}
		if a.Target != pipeline.TargetTenant || a.Attribute != pipeline.BypassFeature || !reflect.DeepEqual(a.Expected, tt.want) ||
			!reflect.DeepEqual(a.Value, []string{"true"}) || a.Kind != pipeline.KindWrite {
			t.Errorf("%s: %+v", tt.name, a)
		}
	}
	p, _ := NewPlanner(Config{Policy: EntraWins})
	if a, _ := p.Tenant(); a != nil {
		t.Errorf("tenant action without --enable-bypass: %+v", a)
	}
}

func TestActionIDsAreStableAndUnique(t *testing.T) {
	g := gap("CN=A", pipeline.Mismatch, "+1 206 555 0100", "+1 206 555 0101")
	first := got(t, Config{Policy: EntraWins}, g)
	p1, _ := NewPlanner(Config{Policy: EntraWins})
	a1, _ := p1.Row(nil, &g)
	p2, _ := NewPlanner(Config{Policy: EntraWins, Normalize: true})
	a2, _ := p2.Row(nil, &g)
	if len(first) != 1 || a1[0].ActionID == a2[0].ActionID {
		t.Errorf("a different value must give a different id: %s %s", a1[0].ActionID, a2[0].ActionID)
	}
	p3, _ := NewPlanner(Config{Policy: EntraWins})
	a3, _ := p3.Row(nil, &g)
	if a1[0].ActionID != a3[0].ActionID {
		t.Errorf("same action, ids %s and %s", a1[0].ActionID, a3[0].ActionID)
	}
	if _, err := p3.Row(nil, &g); err == nil || !strings.Contains(err.Error(), "duplicate row") {
		t.Errorf("the same row twice: %v", err)
	}
}

func TestHash(t *testing.T) {
	g := gap("CN=A", pipeline.Mismatch, "+1 206 555 0100", "+1 206 555 0101")
	p, _ := NewPlanner(Config{Policy: EntraWins})
	acts, _ := p.Row(nil, &g)
	ins := []pipeline.InputRecord{{Path: "gaps.parquet", SHA256: "aa"}, {Path: "tenant.parquet", SHA256: "bb"}}
	params := map[string]string{"policy": "entra-wins"}
	h := planfile.Hash(ins, params, acts)
	if h != planfile.Hash([]pipeline.InputRecord{ins[1], ins[0]}, map[string]string{"policy": "entra-wins"}, acts) {
		t.Error("the hash depends on input order or map order")
	}
	changed := []pipeline.InputRecord{{Path: "gaps.parquet", SHA256: "ab"}, ins[1]}
	edited := append([]pipeline.Action(nil), acts...)
	edited[0].Value = []string{"+1 206 555 0199"}
	nullVsEmpty := append([]pipeline.Action(nil), acts...)
	nullVsEmpty[0].CloudValue = nil
	for name, other := range map[string]string{
		"input":  planfile.Hash(changed, params, acts),
		"param":  planfile.Hash(ins, map[string]string{"policy": "review"}, acts),
		"value":  planfile.Hash(ins, params, edited),
		"null":   planfile.Hash(ins, params, nullVsEmpty),
		"no row": planfile.Hash(ins, params, nil),
	} {
		if other == h {
			t.Errorf("changing the %s leaves the hash unchanged", name)
		}
	}
}

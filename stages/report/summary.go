package report

import (
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"syncgap/pipeline"
)

// Overview counts a classified snapshot for the terminal.
type Overview struct {
	Rows     int
	ByStatus map[pipeline.MatchStatus]int
	Mobile   map[pipeline.State]int
	Other    map[pipeline.State]int
	ByEffect map[pipeline.Effect]int
	ByRisk   map[pipeline.Risk]int
	Bypass   pipeline.NullBool
	// BypassSource is where the flag was read, or why it is unknown.
	BypassSource string
}

// countedGap is the part of a gaps row the overview counts: five of its
// eighteen columns, so the notes and values are never decoded (a second
// of the audit at a million users).
type countedGap struct {
	MatchStatus      pipeline.MatchStatus `parquet:"match_status"`
	MobileState      pipeline.State       `parquet:"mobile_state"`
	OtherMobileState pipeline.State       `parquet:"other_mobile_state"`
	Effect           pipeline.Effect      `parquet:"effect"`
	Risk             pipeline.Risk        `parquet:"risk"`
}

// Summarize streams gaps.parquet and tenant.parquet of a snapshot.
func Summarize(dir string) (*Overview, error) {
	s := &Overview{
		ByStatus: map[pipeline.MatchStatus]int{}, Mobile: map[pipeline.State]int{}, Other: map[pipeline.State]int{},
		ByEffect: map[pipeline.Effect]int{}, ByRisk: map[pipeline.Risk]int{},
	}
	flags, err := pipeline.ReadRows[pipeline.TenantFlag](filepath.Join(dir, pipeline.FileName(pipeline.TenantTable)))
	if err != nil {
		return nil, err
	}
	for _, f := range flags {
		if f.Feature == pipeline.BypassFeature {
			s.Bypass, s.BypassSource = f.Enabled, f.Source
		}
	}
	r, err := pipeline.OpenReader[countedGap](filepath.Join(dir, pipeline.FileName(pipeline.GapsTable)))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var g countedGap
	for {
		err := r.Next(&g)
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			return nil, err
		}
		s.Rows++
		s.ByStatus[g.MatchStatus]++
		s.Mobile[g.MobileState]++
		s.Other[g.OtherMobileState]++
		s.ByEffect[g.Effect]++
		s.ByRisk[g.Risk]++
	}
}

// WriteText prints the summary as aligned plain-text tables.
func (s *Overview) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MATCH STATUS\tROWS\t")
	for _, st := range pipeline.MatchStatuses {
		fmt.Fprintf(tw, "%s\t%d\t\n", st, s.ByStatus[st])
	}
	fmt.Fprintln(tw, "\t\t\t")
	fmt.Fprintln(tw, "GAP\tMOBILE\tOTHERMOBILE\t")
	for _, st := range pipeline.States {
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", st, s.Mobile[st], s.Other[st])
	}
	fmt.Fprintln(tw, "\t\t\t")
	fmt.Fprintln(tw, "EFFECT OF ENABLING BYPASS\tUSERS\t")
	for _, e := range pipeline.Effects {
		fmt.Fprintf(tw, "%s\t%d\t\n", e, s.ByEffect[e])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nEnabling BypassDirSyncOverrides (now %s) would clear cloud values of %d users, overwrite %d, fill %d and reformat %d.\n",
		onOff(s.Bypass), s.ByEffect[pipeline.ClearsCloud], s.ByEffect[pipeline.OverwritesCloud], s.ByEffect[pipeline.FillsCloud], s.ByEffect[pipeline.ReformatsCloud])
	if err == nil && !s.Bypass.Valid && s.BypassSource != "" {
		// Unknown is not off: say why, so nobody enables it believing it was.
		_, err = fmt.Fprintf(w, "The tenant flag could not be read: %s.\n", s.BypassSource)
	}
	if n := s.Other[pipeline.Unverifiable]; err == nil && n > 0 {
		// Said once, plainly: the counts above cover mobile only for these users.
		_, err = fmt.Fprintf(w, "AlternateMobilePhones (otherMobile in the cloud) is unknown for %d users: no supported API reads it since\n"+
			"MSOnline PowerShell was retired in 2025, so the counts above cover their mobile only, and the switch sets their\n"+
			"AlternateMobilePhones to AD's otherMobile whatever it holds now. An MSOnline export made before the retirement\n"+
			"(Get-MsolUser ... AlternateMobilePhones, as CSV) still shows what the cloud held: add it with --export.\n", n)
	}
	return err
}

func onOff(b pipeline.NullBool) string {
	switch {
	case !b.Valid:
		return "unknown"
	case b.Bool:
		return "on"
	}
	return "off"
}

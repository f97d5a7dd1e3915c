package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"syncgap/pipeline"
)

// Show prints every joined row of the snapshot that concerns the user named
// by who (a UPN, on-premises UPN, sAMAccountName, DN or object id, any case),
// both sides and the verdict: the offline equivalent of
// Get-ADSyncToolsDirSyncOverridesUser -FromAD / -FromEntraID.
// asJSON prints a JSON array of {"joined": row, "gaps": row} instead, the
// rows keyed by their column names. It returns the number of rows shown
// and, when none was, the UPN or sAMAccountName nearest to who, if one is
// near ("" if not).
func Show(w io.Writer, dir, who string, asJSON bool) (shown int, nearest string, err error) {
	jr, err := pipeline.OpenReader[pipeline.Joined](filepath.Join(dir, pipeline.FileName(pipeline.JoinedTable)))
	if err != nil {
		return 0, "", err
	}
	defer jr.Close()
	gr, err := pipeline.OpenReader[pipeline.Gap](filepath.Join(dir, pipeline.FileName(pipeline.GapsTable)))
	if err != nil {
		return 0, "", err
	}
	defer gr.Close()
	key := strings.TrimSpace(who)
	near := nearName{want: strings.ToLower(key)}
	var j pipeline.Joined
	var g pipeline.Gap
	var buf []byte
	if asJSON {
		io.WriteString(w, "[")
	}
	for {
		// gaps has exactly one row per joined row, in the same order.
		err := jr.Next(&j)
		if err == io.EOF {
			break
		}
		if err != nil {
			return shown, "", err
		}
		if err := gr.Next(&g); err != nil {
			return shown, "", fmt.Errorf("gaps.parquet is shorter than joined.parquet: re-run classify (%w)", err)
		}
		if !concerns(&j, key) {
			if shown == 0 {
				near.consider(j.AD.UPN, j.Entra.UPN, j.AD.SamAccountName)
			}
			continue
		}
		if asJSON {
			if buf, err = userJSON(buf[:0], shown, &j, &g); err != nil {
				return shown, "", err
			}
			w.Write(buf)
		} else {
			writeUser(w, &j, &g)
		}
		shown++
	}
	if asJSON {
		io.WriteString(w, "\n]\n")
	}
	if shown > 0 {
		return shown, "", nil
	}
	return 0, near.best, nil
}

// userJSON appends one shown user: its joined and gaps rows, each keyed
// by the table's column names (docs/tables.md).
func userJSON(b []byte, i int, j *pipeline.Joined, g *pipeline.Gap) ([]byte, error) {
	if i > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n{\"joined\":"...)
	b, err := pipeline.AppendRowJSON(b, j)
	if err != nil {
		return nil, err
	}
	b = append(b, ",\"gaps\":"...)
	if b, err = pipeline.AppendRowJSON(b, g); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// nearName keeps the name nearest to what was asked for, for a "did you
// mean" when nothing matched: within a third of its length in edits.
type nearName struct {
	want  string
	best  string
	bestD int
}

func (n *nearName) consider(names ...string) {
	limit := len(n.want)/3 + 1
	for _, name := range names {
		if name == "" || abs(len(name)-len(n.want)) > limit {
			continue // too far by length alone: skip the edit distance
		}
		d := pipeline.EditDistance(n.want, strings.ToLower(name))
		if d <= limit && (n.best == "" || d < n.bestD || d == n.bestD && name < n.best) {
			n.best, n.bestD = name, d
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func concerns(j *pipeline.Joined, key string) bool {
	for _, s := range []string{j.AD.UPN, j.AD.SamAccountName, j.AD.DN, j.AD.ObjectGUID, j.Entra.UPN, j.Entra.OnPremisesUPN, j.Entra.ID} {
		if s != "" && strings.EqualFold(strings.TrimSpace(s), key) {
			return true
		}
	}
	return false
}

func writeUser(w io.Writer, j *pipeline.Joined, g *pipeline.Gap) {
	fmt.Fprintf(w, "%s\n  match: %s by %s", g.UPN, j.MatchStatus, j.MatchMethod)
	if j.Note != "" {
		fmt.Fprintf(w, " (%s)", j.Note)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	row := func(name, ad, cloud string) { fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, orDash(ad), orDash(cloud)) }
	row("", "ACTIVE DIRECTORY", "ENTRA ID")
	row("UPN", j.AD.UPN, j.Entra.UPN)
	row("on-premises UPN", "", j.Entra.OnPremisesUPN)
	row("DN", j.AD.DN, j.Entra.OnPremisesDN)
	row("object id", j.AD.ObjectGUID, j.Entra.ID)
	row("sourceAnchor", j.AD.SourceAnchor, j.Entra.OnPremisesImmutableID)
	row("sAMAccountName", j.AD.SamAccountName, j.Entra.OnPremisesSamAccountName)
	row("mobile", j.AD.Mobile, j.Entra.MobilePhone)
	cloudOther := "(unknown)"
	if j.Entra.AlternateMobilePhones != nil {
		cloudOther = strings.Join(j.Entra.AlternateMobilePhones, "; ")
	}
	if !j.HasEntra() {
		cloudOther = ""
	}
	row("otherMobile", strings.Join(j.AD.OtherMobile, "; "), cloudOther)
	row("country / usageLocation", j.AD.Country, j.Entra.UsageLocation)
	row("enabled", boolText(j.AD.Enabled, j.HasAD()), boolText(j.Entra.AccountEnabled, j.HasEntra()))
	row("sync flag", "", boolText(j.Entra.OnPremisesSyncEnabled, j.HasEntra()))
	row("changed / last sync", timeText(j.AD.WhenChanged), timeText(j.Entra.OnPremisesLastSync))
	row("read from", j.AD.Origin, j.Entra.Origin)
	tw.Flush()
	fmt.Fprintf(w, "  verdict: mobile %s, otherMobile %s; enabling bypass: %s (risk %s)", g.MobileState, g.OtherMobileState, g.Effect, g.Risk)
	if g.Timing != "" {
		fmt.Fprintf(w, "; timing %s", g.Timing)
	}
	fmt.Fprintln(w)
	if g.Reason != "" {
		fmt.Fprintf(w, "  why: %s\n", g.Reason)
	}
	fmt.Fprintln(w)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func boolText(b pipeline.NullBool, present bool) string {
	if !present {
		return ""
	}
	return b.String()
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

package extractentra

import (
	"strings"

	"syncgap/pipeline"
)

// spoolRow is a spooled user as the merge reads it: the user, its position
// in its export, and where the merge sends it.
type spoolRow struct {
	pipeline.EntraUser
	// Seq is the user's position in its export, from 0.
	Seq int64
	// PendingDate is a CSV culture date whose day/month order only the
	// whole file tells (parseCulture); user sets OnPremisesLastSync from it.
	PendingDate string
	// Target is the merge's: the rank of the primary user the row fills
	// (extmerge.go).
	Target int64
}

// packedRow is a spooled user as its sorter holds it: the id it sorts by,
// and the rest of it packed into one string (pipeline.AppendPackedEntra).
// That costs a fifth of EntraUser's 232-byte struct in the sorter's
// buffer, gives the collector two pointers to scan instead of fifteen, and
// a Parquet run four columns instead of eighteen, each of which a merge
// holds a page of per run.
type packedRow struct {
	ID     string `parquet:"id"`
	User   string `parquet:"user"`
	Seq    int64  `parquet:"seq"`
	Target int64  `parquet:"target"`
}

func packedBytes(r *packedRow) int64 { return int64(len(r.ID) + len(r.User)) }

// pack is r as its sorter holds it, its strings copied into one; buf is
// scratch space, returned for the next call.
func pack(r *spoolRow, buf []byte) (packedRow, []byte) {
	b := append(buf[:0], r.ID...)
	b = pipeline.AppendPackedEntra(b, &r.EntraUser, r.PendingDate)
	s := string(b)
	return packedRow{ID: s[:len(r.ID)], User: s[len(r.ID):], Seq: r.Seq, Target: r.Target}, b
}

// unpack fills r from p; r's strings are p's.
func (p *packedRow) unpack(r *spoolRow) error {
	u, pending, err := pipeline.UnpackEntra(p.ID, p.User)
	if err != nil {
		return err
	}
	*r = spoolRow{EntraUser: u, Seq: p.Seq, PendingDate: pending, Target: p.Target}
	return nil
}

// comparePackedUPN orders two packed users of one id by UPN, as sortByID does.
func comparePackedUPN(a, b *packedRow) int {
	return strings.Compare(pipeline.PackedEntraUPN(a.User), pipeline.PackedEntraUPN(b.User))
}

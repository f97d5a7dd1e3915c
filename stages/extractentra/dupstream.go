package extractentra

import (
	"context"
	"strings"

	"syncgap/pipeline"
)

// The duplicate check of a spooled export (checkDuplicates' rules, on
// sorted streams): the first user in file order that repeats an earlier
// one's id, or its UPN ignoring case, ids first on the same user, naming
// where the earlier one was.

// dupUser is a user as a duplicate error names it.
type dupUser struct {
	seq           int64
	value, origin string
}

// idDups finds the first repeated id from an export's users streamed by
// id: in each run of one id, the two users first in file order.
type idDups struct {
	n             int // users in the current run
	id            string
	first, second dupUser
	later, prior  *dupUser // the duplicate found so far: the later user, and the one it repeats
}

func (d *idDups) feed(r *spoolRow) {
	u := dupUser{seq: r.Seq, value: r.ID, origin: r.Origin}
	switch {
	case d.n == 0 || r.ID != d.id:
		d.end()
		d.id, d.first, d.n = r.ID, u, 1
		return
	case u.seq < d.first.seq:
		d.first, d.second = u, d.first
	case d.n == 1 || u.seq < d.second.seq:
		d.second = u
	}
	d.n++
}

// end closes the current run; call it once the stream has ended.
func (d *idDups) end() {
	if d.n > 1 && (d.later == nil || d.second.seq < d.later.seq) {
		later, prior := d.second, d.first
		d.later, d.prior = &later, &prior
	}
	d.n = 0
}

// upnDups finds the first repeated UPN from an export's UPN keys streamed
// by key, each key's users in file order: in each run of one key, the
// first user whose UPN equals an earlier one's ignoring case.
type upnDups struct {
	started      bool
	key          string
	run          []upnRow // the run's users so far, none repeating another
	found        bool     // the run has its duplicate: later users cannot be first
	later, prior *upnRow
}

func (d *upnDups) feed(r *upnRow) {
	if !d.started || r.Key != d.key {
		d.started, d.key, d.run, d.found = true, r.Key, d.run[:0], false
	}
	if d.found {
		return
	}
	for i := range d.run {
		if strings.EqualFold(d.run[i].raw(), r.raw()) {
			if d.later == nil || r.Seq < d.later.Seq {
				later, prior := *r, d.run[i]
				d.later, d.prior = &later, &prior
			}
			d.found = true
			return
		}
	}
	d.run = append(d.run, *r)
}

// checkUPNs streams the spool's UPN keys through d.
func (s *spool) checkUPNs(ctx context.Context, d *upnDups) error {
	st := pull(ctx, s.upns)
	defer st.stop()
	for r := st.next(); r != nil; r = st.next() {
		d.feed(r)
	}
	return st.stop()
}

// dupError is the error for what ids and upns found, nil when neither
// found a duplicate. A UPN's users are looked up by a pass over the rows,
// which only an error needs.
func (s *spool) dupError(ctx context.Context, ids *idDups, upns *upnDups) error {
	switch {
	case ids.later != nil && (upns.later == nil || ids.later.seq <= upns.later.Seq):
		return dupError(s.fileOf(ids.later.seq), &pipeline.EntraUser{Origin: ids.later.origin}, "id", ids.later.value,
			&pipeline.EntraUser{Origin: ids.prior.origin})
	case upns.later != nil:
		origins, err := s.origins(ctx, upns.later.Seq, upns.prior.Seq)
		if err != nil {
			return err
		}
		return dupError(s.fileOf(upns.later.Seq), &pipeline.EntraUser{Origin: origins[0]}, "userPrincipalName", upns.later.raw(),
			&pipeline.EntraUser{Origin: origins[1]})
	}
	return nil
}

// origins are the origins of the users at positions a and b.
func (s *spool) origins(ctx context.Context, a, b int64) ([2]string, error) {
	var o [2]string
	st := pullRows(ctx, s.rows)
	defer st.stop()
	for r := st.next(); r != nil; r = st.next() {
		switch r.Seq {
		case a:
			o[0] = r.Origin
		case b:
			o[1] = r.Origin
		}
	}
	return o, st.stop()
}

// checkSpooled is the whole duplicate check of a spooled export, for when
// an error must be reported before the merge would have found it (a later
// export's error, or a primary that cannot be one).
func (s *spool) checkSpooled(ctx context.Context) error {
	if s.checked {
		return nil
	}
	var ids idDups
	var upns upnDups
	st := pullRows(ctx, s.rows)
	defer st.stop()
	for r := st.next(); r != nil; r = st.next() {
		ids.feed(r)
	}
	if err := st.stop(); err != nil {
		return err
	}
	ids.end()
	if err := s.checkUPNs(ctx, &upns); err != nil {
		return err
	}
	return s.dupError(ctx, &ids, &upns)
}

package extractentra

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"syncgap/pipeline"
)

// How extract-entra stays within --memory (docs/architecture.md, "Memory").
//
// Exports that fit are read into memory and merged there, as ReadExport and
// Merge always have: that is the fastest way, and a million users fit in
// the default budget. A gauge shared by the exports of one run projects,
// from what each reader has read so far, what all of them will hold; once
// that passes memShare of the budget, every export's users go to a spool
// instead: pipeline.Sorters that spill into the snapshot directory, merged
// by streaming passes (extmerge.go) that give the same tables.

// memShare is the part of the budget the exports' users may take in
// memory, as EntraUser structs and their strings. The rest is for what
// Merge and the table writer add (indexes, a row group) and for the
// garbage collector, whose soft limit is a sixteenth above the budget.
const memShare = 4.0 / 5

// spoolShare is the part of the budget the spools' sorters may buffer, all
// exports together: more goes to disk. It is smaller than memShare because
// a spill itself needs room (the sort's keys, the row groups being
// written), a merge holds a row group's column chunks of every run it
// reads, and the garbage collector marks what the buffers hold. A half
// spilled fewer runs but took longer, at three and ten million users.
const spoolShare = 1.0 / 3

// gauge decides, for the exports of one run, whether their users are held
// in memory or spooled. It only ever switches to spooling.
type gauge struct {
	limit  int64 // projected bytes in memory beyond which the users are spooled
	budget int64 // the whole budget, which the spools' sorters share
	dir    string
	n      int // exports, among which the spools share their part
	// ctx stops the readers: they check it a batch at a time, so Ctrl-C
	// does not wait for a file of millions of users to be read.
	ctx context.Context

	mu        sync.Mutex
	projected []int64 // per export: what its users will take in memory, as far as one can tell yet
	spooling  atomic.Bool
}

// newGauge is the gauge for n exports under the context's budget, spooling
// into dir.
func newGauge(ctx context.Context, dir string, n int) *gauge {
	budget := pipeline.MemoryFrom(ctx)
	return &gauge{limit: int64(float64(budget) * memShare), budget: budget, dir: dir, n: max(n, 1), ctx: ctx, projected: make([]int64, n)}
}

// stopped is the context's error, nil without one.
func (g *gauge) stopped() error {
	if g.ctx == nil {
		return nil
	}
	return g.ctx.Err()
}

// observe records that export x has est bytes of users in memory after
// reading read of its total bytes, and reports whether the users must now
// be spooled. The projection is est scaled to the whole input: exports are
// homogeneous, and a page directory's first file or a CSV's first rows
// tell what the rest will cost.
func (g *gauge) observe(x int, est, read, total int64) bool {
	if g.spooling.Load() {
		return true
	}
	p := est
	if read > 0 && total > read {
		p = int64(float64(est) * float64(total) / float64(read))
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.projected[x] = max(p, est)
	var sum int64
	for _, v := range g.projected {
		sum += v
	}
	if sum > g.limit {
		g.spooling.Store(true)
	}
	return g.spooling.Load()
}

// userBytes is what a user takes in memory: the struct and its strings.
func userBytes(u *pipeline.EntraUser) int64 {
	n := len(u.ID) + len(u.UPN) + len(u.MobilePhone) + len(u.UsageLocation) + len(u.OnPremisesImmutableID) +
		len(u.OnPremisesUPN) + len(u.OnPremisesSamAccountName) + len(u.OnPremisesDN) + len(u.Origin)
	for _, s := range u.AlternateMobilePhones {
		n += len(s) + 16
	}
	for _, s := range u.BusinessPhones {
		n += len(s) + 16
	}
	return int64(n) + int64(unsafe.Sizeof(*u))
}

func usersBytes(users []pipeline.EntraUser) int64 {
	var n int64
	for i := range users {
		n += userBytes(&users[i])
	}
	return n
}

// collector takes one export's users from its reader, in file order: in
// memory until the gauge says to spool, then into a spool. A nil collector
// keeps everything in memory (ReadExport, the live Graph source).
type collector struct {
	g    *gauge
	x    int
	path string
	est  int64
	sp   *spool
	err  error // a spill that failed, or the cancellation, inside a JSON parser's flush
}

func (g *gauge) collector(x int, path string) *collector {
	if g == nil {
		return nil
	}
	return &collector{g: g, x: x, path: path}
}

// spooling reports whether the users go to the spool.
func (c *collector) spooling() bool { return c != nil && c.sp != nil }

// grew tells the gauge that the reader holds add more bytes of users in
// memory, having read read of total input bytes; true means spool from now
// on: the reader hands over what it holds with take and then adds each user.
// The error is the context's, once it is done.
func (c *collector) grew(add, read, total int64) (bool, error) {
	if c == nil {
		return false, nil
	}
	if err := c.g.stopped(); err != nil {
		return false, err
	}
	c.est += add
	if !c.g.observe(c.x, c.est, read, total) {
		return false, nil
	}
	if c.sp == nil {
		c.sp = newSpool(c.g, c.path)
	}
	return true, nil
}

// take moves users, the first the reader read, into the spool, and frees
// each one's strings as it goes, so their memory can go as the spool
// spills. pending gives the raw date of user i still to be resolved, "" if
// none.
func (c *collector) take(users []pipeline.EntraUser, pending func(i int) string) error {
	for i := range users {
		raw := ""
		if pending != nil {
			raw = pending(i)
		}
		if err := c.sp.add(&users[i], raw); err != nil {
			return err
		}
		users[i] = pipeline.EntraUser{}
	}
	return nil
}

// spool is one export's users on their way to disk, with what the merge
// passes need to know of them.
type spool struct {
	g    *gauge
	path string
	// rows are the users by id (then UPN, then file order: the order
	// sortByID gives the primary's users).
	rows *pipeline.Sorter[packedRow]
	buf  []byte // for pack
	// upns are the users' UPNs lower-cased, for the duplicate check.
	upns *pipeline.Sorter[upnRow]
	n    int64
	// upnIDs counts the users without an object id of their own (a UPN id):
	// only they need the UPN passes of the merge.
	upnIDs int64
	// checked: the duplicate check ran while the users were in memory.
	checked bool
	// files and ends name the file a user came from in a page directory:
	// user seq is in files[k] for the first k with seq < ends[k].
	files []string
	ends  []int64
	// order settles the CSV culture dates that were ambiguous when read
	// (spoolRow.PendingDate); see resolveSpooled.
	order dateOrder
}

// upnRow is a user's UPN for the duplicate check: Key lower-cased as
// checkDuplicates compares, Raw as given when it differs from Key.
type upnRow struct {
	Key string `parquet:"key"`
	Raw string `parquet:"raw"`
	Seq int64  `parquet:"seq"`
}

func (r *upnRow) raw() string {
	if r.Raw != "" {
		return r.Raw
	}
	return r.Key
}

// Shares of spoolShare: the users' rows take most, their UPN keys for the
// duplicate check the rest.
const (
	rowsShare = 6.0 / 7
	upnsShare = 1.0 / 7
)

func newSpool(g *gauge, path string) *spool {
	// Every export has its share: they are all filled before any is merged.
	each := float64(g.budget) * spoolShare / float64(g.n)
	return &spool{
		g:    g,
		path: path,
		rows: pipeline.NewSorter(g.dir, int64(each*rowsShare), func(r *packedRow) string { return r.ID },
			comparePackedUPN, packedBytes),
		upns: pipeline.NewSorter(g.dir, int64(each*upnsShare), func(r *upnRow) string { return r.Key },
			func(a, b *upnRow) int { return 0 }, func(r *upnRow) int64 { return int64(len(r.Key) + len(r.Raw)) }),
	}
}

// add spools u, the next user of the export; pending is its date still to
// be resolved, or "". The spool keeps a copy of u's strings.
func (s *spool) add(u *pipeline.EntraUser, pending string) error {
	if s.n%4096 == 0 {
		if err := s.g.stopped(); err != nil {
			return err
		}
	}
	var r packedRow
	r, s.buf = pack(&spoolRow{EntraUser: *u, Seq: s.n, PendingDate: pending}, s.buf)
	if isUPNID(u.ID) || u.ID == "" {
		s.upnIDs++
	}
	if !s.checked {
		// Copies: a key that shared the user's string would keep a whole
		// parser batch alive after the rows were spilled.
		k := upnRow{Key: lowerASCII(u.UPN), Seq: s.n}
		if k.Key == u.UPN {
			k.Key = strings.Clone(k.Key)
		} else {
			k.Raw = strings.Clone(u.UPN)
		}
		if err := s.upns.Add(&k); err != nil {
			return err
		}
	}
	s.n++
	return s.rows.Add(&r)
}

// user is the row as the merge fills and writes it.
func (r *spoolRow) user(order dateOrder) pipeline.EntraUser {
	u := r.EntraUser
	if r.PendingDate != "" {
		// Checked while the file was read (resolveSpooled): it parses.
		u.OnPremisesLastSync, _, _ = parseTime(r.PendingDate, order)
	}
	return u
}

// fileOf names the file user seq came from.
func (s *spool) fileOf(seq int64) string {
	for k, end := range s.ends {
		if seq < end {
			return s.files[k]
		}
	}
	return s.path
}

// runs is how many runs the spool's sorters spilled.
func (s *spool) runs() int { return s.rows.Runs() + s.upns.Runs() }

// Close removes the spool's spill files.
func (s *spool) Close() error {
	err := s.rows.Close()
	if e := s.upns.Close(); err == nil {
		err = e
	}
	return err
}

// count is how many users the export read so far, held or spooled.
func (e *Export) count(col *collector) int {
	if col.spooling() {
		return int(col.sp.n)
	}
	return len(e.Users)
}

// checkRead ends a read: users in memory are checked for duplicates at
// once, as ReadExport always has; spooled ones when the merge streams them
// (checkSpooled), and the export holds the spool.
func (e *Export) checkRead(col *collector, fileOf func(i int) string) error {
	if !col.spooling() {
		return checkDuplicates(e.Users, fileOf)
	}
	e.sp, e.Users, e.dropped = col.sp, nil, int(col.sp.n)
	return nil
}

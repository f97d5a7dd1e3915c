package extractad

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"syncgap/pipeline"
)

// LDIFConfig is extract-ad reading an LDIF export.
type LDIFConfig struct {
	// LDIF is the export's path, as the user gave it.
	LDIF string `param:"ldif"`
	// AllowMissingAttributes reads an export in which no user carries
	// mobile or otherMobile, objectGUID or userPrincipalName, for a
	// directory that truly has none; by default that is refused, since an
	// attribute list that left them out would make every cloud value look
	// like one AD lacks (see coverage).
	AllowMissingAttributes bool `param:"allow_missing_attributes,omitempty"`
}

// Validate refuses a config without a file.
func (c *LDIFConfig) Validate() error {
	if c.LDIF == "" {
		return fmt.Errorf("extract-ad: no LDIF file given")
	}
	return nil
}

// LDIFSummary is what extract-ad records of an LDIF run.
type LDIFSummary struct {
	Users int `param:"users"`
	// MissingAttributes names what no user carried, when that was allowed.
	MissingAttributes string `param:"missing_attributes,omitempty"`
}

// adUsersFile is the table both sources write.
var adUsersFile = []string{pipeline.FileName(pipeline.ADUsersTable)}

// LDIFStage reads the LDIF file and writes ad_users. Rows are sorted by DN
// so that the table does not depend on the order the directory or the
// export tool happened to return entries in (docs/tables.md, "ad_users").
var LDIFStage = pipeline.Def[LDIFConfig, LDIFSummary]{
	Name:   "extract-ad",
	Writes: adUsersFile,
	Do:     runLDIF,
}

func runLDIF(ctx context.Context, env *pipeline.Env, cfg LDIFConfig) (LDIFSummary, error) {
	path := cfg.LDIF
	f, size, src, err := openLDIF(path)
	if err != nil {
		return LDIFSummary{}, err
	}
	defer f.Close()
	prog := pipeline.ProgressFrom(ctx)
	prog.Start("extract-ad", "bytes", size)
	defer prog.Done()
	hr := pipeline.NewHashingReader(pipeline.ProgressReader{R: src, P: prog})
	users := newUserSort(ctx, env.Dir)
	defer users.Close()
	n, err := readLDIF(ctx, hr, path, users.dns, func(u *pipeline.ADUser) error {
		if err := users.add(u); err != nil {
			return err
		}
		return ctx.Err()
	})
	if rep := (*repeatedDNError)(nil); errors.As(err, &rep) {
		dn, rerr := dnAtLine(path, rep.later)
		if rerr != nil {
			return LDIFSummary{}, fmt.Errorf("%w (%v)", err, rerr)
		}
		err = duplicateDN(path, rep.later, dn, rep.first)
	}
	if err != nil {
		return LDIFSummary{}, err
	}
	sum := LDIFSummary{Users: n}
	if missing := users.cov.missing(); len(missing) > 0 {
		if !cfg.AllowMissingAttributes {
			return LDIFSummary{}, users.cov.missingError(path, missing)
		}
		sum.MissingAttributes = strings.Join(missing, ", ")
	}
	out, err := writeUsers(ctx, env.Dir, users)
	if err != nil {
		return LDIFSummary{}, err
	}
	env.AddInput(hr.Record(path))
	env.AddOutput(out)
	return sum, nil
}

// writeUsers writes the collected users as ad_users in table order. Both
// sources call it only once everything is read, so a failed read leaves no table.
func writeUsers(ctx context.Context, dir string, users *userSort) (pipeline.OutputRecord, error) {
	w, err := pipeline.CreateTable[pipeline.ADUser](dir, pipeline.ADUsersTable)
	if err != nil {
		return pipeline.OutputRecord{}, err
	}
	if err := users.Sorted(ctx, w.Write); err != nil {
		w.Abort()
		return pipeline.OutputRecord{}, err
	}
	if users.dns.spilled() {
		slog.Info("checked the DNs for repeats within the memory budget, spilling to disk", "budget", pipeline.SizeText(pipeline.MemoryFrom(ctx)))
	}
	if n := users.Runs(); n > 0 {
		slog.Info("sorted the users within the memory budget, spilling to disk", "users", users.Len(), "runs", n,
			"budget", pipeline.SizeText(pipeline.MemoryFrom(ctx)))
	}
	return w.Commit()
}

// userSort collects a source's users in table order within the memory
// budget (docs/architecture.md, "Memory"), spilling beside the outputs,
// and counts which attributes they carry.
type userSort struct {
	sorted *pipeline.Sorter[packedUser]
	buf    []byte // packing scratch
	cov    coverage
	dns    *dnCheck // every entry's DN, users or not
}

// packedUser is a user as its sorter holds it: the DN it sorts by and the
// rest of it packed into one string (pipeline.AppendPackedAD). A million
// users then give the collector two pointers each to scan instead of
// eleven, which was a fifth of the stage's time.
type packedUser struct {
	DN   string `parquet:"dn"`
	User string `parquet:"user"`
}

// sortShare and dnShare are the parts of the memory budget the sort
// buffer and the repeated-DN check may hold: the garbage collector needs
// room beside them, and the table writer takes its share.
const (
	sortShare = 2
	dnShare   = 8
)

func newUserSort(ctx context.Context, dir string) *userSort {
	budget := pipeline.MemoryFrom(ctx)
	return &userSort{sorted: pipeline.NewSorter(dir, budget/sortShare, foldDN, compareDN, userBytes),
		dns: newDNCheck(dir, budget/dnShare)}
}

// Close removes whatever the sort and the DN check spilled.
func (u *userSort) Close() error {
	err := u.dns.close()
	if serr := u.sorted.Close(); err == nil {
		err = serr
	}
	return err
}

func (u *userSort) add(x *pipeline.ADUser) error {
	u.cov.add(x)
	u.buf = append(u.buf[:0], x.DN...)
	u.buf = pipeline.AppendPackedAD(u.buf, x)
	s := string(u.buf)
	return u.sorted.Add(&packedUser{DN: s[:len(x.DN)], User: s[len(x.DN):]})
}

// Sorted calls fn with every user in table order; fn must not keep it.
func (u *userSort) Sorted(ctx context.Context, fn func(*pipeline.ADUser) error) error {
	return u.sorted.Sorted(ctx, func(p *packedUser) error {
		x, err := pipeline.UnpackAD(p.DN, p.User)
		if err != nil {
			return fmt.Errorf("sorting the AD users: %w", err)
		}
		return fn(&x)
	})
}

// Len is the number of users added; Runs the runs spilled.
func (u *userSort) Len() int64 { return u.sorted.Len() }
func (u *userSort) Runs() int  { return u.sorted.Runs() }

// foldDN and compareDN are table order: by DN case-insensitively, then
// exactly (docs/tables.md, "ad_users").
func foldDN(u *packedUser) string { return strings.ToLower(u.DN) }

func compareDN(a, b *packedUser) int { return strings.Compare(a.DN, b.DN) }

// userBytes is what a buffered row's strings hold, and its sort key: the
// DN folded, a copy when the DN has capitals, as almost every DN has.
func userBytes(u *packedUser) int64 { return int64(2*len(u.DN) + len(u.User)) }

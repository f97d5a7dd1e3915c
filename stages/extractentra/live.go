package extractentra

import (
	"context"
	"errors"
	"fmt"

	"syncgap/pipeline"
)

// LiveUsers reads a primary export live (the users of Microsoft Graph),
// calling page with each page's users in the order the service returned
// them. page keeps the slice it is given.
type LiveUsers func(ctx context.Context, page func(users []pipeline.EntraUser) error) error

// Live is extract-entra with its primary users read live: origin names
// them (in origins, errors and the manifest), users reads them, exports
// are the secondary export files, and flags gives the tenant's features
// once the users are merged. It keeps within the context's memory budget
// as the export files do: the users are held in memory while the budget
// holds them, and spooled into env.Dir beyond it (docs/architecture.md,
// "Memory"), so a tenant of ten million users needs no more memory than
// one of a million.
func Live(ctx context.Context, env *pipeline.Env, origin string, users LiveUsers, exports []string,
	flags func() ([]pipeline.TenantFlag, error)) (pipeline.EntraSummary, error) {
	set := &ExportSet{}
	defer set.Close()
	g := newGauge(ctx, env.Dir, 1+len(exports))
	e, err := readLive(ctx, g.collector(0, origin), origin, users)
	if err != nil {
		return pipeline.EntraSummary{}, liveDuplicate(err, origin)
	}
	set.Add(e)
	if err := set.read(ctx, exports, g); err != nil {
		return pipeline.EntraSummary{}, liveDuplicate(err, origin)
	}
	sum, err := set.write(ctx, env, g, flags)
	return sum, liveDuplicate(err, origin)
}

// readLive reads the live users into col, page by page: in memory while
// the gauge allows, then into a spool (spool.go).
func readLive(ctx context.Context, col *collector, origin string, users LiveUsers) (*Export, error) {
	var pages [][]pipeline.EntraUser
	n := 0
	err := users(ctx, func(rows []pipeline.EntraUser) error {
		n += len(rows)
		spool, err := col.grew(usersBytes(rows), 0, 0)
		if err != nil || !spool {
			pages = append(pages, rows)
			return err
		}
		for _, p := range pages {
			if err := col.take(p, nil); err != nil {
				return err
			}
		}
		pages = nil
		return col.take(rows, nil)
	})
	if err != nil {
		if col.spooling() {
			col.sp.Close()
		}
		return nil, err
	}
	e := &Export{Path: origin, Format: GraphLive}
	if !col.spooling() {
		// One slice, each page let go once it is copied.
		e.Users = make([]pipeline.EntraUser, 0, n)
		for i := range pages {
			e.Users = append(e.Users, pages[i]...)
			pages[i] = nil
		}
	}
	if err := e.checkRead(col, func(int) string { return origin }); err != nil {
		return nil, err
	}
	return e, nil
}

// liveDuplicate says where a user the live source returned twice came
// from: the service, while paging, not a file.
func liveDuplicate(err error, origin string) error {
	var pe *pipeline.ParseError
	if errors.Is(err, errDuplicate) && errors.As(err, &pe) && pe.File == origin {
		return fmt.Errorf("graph returned a user twice while paging: %w", err)
	}
	return err
}

package livegraph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"syncgap/pipeline"
	"syncgap/stages/extractentra"
)

// usersPath names the users collection in errors and origins.
const usersPath = "/users"

// Select is exactly the user properties the audit needs (docs/tables.md).
// AlternateMobilePhones is not among them: no Graph API exposes it.
var Select = []string{
	"id", "userPrincipalName", "mobilePhone", "businessPhones", "usageLocation", "onPremisesSyncEnabled",
	"onPremisesImmutableId", "onPremisesUserPrincipalName", "onPremisesSamAccountName",
	"onPremisesDistinguishedName", "onPremisesLastSyncDateTime", "accountEnabled",
}

// UsersOrigin is the origin of every user read from the client's endpoint.
func (c *Client) UsersOrigin() string { return c.ep.root + "/v1.0" + usersPath }

// Users reads every user, following @odata.nextLink to the end, in the
// order Graph returns them. Any failure returns no users at all. It holds
// them all in memory; the stage reads them through Pages instead, within
// its memory budget.
func (c *Client) Users(ctx context.Context) ([]pipeline.EntraUser, error) {
	// Each page keeps its own slice, joined once at the end: the total is
	// unknown until the last page, and growing one slice page by page
	// copied a million users several times over.
	var pages [][]pipeline.EntraUser
	err := c.Pages(ctx, func(rows []pipeline.EntraUser) error {
		pages = append(pages, rows)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := slices.Concat(pages...)
	if err := extractentra.CheckDuplicates(out, c.UsersOrigin()); err != nil {
		return nil, fmt.Errorf("graph returned a user twice while paging: %w", err)
	}
	return out, nil
}

// Pages reads every user, following @odata.nextLink to the end, and calls
// page with each page's users, in the order Graph returns them; page keeps
// the slice. Progress, if the context carries one, counts users read. A
// tenant without users is an error: a synced tenant always has some, so
// none means the wrong tenant or a filtered proxy.
//
// The SDK builds and sends each request (auth, middleware, retries), but
// the page comes back as bytes and extractentra's JSON reader decodes it:
// the SDK's typed Get would build a node tree and a closure per property
// of every user, two thirds of the client's CPU for a million users.
func (c *Client) Pages(ctx context.Context, page func(rows []pipeline.EntraUser) error) error {
	prog := pipeline.ProgressFrom(ctx)
	prog.Start("graph users", "users", 0)
	defer prog.Done()
	origin := c.UsersOrigin()
	top := c.pageSize
	first := &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: Select, Top: &top},
	}
	builder := users.NewUsersRequestBuilderInternal(map[string]string{}, c.adapter)
	dec := extractentra.NewUsersPage(origin)
	next := ""
	total := 0
	for n := 1; ; n++ {
		rctx, track := withAttempts(ctx)
		b, cfg := builder, first
		if next != "" {
			b, cfg = builder.WithUrl(next), nil
		}
		body, err := usersPage(rctx, c.adapter, b, cfg)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return graphError("GET", usersPath, err, track)
		}
		if len(body) == 0 {
			return &Error{Method: "GET", Path: usersPath, Err: fmt.Errorf("page %d came back empty", n)}
		}
		rows, link, err := dec.Decode(fmt.Sprintf("page %d", n), body, nil)
		if err != nil {
			return &Error{Method: "GET", Path: usersPath, Err: pageError(n, err)}
		}
		total += len(rows)
		prog.Add(int64(len(rows)))
		if err := page(rows); err != nil {
			return err
		}
		if link == "" {
			break
		}
		if err := c.sameEndpoint(link); err != nil {
			return &Error{Method: "GET", Path: usersPath, Err: fmt.Errorf("page %d: %w", n, err)}
		}
		next = link
	}
	if total == 0 {
		return fmt.Errorf("graph GET %s: the tenant returned no users", usersPath)
	}
	return nil
}

// usersPage sends the GET the builder describes through the adapter and
// returns the body undecoded, nil for an empty one. The error mapping is
// the typed Get's, so a Graph error body becomes the same ODataError.
func usersPage(ctx context.Context, adapter abs.RequestAdapter, b *users.UsersRequestBuilder,
	cfg *users.UsersRequestBuilderGetRequestConfiguration) ([]byte, error) {
	info, err := b.ToGetRequestInformation(ctx, cfg)
	if err != nil {
		return nil, err
	}
	res, err := adapter.SendPrimitive(ctx, info, "[]byte", abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	if err != nil {
		return nil, err
	}
	body, _ := res.([]byte)
	return body, nil
}

// pageError names the page and the place in its body of a decoding error.
func pageError(page int, err error) error {
	var pe *pipeline.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("page %d: %w", page, err)
	}
	return fmt.Errorf("page %d is not a valid users page: line %d, column %d of the response body: %w", page, pe.Line, pe.Column, pe.Err)
}

// sameEndpoint refuses a next link to another scheme or host: the token
// would not be sent there, and the data would not be this tenant's.
func (c *Client) sameEndpoint(link string) error {
	u, err := url.Parse(link)
	if err != nil || !u.IsAbs() {
		return fmt.Errorf("@odata.nextLink %q is not an absolute URL", link)
	}
	if !strings.EqualFold(u.Scheme+"://"+u.Host, c.ep.root) {
		return fmt.Errorf("@odata.nextLink leads to %s://%s, not %s", u.Scheme, u.Host, c.ep.root)
	}
	return nil
}

package livegraph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
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
// order Graph returns them. Progress, if the context carries one, counts
// users read. Any failure returns no users at all.
func (c *Client) Users(ctx context.Context) ([]pipeline.EntraUser, error) {
	prog := pipeline.ProgressFrom(ctx)
	prog.Start("graph users", "users", 0)
	defer prog.Done()
	origin := c.UsersOrigin()
	top := c.pageSize
	first := &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Select: Select, Top: &top},
	}
	builder := users.NewUsersRequestBuilderInternal(map[string]string{}, c.adapter)
	var out []pipeline.EntraUser
	next := ""
	for page := 1; ; page++ {
		rctx, track := withAttempts(ctx)
		var resp models.UserCollectionResponseable
		var err error
		if next == "" {
			resp, err = builder.Get(rctx, first)
		} else {
			resp, err = builder.WithUrl(next).Get(rctx, nil)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, graphError("GET", usersPath, err, track)
		}
		if resp == nil {
			return nil, &Error{Method: "GET", Path: usersPath, Err: fmt.Errorf("page %d came back empty", page)}
		}
		for _, u := range resp.GetValue() {
			row, err := entraUser(u, origin)
			if err != nil {
				return nil, &Error{Method: "GET", Path: usersPath, Err: fmt.Errorf("page %d: %w", page, err)}
			}
			out = append(out, row)
		}
		prog.Add(int64(len(resp.GetValue())))
		link := deref(resp.GetOdataNextLink())
		if link == "" {
			break
		}
		if err := c.sameEndpoint(link); err != nil {
			return nil, &Error{Method: "GET", Path: usersPath, Err: fmt.Errorf("page %d: %w", page, err)}
		}
		next = link
	}
	if err := extractentra.CheckDuplicates(out, origin); err != nil {
		return nil, fmt.Errorf("graph returned a user twice while paging: %w", err)
	}
	return out, nil
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

// entraUser converts a user as the SDK parsed it into a table row, with
// the same conventions as the export readers: ids in lower case, absent
// strings empty (stored as null), lists nil only when not returned,
// timestamps in UTC. AlternateMobilePhones stays nil: unknown.
func entraUser(u models.Userable, origin string) (pipeline.EntraUser, error) {
	id := deref(u.GetId())
	if id == "" {
		return pipeline.EntraUser{}, errors.New("a user object has no id")
	}
	upn := deref(u.GetUserPrincipalName())
	if upn == "" {
		return pipeline.EntraUser{}, fmt.Errorf("user object %s has no userPrincipalName", id)
	}
	row := pipeline.EntraUser{
		ID:                       extractentra.CanonicalID(id),
		UPN:                      upn,
		MobilePhone:              deref(u.GetMobilePhone()),
		BusinessPhones:           u.GetBusinessPhones(),
		UsageLocation:            deref(u.GetUsageLocation()),
		OnPremisesSyncEnabled:    nullBool(u.GetOnPremisesSyncEnabled()),
		OnPremisesImmutableID:    deref(u.GetOnPremisesImmutableId()),
		OnPremisesUPN:            deref(u.GetOnPremisesUserPrincipalName()),
		OnPremisesSamAccountName: deref(u.GetOnPremisesSamAccountName()),
		OnPremisesDN:             deref(u.GetOnPremisesDistinguishedName()),
		AccountEnabled:           nullBool(u.GetAccountEnabled()),
		Origin:                   origin,
	}
	if t := u.GetOnPremisesLastSyncDateTime(); t != nil {
		row.OnPremisesLastSync = t.UTC()
	}
	return row, nil
}

func nullBool(b *bool) pipeline.NullBool {
	if b == nil {
		return pipeline.NullBool{}
	}
	return pipeline.Known(*b)
}

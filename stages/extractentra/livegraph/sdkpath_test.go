package livegraph

import (
	"context"
	"errors"
	"fmt"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"syncgap/pipeline"
	"syncgap/stages/extractentra"
)

// sdkUsers is how Users read the pages before it decoded them itself: the
// SDK's typed Get, then entraUser. It is kept as the reference the new
// path must match row for row.
func sdkUsers(ctx context.Context, c *Client) ([]pipeline.EntraUser, error) {
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
			return nil, graphError("GET", usersPath, err, track)
		}
		if resp == nil {
			return nil, fmt.Errorf("page %d came back empty", page)
		}
		for _, u := range resp.GetValue() {
			row, err := entraUser(u, origin)
			if err != nil {
				return nil, fmt.Errorf("page %d: %w", page, err)
			}
			out = append(out, row)
		}
		next = deref(resp.GetOdataNextLink())
		if next == "" {
			return out, nil
		}
	}
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

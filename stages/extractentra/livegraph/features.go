package livegraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	jsonser "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/directory"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"syncgap/pipeline"
	"syncgap/stages/extractentra"
)

// syncPath names the features endpoint in errors and sources.
const syncPath = "/directory/onPremisesSynchronization"

// FeaturesSource is the source of tenant rows read from the client's endpoint.
func (c *Client) FeaturesSource() string { return c.ep.root + "/v1.0" + syncPath }

// Features reads the tenant's onPremisesSynchronization object: its id
// (which SetBypass needs) and one row per feature flag, as
// extractentra.ReadTenantFeatures makes them from the same JSON. A missing
// permission is an *Error for which Denied is true.
func (c *Client) Features(ctx context.Context) (id string, flags []pipeline.TenantFlag, err error) {
	rctx, track := withAttempts(ctx)
	resp, err := directory.NewOnPremisesSynchronizationRequestBuilderInternal(map[string]string{}, c.adapter).Get(rctx, nil)
	if err != nil {
		if ctx.Err() != nil {
			return "", nil, ctx.Err()
		}
		return "", nil, graphError("GET", syncPath, err, track)
	}
	var objs []models.OnPremisesDirectorySynchronizationable
	if resp != nil {
		objs = resp.GetValue()
	}
	if len(objs) != 1 {
		// A tenant has one; none means directory sync was never set up.
		return "", nil, &Error{Method: "GET", Path: syncPath, Err: fmt.Errorf("expected one onPremisesSynchronization object, found %d", len(objs))}
	}
	return c.flags(objs[0])
}

// flags turns one object into its id and rows.
func (c *Client) flags(obj models.OnPremisesDirectorySynchronizationable) (string, []pipeline.TenantFlag, error) {
	id := deref(obj.GetId())
	f := obj.GetFeatures()
	if id == "" || f == nil {
		return "", nil, &Error{Method: "GET", Path: syncPath, Err: errors.New(`the onPremisesSynchronization object has no "id" or no "features"`)}
	}
	// The SDK knows each feature as a typed property and keeps ones newer
	// than itself in additional data; written back out as JSON, all of
	// them read the way the export path reads the saved response.
	w := jsonser.NewJsonSerializationWriter()
	defer w.Close()
	if err := w.WriteObjectValue("", f); err != nil {
		return "", nil, fmt.Errorf("graph features: %w", err)
	}
	b, err := w.GetSerializedContent()
	if err != nil {
		return "", nil, fmt.Errorf("graph features: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", nil, fmt.Errorf("graph features: %w", err)
	}
	flags, err := extractentra.FeatureFlags(m, c.FeaturesSource(), "response")
	if err != nil {
		return "", nil, &Error{Method: "GET", Path: syncPath, Err: err}
	}
	return id, flags, nil
}

// SetBypass sets bypassDirSyncOverridesEnabled on the tenant's
// onPremisesSynchronization object id (PATCH, which the SDK sends
// gzip-compressed), then reads the object back and returns the flag as
// Graph now reports it. A flag that does not read back as set is an
// error: the change did not take.
func (c *Client) SetBypass(ctx context.Context, id string, enabled bool) (pipeline.TenantFlag, error) {
	item := directory.NewOnPremisesSynchronizationRequestBuilderInternal(map[string]string{}, c.adapter).ByOnPremisesDirectorySynchronizationId(id)
	path := syncPath + "/" + id
	body := models.NewOnPremisesDirectorySynchronization()
	f := models.NewOnPremisesDirectorySynchronizationFeature()
	f.SetBypassDirSyncOverridesEnabled(&enabled)
	body.SetFeatures(f)
	rctx, track := withAttempts(ctx)
	if _, err := item.Patch(rctx, body, nil); err != nil {
		if ctx.Err() != nil {
			return pipeline.TenantFlag{}, ctx.Err()
		}
		return pipeline.TenantFlag{}, graphError("PATCH", path, err, track)
	}
	rctx, track = withAttempts(ctx)
	obj, err := item.Get(rctx, nil)
	if err != nil {
		if ctx.Err() != nil {
			return pipeline.TenantFlag{}, ctx.Err()
		}
		return pipeline.TenantFlag{}, graphError("GET", path, err, track)
	}
	if obj == nil {
		return pipeline.TenantFlag{}, &Error{Method: "GET", Path: path, Err: errors.New("the object read back is empty")}
	}
	_, flags, err := c.flags(obj)
	if err != nil {
		return pipeline.TenantFlag{}, err
	}
	for _, fl := range flags {
		if fl.Feature == pipeline.BypassFeature {
			if fl.Enabled != pipeline.Known(enabled) {
				return fl, &Error{Method: "GET", Path: path, Err: fmt.Errorf("%s reads back %s after setting it to %t", pipeline.BypassFeature, fl.Enabled, enabled)}
			}
			return fl, nil
		}
	}
	return pipeline.TenantFlag{}, &Error{Method: "GET", Path: path, Err: fmt.Errorf("%s is missing from the object read back", pipeline.BypassFeature)}
}

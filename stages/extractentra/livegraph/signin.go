package livegraph

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// SignIn builds cfg's credential once and signs in now, returning a Config
// that carries the signed-in credential: every client made from it reuses
// the token (and the refresh token azidentity keeps in memory), so a
// person signs in once per command however many clients it makes. apply
// calls it before its first AD write, so the Global Administrator signs in
// while at hand, and a refused sign-in stops the run before anything is
// written (docs/rules.md, "Tenant action").
func SignIn(ctx context.Context, cfg Config) (Config, error) {
	ep, _, cred, err := prepare(&cfg)
	if err != nil {
		return cfg, err
	}
	// The Graph client's token provider (kiota's azure identity provider,
	// as NewClient builds it) asks with continuous access evaluation on;
	// azidentity keeps tokens with and without it apart, so a sign-in
	// without it would be asked for again on the first Graph request.
	if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ep.scope()}, EnableCAE: true}); err != nil {
		if se := signInError(err); se != nil {
			return cfg, se
		}
		return cfg, fmt.Errorf("graph sign-in: %w", err)
	}
	cfg.Credential = cred
	return cfg, nil
}

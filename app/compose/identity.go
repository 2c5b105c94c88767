package compose

import (
	"context"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/kith-health/kith/adapters/auth"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/config"
	"github.com/kith-health/kith/domain/identity"
)

// identityParts is everything that answers "who is calling?".
type identityParts struct {
	authenticator *auth.Authenticator
	kith          *auth.KithIssuer
	assertions    *auth.AssertionVerifier
	dev           *auth.DevIssuer // nil unless development
}

// newIdentity wires the token verifiers: patients from their identity provider (and
// the development issuer in development), operators from theirs, organisations from
// Kith's own issuer, which the SMART Backend Services token endpoint feeds.
func newIdentity(ctx context.Context, cfg config.Config, store app.KeyringStore) (*identityParts, error) {
	base := cfg.BaseURL()
	kith, err := auth.NewKithIssuer(ctx, store, auth.KithIssuerConfig{
		Issuer: base, Audience: base, TokenTTL: cfg.OrgTokenTTL,
		RotateAfter: cfg.SigningKeyRotation, ReloadEvery: time.Minute, Now: time.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	var cache *auth.TokenCache[identity.Principal]
	if cfg.TokenCacheSize > 0 {
		if cache, err = auth.NewTokenCache[identity.Principal](cfg.TokenCacheSize); err != nil {
			return nil, fmt.Errorf("KITH_TOKEN_CACHE_SIZE: %w", err)
		}
	}
	authn := auth.NewAuthenticator(cache, time.Now)

	kithTokens, err := auth.NewStrictVerifier(auth.StrictConfig{
		Issuer: base, Audience: base, Keys: kith, Algorithms: []jwa.SignatureAlgorithm{jwa.ES256()},
	})
	if err != nil {
		return nil, err
	}
	authn.WithOrganisations(base, kithTokens)

	remote := auth.RemoteKeysConfig{}
	if cfg.OIDCIssuer != "" {
		v, err := remoteVerifier(ctx, cfg.OIDCIssuer, cfg.OIDCJWKSURL, cfg.OIDCClientID, remote)
		if err != nil {
			return nil, fmt.Errorf("KITH_OIDC_ISSUER: %w", err)
		}
		authn.WithPatients(cfg.OIDCIssuer, v)
	}
	if cfg.OperatorIssuer != "" {
		v, err := remoteVerifier(ctx, cfg.OperatorIssuer, cfg.OperatorJWKSURL, cfg.OperatorClientID, remote)
		if err != nil {
			return nil, fmt.Errorf("KITH_OPERATOR_ISSUER: %w", err)
		}
		authn.WithOperators(cfg.OperatorIssuer, v, cfg.OperatorSubjects)
	}

	parts := &identityParts{
		authenticator: authn, kith: kith,
		assertions: auth.NewAssertionVerifier(base+"/v1/oauth/token", remote, time.Now),
	}
	if cfg.DevIssuerOn() {
		dev, err := auth.LoadDevIssuer(cfg.DataDir, cfg.OIDCClientID, kith, time.Now)
		if err != nil {
			return nil, fmt.Errorf("KITH_DEV_ISSUER: %w", err)
		}
		keys, err := auth.NewStaticKeys(dev.Keys())
		if err != nil {
			return nil, err
		}
		patients, err := auth.NewStrictVerifier(auth.StrictConfig{Issuer: auth.DevPatientIssuer, Audience: cfg.OIDCClientID, Keys: keys})
		if err != nil {
			return nil, err
		}
		operators, err := auth.NewStrictVerifier(auth.StrictConfig{Issuer: auth.DevOperatorIssuer, Audience: cfg.OIDCClientID, Keys: keys})
		if err != nil {
			return nil, err
		}
		authn.WithPatients(auth.DevPatientIssuer, patients)
		authn.WithOperators(auth.DevOperatorIssuer, operators, []string{auth.DevOperatorSub})
		parts.dev = dev
	}
	return parts, nil
}

// remoteVerifier verifies one identity provider's tokens with keys from its JWKS URL,
// or from its discovery document when no URL is given.
func remoteVerifier(ctx context.Context, issuer, jwksURL, audience string, cfg auth.RemoteKeysConfig) (*auth.StrictVerifier, error) {
	var keys *auth.RemoteKeys
	var err error
	if jwksURL != "" {
		keys, err = auth.NewRemoteKeys(ctx, jwksURL, cfg)
	} else {
		keys, err = auth.DiscoverRemoteKeys(ctx, issuer, cfg)
	}
	if err != nil {
		return nil, err
	}
	// The key cache refreshes in the background until the server stops.
	context.AfterFunc(ctx, func() { keys.Close(context.Background()) })
	return auth.NewStrictVerifier(auth.StrictConfig{Issuer: issuer, Audience: audience, Keys: keys})
}

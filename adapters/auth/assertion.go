package auth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/organisation"
)

// maxAssertionLifetime is how far ahead a client assertion's exp may be (SMART
// Backend Services: at most five minutes).
const maxAssertionLifetime = 5 * time.Minute

// AssertionVerifier checks SMART Backend Services client assertions against the keys
// each organisation registered: an inline key set, or a JWKS URL fetched through a
// RemoteKeys kept per URL.
type AssertionVerifier struct {
	tokenURL string
	now      func() time.Time
	remote   RemoteKeysConfig

	mu   sync.Mutex
	urls map[string]*RemoteKeys
}

var _ app.AssertionVerifier = (*AssertionVerifier)(nil)

// NewAssertionVerifier accepts assertions whose aud is tokenURL.
func NewAssertionVerifier(tokenURL string, remote RemoteKeysConfig, now func() time.Time) *AssertionVerifier {
	return &AssertionVerifier{tokenURL: tokenURL, now: now, remote: remote, urls: map[string]*RemoteKeys{}}
}

// ClientID implements app.AssertionVerifier: the unverified iss, upper-cased as ODS
// codes are.
func (v *AssertionVerifier) ClientID(raw string) (string, error) {
	if len(raw) > maxTokenBytes {
		return "", fault.Unauthenticated(ReasonTooLarge, nil)
	}
	iss, err := unverifiedIssuer(raw)
	if err != nil {
		return "", err
	}
	code, err := organisation.ParseODSCode(iss)
	if err != nil {
		return "", fault.Unauthenticated("client-unknown", nil)
	}
	return code, nil
}

// Verify implements app.AssertionVerifier.
func (v *AssertionVerifier) Verify(ctx context.Context, org organisation.Organisation, raw string) (app.Assertion, error) {
	keys, err := v.keysOf(org)
	if err != nil {
		return app.Assertion{}, err
	}
	verifier, err := NewStrictVerifier(StrictConfig{
		Issuer: org.ODSCode, Audience: v.tokenURL, Keys: keys, Now: v.now,
		Algorithms: []jwa.SignatureAlgorithm{jwa.RS384(), jwa.ES384()},
	})
	if err != nil {
		return app.Assertion{}, err
	}
	tok, err := verifier.Verify(ctx, raw)
	if err != nil {
		return app.Assertion{}, err
	}
	sub, _ := tok.Subject()
	jti, _ := tok.JwtID()
	exp, _ := tok.Expiration()
	switch {
	case sub != org.ODSCode:
		return app.Assertion{}, fault.Unauthenticated(ReasonClaimsInvalid, fmt.Errorf("sub must equal iss"))
	case jti == "" || len(jti) > 200:
		return app.Assertion{}, fault.Unauthenticated(ReasonClaimsInvalid, fmt.Errorf("jti is required"))
	case exp.After(v.now().Add(maxAssertionLifetime + verifierSkew)):
		return app.Assertion{}, fault.Unauthenticated("assertion-lives-too-long", nil)
	}
	pr, err := practitionerClaim(tok)
	if err != nil {
		return app.Assertion{}, fault.Unauthenticated(ReasonClaimsInvalid, err)
	}
	return app.Assertion{ODSCode: org.ODSCode, JTI: jti, ExpiresAt: exp, Practitioner: pr}, nil
}

// keysOf is the organisation's key source. Remote sets are kept per URL, so their
// cache and refresh throttle outlive one request.
func (v *AssertionVerifier) keysOf(org organisation.Organisation) (KeySource, error) {
	if org.JWKSURL == "" {
		set, err := jwk.Parse(org.JWKS)
		if err != nil {
			return nil, fault.Unauthenticated(ReasonUnknownKey, fmt.Errorf("registered key set does not parse: %w", err))
		}
		return NewStaticKeys(set)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if keys, ok := v.urls[org.JWKSURL]; ok {
		return keys, nil
	}
	keys, err := NewRemoteKeys(context.Background(), org.JWKSURL, v.remote)
	if err != nil {
		// The organisation's key server is down: it may retry, it is not refused.
		return nil, fmt.Errorf("organisation key set: %v: %w", err, fault.ErrUnavailable)
	}
	v.urls[org.JWKSURL] = keys
	return keys, nil
}

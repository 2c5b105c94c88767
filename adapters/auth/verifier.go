package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
)

// maxSkew is how far the caller's clock may be from ours for nbf and exp.
const maxSkew = 60 * time.Second

// Verifier checks patient access tokens against one issuer's keys.
type Verifier struct {
	keys     jwk.Set
	issuer   string
	audience string
	now      func() time.Time
}

// NewVerifier trusts tokens from issuer, for audience, signed by one of keys.
func NewVerifier(keys jwk.Set, issuer, audience string, now func() time.Time) *Verifier {
	return &Verifier{keys: keys, issuer: issuer, audience: audience, now: now}
}

// Verify checks the token's signature, issuer, audience and times, and returns the
// patient it speaks for. Every failure is fault.ErrUnauthenticated; the reason is in
// the error for the log, never the token itself.
func (v *Verifier) Verify(_ context.Context, raw string) (identity.Principal, error) {
	tok, err := jwt.Parse([]byte(raw),
		jwt.WithKeySet(v.keys),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithRequiredClaim("exp"),
		jwt.WithRequiredClaim("sub"),
		jwt.WithAcceptableSkew(maxSkew),
		jwt.WithClock(jwt.ClockFunc(v.now)),
	)
	if err != nil {
		return identity.Principal{}, fmt.Errorf("token rejected: %v: %w", err, fault.ErrUnauthenticated)
	}
	if iat, ok := tok.IssuedAt(); ok && iat.After(v.now().Add(maxSkew)) {
		return identity.Principal{}, fmt.Errorf("token issued in the future: %w", fault.ErrUnauthenticated)
	}
	claims, err := patientClaims(tok)
	if err != nil {
		return identity.Principal{}, fmt.Errorf("token claims: %v: %w", err, fault.ErrUnauthenticated)
	}
	return identity.Principal{Kind: identity.KindPatient, Patient: claims}, nil
}

// patientClaims reads the identity claims, checking the NHS number before trusting it.
func patientClaims(tok jwt.Token) (patient.Claims, error) {
	var c patient.Claims
	c.Issuer, _ = tok.Issuer()
	c.Subject, _ = tok.Subject()
	if s := stringClaim(tok, claimNHSNumber); s != "" {
		n, err := patient.ParseNHSNumber(s)
		if err != nil {
			return c, err
		}
		c.NHSNumber = n
	}
	if s := stringClaim(tok, claimBirthDate); s != "" {
		d, err := patient.ParseBirthDate(s, time.Now().Add(24*time.Hour))
		if err != nil {
			return c, err
		}
		c.BirthDate = d
	}
	level := stringClaim(tok, claimProofing)
	if level == "" {
		level = stringClaim(tok, claimVoT)
	}
	p, err := patient.ParseProofingLevel(level)
	if err != nil {
		return c, err
	}
	c.Proofing = p
	return c, nil
}

func stringClaim(tok jwt.Token, name string) string {
	var s string
	if err := tok.Get(name, &s); err != nil {
		return ""
	}
	return s
}

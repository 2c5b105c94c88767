package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
)

// maxTokenBytes bounds what is read from a bearer token before anything else.
const maxTokenBytes = 8 << 10

// TokenVerifier checks one issuer's tokens: signature, algorithm, issuer, audience,
// times. Failures are fault.AuthError.
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (jwt.Token, error)
}

// principalFunc turns a verified token into the caller it speaks for.
type principalFunc func(jwt.Token) (identity.Principal, error)

type route struct {
	verifier  TokenVerifier
	principal principalFunc
}

// Authenticator turns any bearer token Kith accepts into a principal: patients' from
// their identity provider, operators' from theirs, organisations' from Kith itself.
// It picks the verifier by the token's issuer, then that verifier checks everything.
type Authenticator struct {
	routes map[string]route
	cache  *TokenCache[identity.Principal]
	now    func() time.Time
}

// NewAuthenticator returns an Authenticator with no issuers; add them with the With
// methods. cache may be nil.
func NewAuthenticator(cache *TokenCache[identity.Principal], now func() time.Time) *Authenticator {
	return &Authenticator{routes: map[string]route{}, cache: cache, now: now}
}

// WithPatients accepts patient tokens from issuer.
func (a *Authenticator) WithPatients(issuer string, v TokenVerifier) *Authenticator {
	a.routes[issuer] = route{v, patientPrincipal}
	return a
}

// WithOperators accepts operator tokens from issuer, for the listed subjects only.
func (a *Authenticator) WithOperators(issuer string, v TokenVerifier, subjects []string) *Authenticator {
	allowed := map[string]bool{}
	for _, s := range subjects {
		allowed[s] = true
	}
	a.routes[issuer] = route{v, func(tok jwt.Token) (identity.Principal, error) {
		sub, _ := tok.Subject()
		if !allowed[sub] {
			return identity.Principal{}, fmt.Errorf("subject is not a Kith operator: %w", fault.ErrForbidden)
		}
		return identity.Principal{Kind: identity.KindOperator, Operator: sub}, nil
	}}
	return a
}

// WithOrganisations accepts the tokens Kith itself issued to organisations.
func (a *Authenticator) WithOrganisations(issuer string, v TokenVerifier) *Authenticator {
	a.routes[issuer] = route{v, organisationPrincipal}
	return a
}

// Verify implements httpapi.TokenVerifier.
func (a *Authenticator) Verify(ctx context.Context, raw string) (identity.Principal, error) {
	if len(raw) > maxTokenBytes {
		return identity.Principal{}, fault.Unauthenticated("token-too-large", nil)
	}
	if a.cache != nil {
		if p, ok := a.cache.Get(raw, a.now()); ok {
			return p, nil
		}
	}
	iss, err := unverifiedIssuer(raw)
	if err != nil {
		return identity.Principal{}, err
	}
	r, ok := a.routes[iss]
	if !ok {
		return identity.Principal{}, fault.Unauthenticated("token-wrong-issuer", nil)
	}
	tok, err := r.verifier.Verify(ctx, raw)
	if err != nil {
		return identity.Principal{}, err
	}
	p, err := r.principal(tok)
	if err != nil {
		return identity.Principal{}, err
	}
	if a.cache != nil {
		a.cache.Put(raw, tok, p)
	}
	return p, nil
}

// unverifiedIssuer reads iss from the payload without trusting it: it only chooses
// whose keys and rules will then verify the token.
func unverifiedIssuer(raw string) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", fault.Unauthenticated("token-malformed", nil)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fault.Unauthenticated("token-malformed", nil)
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Iss == "" {
		return "", fault.Unauthenticated("token-malformed", nil)
	}
	return claims.Iss, nil
}

func patientPrincipal(tok jwt.Token) (identity.Principal, error) {
	claims, err := patientClaims(tok)
	if err != nil {
		return identity.Principal{}, fault.Unauthenticated("token-claims-invalid", err)
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
	c.Name = patient.Name{Given: stringClaim(tok, claimGivenName), Family: stringClaim(tok, claimFamilyName)}
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

func organisationPrincipal(tok jwt.Token) (identity.Principal, error) {
	ods, _ := tok.Subject()
	pr, err := practitionerClaim(tok)
	if err != nil || ods == "" {
		return identity.Principal{}, fault.Unauthenticated("token-claims-invalid", err)
	}
	return identity.Principal{Kind: identity.KindOrganisation, ODSCode: ods, Practitioner: pr}, nil
}

// practitionerClaim reads {"id", "name", "role"}; all three are required, since they
// go into every access event the organisation causes.
func practitionerClaim(tok jwt.Token) (identity.Practitioner, error) {
	var m map[string]any
	if err := tok.Get(claimPractitioner, &m); err != nil {
		return identity.Practitioner{}, fmt.Errorf("no practitioner claim")
	}
	get := func(k string) string { s, _ := m[k].(string); return strings.TrimSpace(s) }
	p := identity.Practitioner{ID: get("id"), Name: get("name"), Role: get("role")}
	if p.ID == "" || p.Name == "" || p.Role == "" || len(p.ID)+len(p.Name)+len(p.Role) > 600 {
		return identity.Practitioner{}, fmt.Errorf("practitioner needs id, name and role")
	}
	return p, nil
}

func stringClaim(tok jwt.Token, name string) string {
	var s string
	if err := tok.Get(name, &s); err != nil {
		return ""
	}
	return s
}

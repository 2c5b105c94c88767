package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/organisation"
)

// Assertion is a verified SMART Backend Services client assertion.
type Assertion struct {
	ODSCode      string
	JTI          string
	ExpiresAt    time.Time
	Practitioner identity.Practitioner
}

// AssertionVerifier checks a client assertion's signature against the organisation's
// registered keys and its claims (audience, lifetime, practitioner). Failures are
// fault.AuthError.
type AssertionVerifier interface {
	// ClientID reads the unverified iss, only to find whose keys to check with.
	ClientID(raw string) (string, error)
	Verify(ctx context.Context, org organisation.Organisation, raw string) (Assertion, error)
}

// TokenSigner issues Kith's own access tokens to organisations.
type TokenSigner interface {
	// SignOrganisationToken returns a token for the organisation and practitioner,
	// and how long it lives.
	SignOrganisationToken(ctx context.Context, odsCode string, p identity.Practitioner) (string, time.Duration, error)
}

// OrganisationToken is what the token endpoint answers.
type OrganisationToken struct {
	AccessToken string
	ExpiresIn   time.Duration
}

// IssueOrganisationToken runs the SMART Backend Services client_credentials grant:
// the assertion must come from an active registered organisation, verify against its
// keys and never have been used before.
func (a *App) IssueOrganisationToken(ctx context.Context, rawAssertion string) (OrganisationToken, error) {
	if a.assertions == nil || a.signer == nil {
		return OrganisationToken{}, fmt.Errorf("organisation tokens are not configured: %w", fault.ErrUnavailable)
	}
	clientID, err := a.assertions.ClientID(rawAssertion)
	if err != nil {
		return OrganisationToken{}, err
	}
	org, err := a.store.Organisation(ctx, clientID)
	if errors.Is(err, fault.ErrNotFound) {
		return OrganisationToken{}, fault.Unauthenticated("client-unknown", err)
	}
	if err != nil {
		return OrganisationToken{}, err
	}
	if org.Status != organisation.Active {
		return OrganisationToken{}, fault.Unauthenticated("client-suspended", nil)
	}
	assertion, err := a.assertions.Verify(ctx, org, rawAssertion)
	if err != nil {
		return OrganisationToken{}, err
	}
	err = a.store.UseAssertion(ctx, org.ODSCode, assertion.JTI, assertion.ExpiresAt)
	if errors.Is(err, fault.ErrConflict) {
		return OrganisationToken{}, fault.Unauthenticated("assertion-replayed", nil)
	}
	if err != nil {
		return OrganisationToken{}, err
	}
	token, ttl, err := a.signer.SignOrganisationToken(ctx, org.ODSCode, assertion.Practitioner)
	if err != nil {
		return OrganisationToken{}, err
	}
	return OrganisationToken{AccessToken: token, ExpiresIn: ttl}, nil
}

package httpapi

import (
	"context"
	"fmt"
	"time"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
)

const defaultDevTokenTTL = time.Hour

func (h *handlers) IssueDevToken(_ context.Context, req api.IssueDevTokenRequestObject) (api.IssueDevTokenResponseObject, error) {
	if h.devIssuer == nil {
		return nil, fmt.Errorf("development issuer is off: %w", fault.ErrNotFound)
	}
	body := req.Body
	if err := checkRequest(body); err != nil {
		return nil, err
	}
	claims, err := devClaims(body, h.devIssuer.Issuer(), h.now())
	if err != nil {
		return nil, err
	}
	ttl := defaultDevTokenTTL
	if body.ExpiresInSeconds != nil {
		ttl = time.Duration(*body.ExpiresInSeconds) * time.Second
	}
	token, err := h.devIssuer.Issue(claims, ttl)
	if err != nil {
		return nil, err
	}
	return api.IssueDevToken200JSONResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: int(ttl.Seconds())}, nil
}

func devClaims(body *api.DevTokenRequest, issuer string, now time.Time) (patient.Claims, error) {
	c := patient.Claims{Issuer: issuer, Subject: body.Subject, Proofing: patient.ProofingP9}
	var problems fault.ValidationError
	if body.NhsNumber != nil {
		n, err := patient.ParseNHSNumber(*body.NhsNumber)
		problems.Fields = append(problems.Fields, fieldErrors(err)...)
		c.NHSNumber = n
	}
	if body.BirthDate != nil {
		d, err := patient.ParseBirthDate(*body.BirthDate, now)
		problems.Fields = append(problems.Fields, fieldErrors(err)...)
		c.BirthDate = d
	}
	if body.IdentityProofingLevel != nil {
		c.Proofing = patient.ProofingLevel(*body.IdentityProofingLevel)
	}
	if len(problems.Fields) > 0 {
		return c, &problems
	}
	return c, nil
}

// fieldErrors unpacks a domain validation error so several can be reported together.
func fieldErrors(err error) []fault.FieldError {
	if ve, ok := err.(*fault.ValidationError); ok {
		return ve.Fields
	}
	return nil
}

package httpapi

import (
	"context"
	"fmt"
	"time"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
)

// DevIssuer signs tokens in development mode.
type DevIssuer interface {
	// TokenAs signs in as a member of app.DemoRoster.
	TokenAs(ctx context.Context, who app.DemoPrincipal, ttl time.Duration) (string, time.Duration, error)
	// PatientToken signs in as a patient of the caller's making.
	PatientToken(c patient.Claims, ttl time.Duration) (string, error)
}

const defaultDevTokenTTL = time.Hour

func (h *handlers) ListDevPrincipals(context.Context, api.ListDevPrincipalsRequestObject) (api.ListDevPrincipalsResponseObject, error) {
	if h.devIssuer == nil {
		return nil, fmt.Errorf("development issuer is off: %w", fault.ErrNotFound)
	}
	out := api.ListDevPrincipals200JSONResponse{}
	for _, d := range app.DemoRosterOn(h.now()) {
		p := api.DevPrincipal{Name: d.Name, Kind: api.DevPrincipalKind(d.Kind), Description: &d.Description}
		if d.ODSCode != "" {
			p.Ods = &d.ODSCode
		}
		out = append(out, p)
	}
	return out, nil
}

func (h *handlers) IssueDevToken(ctx context.Context, req api.IssueDevTokenRequestObject) (api.IssueDevTokenResponseObject, error) {
	if h.devIssuer == nil {
		return nil, fmt.Errorf("development issuer is off: %w", fault.ErrNotFound)
	}
	body := req.Body
	if err := checkRequest(body); err != nil {
		return nil, err
	}
	ttl := defaultDevTokenTTL
	if body.ExpiresInSeconds != nil {
		ttl = time.Duration(*body.ExpiresInSeconds) * time.Second
	}
	var token string
	var err error
	switch {
	case (body.As == nil) == (body.Patient == nil):
		return nil, fault.Invalid("as", "exactly one of as and patient")
	case body.As != nil:
		var who app.DemoPrincipal
		if who, err = app.DemoPrincipalNamed(*body.As, h.now()); err != nil {
			return nil, err
		}
		token, ttl, err = h.devIssuer.TokenAs(ctx, who, ttl)
	default:
		var claims patient.Claims
		if claims, err = devPatientClaims(body.Patient, h.now()); err != nil {
			return nil, err
		}
		token, err = h.devIssuer.PatientToken(claims, ttl)
	}
	if err != nil {
		return nil, err
	}
	return api.IssueDevToken200JSONResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: int(ttl.Seconds())}, nil
}

func devPatientClaims(body *api.DevPatient, now time.Time) (patient.Claims, error) {
	c := patient.Claims{Issuer: app.DemoIssuer, Subject: body.Subject, Proofing: patient.ProofingP9}
	var problems fault.ValidationError
	if body.NhsNumber != nil {
		n, err := patient.ParseNHSNumber(*body.NhsNumber)
		problems.Fields = append(problems.Fields, fieldErrors("patient.", err)...)
		c.NHSNumber = n
	}
	if body.DateOfBirth != nil {
		d, err := patient.ParseBirthDate(*body.DateOfBirth, now)
		problems.Fields = append(problems.Fields, fieldErrors("patient.", err)...)
		c.BirthDate = d
	}
	if body.GivenName != nil {
		c.Name.Given = *body.GivenName
	}
	if body.FamilyName != nil {
		c.Name.Family = *body.FamilyName
	}
	if body.IdentityLevel != nil {
		c.Proofing = patient.ProofingLevel(*body.IdentityLevel)
	}
	if len(problems.Fields) > 0 {
		return c, &problems
	}
	return c, nil
}

// fieldErrors unpacks a domain validation error, prefixing its fields with where they
// sit in the request, so several can be reported together.
func fieldErrors(prefix string, err error) []fault.FieldError {
	ve, ok := err.(*fault.ValidationError)
	if !ok {
		return nil
	}
	out := make([]fault.FieldError, len(ve.Fields))
	for i, f := range ve.Fields {
		out[i] = fault.FieldError{Field: prefix + f.Field, Rule: f.Rule}
	}
	return out
}

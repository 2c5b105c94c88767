package httpapi

import (
	"context"
	"encoding/json"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/domain/fault"
)

// KeyPublisher publishes Kith's public signing keys as a JSON Web Key Set.
type KeyPublisher interface {
	PublicJWKS(ctx context.Context) ([]byte, error)
}

const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

func (h *handlers) IssueOrganisationToken(ctx context.Context, req api.IssueOrganisationTokenRequestObject) (api.IssueOrganisationTokenResponseObject, error) {
	body := req.Body
	var problems fault.ValidationError
	if body.GrantType != "client_credentials" {
		problems.Fields = append(problems.Fields, fault.FieldError{Field: "grant_type", Rule: "eq=client_credentials"})
	}
	if body.ClientAssertionType != jwtBearer {
		problems.Fields = append(problems.Fields, fault.FieldError{Field: "client_assertion_type", Rule: "eq=" + jwtBearer})
	}
	if body.ClientAssertion == "" {
		problems.Fields = append(problems.Fields, fault.FieldError{Field: "client_assertion", Rule: "required"})
	}
	if len(problems.Fields) > 0 {
		return nil, &problems
	}
	tok, err := h.app.IssueOrganisationToken(ctx, body.ClientAssertion)
	if err != nil {
		return nil, err
	}
	scope := "system/*.read"
	return api.IssueOrganisationToken200JSONResponse{
		AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: int(tok.ExpiresIn.Seconds()), Scope: &scope,
	}, nil
}

func (h *handlers) GetJWKS(ctx context.Context, _ api.GetJWKSRequestObject) (api.GetJWKSResponseObject, error) {
	if h.keys == nil {
		return api.GetJWKS200JSONResponse{Keys: []map[string]any{}}, nil
	}
	raw, err := h.keys.PublicJWKS(ctx)
	if err != nil {
		return nil, err
	}
	var set api.JWKS
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, err
	}
	return api.GetJWKS200JSONResponse(set), nil
}

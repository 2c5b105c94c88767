package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/organisation"
)

func (h *handlers) ListOrganisations(ctx context.Context, _ api.ListOrganisationsRequestObject) (api.ListOrganisationsResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	orgs, err := h.app.Organisations(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := make(api.ListOrganisations200JSONResponse, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, organisationView(o))
	}
	return out, nil
}

func (h *handlers) RegisterOrganisation(ctx context.Context, req api.RegisterOrganisationRequestObject) (api.RegisterOrganisationResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkRequest(req.Body); err != nil {
		return nil, err
	}
	jwks, err := jwksBytes(req.Body.Jwks)
	if err != nil {
		return nil, err
	}
	o, err := h.app.RegisterOrganisation(ctx, caller, organisation.Registration{
		ODSCode: req.Body.OdsCode, Name: req.Body.Name, JWKSURL: deref(req.Body.JwksUrl), JWKS: jwks,
	})
	if err != nil {
		return nil, err
	}
	return api.RegisterOrganisation201JSONResponse(organisationView(o)), nil
}

func (h *handlers) GetOrganisation(ctx context.Context, req api.GetOrganisationRequestObject) (api.GetOrganisationResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	o, err := h.app.Organisation(ctx, caller, req.OdsCode)
	if err != nil {
		return nil, err
	}
	return api.GetOrganisation200JSONResponse(organisationView(o)), nil
}

func (h *handlers) UpdateOrganisation(ctx context.Context, req api.UpdateOrganisationRequestObject) (api.UpdateOrganisationResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkRequest(req.Body); err != nil {
		return nil, err
	}
	jwks, err := jwksBytes(req.Body.Jwks)
	if err != nil {
		return nil, err
	}
	o, err := h.app.UpdateOrganisation(ctx, caller, req.OdsCode, app.OrganisationChange{
		Name: req.Body.Name, Status: organisation.Status(req.Body.Status), JWKSURL: deref(req.Body.JwksUrl), JWKS: jwks,
	})
	if err != nil {
		return nil, err
	}
	return api.UpdateOrganisation200JSONResponse(organisationView(o)), nil
}

func organisationView(o organisation.Organisation) api.Organisation {
	v := api.Organisation{
		OdsCode: o.ODSCode, Name: o.Name, Status: api.OrganisationStatus(o.Status),
		JwksUrl: optional(o.JWKSURL), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
	if len(o.JWKS) > 0 {
		var set api.JWKS
		if json.Unmarshal(o.JWKS, &set) == nil {
			v.Jwks = &set
		}
	}
	return v
}

// jwksBytes keeps an inline key set as JSON; that it holds usable keys is checked
// when an assertion is verified against it.
func jwksBytes(set *api.JWKS) ([]byte, error) {
	if set == nil {
		return nil, nil
	}
	if len(set.Keys) == 0 {
		return nil, fault.Invalid("jwks.keys", "min=1")
	}
	raw, err := json.Marshal(set)
	if err != nil {
		return nil, fault.Invalid("jwks", http.StatusText(http.StatusBadRequest))
	}
	return raw, nil
}

// deref is the value p points to, or its type's zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

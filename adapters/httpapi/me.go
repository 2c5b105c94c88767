package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/domain/patient"
)

func (h *handlers) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	p, err := h.app.Me(ctx, caller)
	if err != nil {
		return nil, err
	}
	return api.GetMe200JSONResponse(profile(p)), nil
}

func profile(p patient.Patient) api.Profile {
	out := api.Profile{
		Id:            uuid.MustParse(p.ID),
		IdentityLevel: api.ProfileIdentityLevel(p.Proofing),
		CreatedAt:     p.CreatedAt,
		UpdatedAt:     p.UpdatedAt,
		NhsNumber:     optional(p.NHSNumber.Value()),
		GivenName:     optional(p.Name.Given),
		FamilyName:    optional(p.Name.Family),
	}
	if d, err := time.Parse(time.DateOnly, p.BirthDate.Value()); err == nil {
		out.DateOfBirth = &openapi_types.Date{Time: d}
	}
	return out
}

// optional leaves empty strings out of the JSON.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

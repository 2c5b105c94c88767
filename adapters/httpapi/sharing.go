package httpapi

import (
	"context"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/record"
	"github.com/kith-health/kith/domain/sharecode"
)

func (h *handlers) ListShareCodes(ctx context.Context, _ api.ListShareCodesRequestObject) (api.ListShareCodesResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	codes, err := h.app.ShareCodes(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := api.ListShareCodes200JSONResponse{ShareCodes: make([]api.ShareCode, len(codes))}
	for i, c := range codes {
		out.ShareCodes[i] = shareCodeView(c)
	}
	return out, nil
}

func (h *handlers) IssueShareCode(ctx context.Context, req api.IssueShareCodeRequestObject) (api.IssueShareCodeResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c := app.ShareCodeCommand{IncludeSensitive: deref(b.IncludeSensitive), Label: deref(b.Label),
		MaxViews: deref(b.MaxViews), Organisation: deref(b.Organisation), RequireBirthDate: deref(b.RequireDateOfBirth)}
	if b.ExpiresInMinutes != nil {
		c.Lifetime = time.Duration(*b.ExpiresInMinutes) * time.Minute
	}
	for _, cat := range b.Categories {
		c.Categories = append(c.Categories, record.Category(cat))
	}
	issued, err := h.app.IssueShareCode(ctx, caller, c)
	if err != nil {
		return nil, err
	}
	v := shareCodeView(issued.ShareCodeView)
	return api.IssueShareCode201JSONResponse{
		Id: v.Id, Label: v.Label, Categories: v.Categories, IncludeSensitive: v.IncludeSensitive, MaxViews: v.MaxViews,
		Views: v.Views, Organisation: v.Organisation, RequireDateOfBirth: v.RequireDateOfBirth, CreatedAt: v.CreatedAt,
		ExpiresAt: v.ExpiresAt, Status: api.IssuedShareCodeStatus(v.Status),
		Code: issued.Code.String(), ViewerUrl: issued.ViewerURL,
	}, nil
}

func (h *handlers) RevokeShareCode(ctx context.Context, req api.RevokeShareCodeRequestObject) (api.RevokeShareCodeResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := h.app.RevokeShareCode(ctx, caller, req.ShareCodeId)
	if err != nil {
		return nil, err
	}
	return api.RevokeShareCode200JSONResponse(shareCodeView(c)), nil
}

func (h *handlers) RedeemShareCode(ctx context.Context, req api.RedeemShareCodeRequestObject) (api.RedeemShareCodeResponseObject, error) {
	c := app.RedeemCommand{Code: req.Body.Code, BirthDate: deref(req.Body.DateOfBirth), ClientAddr: app.ClientAddr(ctx),
		Viewer: sharecode.Viewer{Name: req.Body.ViewerName, Role: req.Body.ViewerRole}}
	if p, ok := identity.PrincipalFrom(ctx); ok {
		c.Staff = &p
	}
	t, err := h.app.Redeem(ctx, c)
	if err != nil {
		return nil, err
	}
	return api.RedeemShareCode200JSONResponse{AccessToken: t.Token, TokenType: api.ViewerTokenTokenTypeBearer,
		ExpiresIn: int(t.ExpiresIn.Seconds())}, nil
}

func (h *handlers) GetSharedRecordSummary(ctx context.Context, _ api.GetSharedRecordSummaryRequestObject) (api.GetSharedRecordSummaryResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	o, err := h.app.SharedRecordOverview(ctx, caller)
	if err != nil {
		return nil, err
	}
	p := api.SharedPatient{NhsNumber: o.Patient.NHSNumber.Value(), GivenName: optional(o.Patient.Name.Given),
		FamilyName: optional(o.Patient.Name.Family)}
	if d, err := time.Parse(time.DateOnly, o.Patient.BirthDate.Value()); err == nil {
		p.DateOfBirth = &openapi_types.Date{Time: d}
	}
	return sharedSummary{Patient: p, Summary: o.Summary, Label: o.Label, ExpiresAt: o.ExpiresAt, answers: h.shared}, nil
}

func (h *handlers) ListSharedRecordEntries(ctx context.Context, req api.ListSharedRecordEntriesRequestObject) (api.ListSharedRecordEntriesResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	q, err := entryQuery(entryFilter{Cursor: p.Cursor, Limit: p.Limit, Category: p.Category, Section: p.Section, State: p.State})
	if err != nil {
		return nil, err
	}
	entries, next, err := h.app.RecordEntries(ctx, caller, app.RecordRef{}, q)
	if err != nil {
		return nil, err
	}
	return api.ListSharedRecordEntries200JSONResponse(entryPage(entries, next)), nil
}

func (h *handlers) GetSharedRecordEntry(ctx context.Context, req api.GetSharedRecordEntryRequestObject) (api.GetSharedRecordEntryResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	e, err := h.app.RecordEntry(ctx, caller, app.RecordRef{}, req.EntryId)
	if err != nil {
		return nil, err
	}
	return fhirResource{body: e.Resource}, nil
}

func shareCodeView(c app.ShareCodeView) api.ShareCode {
	out := api.ShareCode{Id: c.ID, Label: c.Label, Categories: make([]api.Category, len(c.Categories)),
		IncludeSensitive: c.IncludeSensitive, MaxViews: c.MaxViews, Views: c.Views, Organisation: optional(c.Organisation),
		RequireDateOfBirth: c.RequireBirthDate, CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, Status: api.ShareCodeStatus(c.Status)}
	for i, cat := range c.Categories {
		out.Categories[i] = api.Category(cat)
	}
	if !c.RevokedAt.IsZero() {
		at := c.RevokedAt
		out.RevokedAt = &at
	}
	return out
}

func (h *handlers) GetSharedRecordIps(ctx context.Context, _ api.GetSharedRecordIpsRequestObject) (api.GetSharedRecordIpsResponseObject, error) {
	return h.ips(ctx, app.RecordRef{})
}

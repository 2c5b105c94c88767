package httpapi

import (
	"context"
	"fmt"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

func (h *handlers) ListGrants(ctx context.Context, _ api.ListGrantsRequestObject) (api.ListGrantsResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	grants, err := h.app.Grants(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := api.ListGrants200JSONResponse{Grants: make([]api.Grant, len(grants))}
	for i, g := range grants {
		out.Grants[i] = grantView(g)
	}
	return out, nil
}

func (h *handlers) CreateGrant(ctx context.Context, req api.CreateGrantRequestObject) (api.CreateGrantResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c := app.GrantCommand{Organisation: b.Organisation, IncludeSensitive: b.IncludeSensitive != nil && *b.IncludeSensitive}
	for _, cat := range b.Categories {
		c.Categories = append(c.Categories, record.Category(cat))
	}
	if b.Start != nil {
		c.Start = *b.Start
	}
	if b.End != nil {
		c.End = *b.End
	}
	if req.Params.IdempotencyKey != nil {
		c.IdempotencyKey = string(*req.Params.IdempotencyKey)
	}
	g, created, err := h.app.CreateGrant(ctx, caller, c)
	if err != nil {
		return nil, err
	}
	if !created {
		return api.CreateGrant200JSONResponse(grantView(g)), nil
	}
	return api.CreateGrant201JSONResponse(grantView(g)), nil
}

func (h *handlers) GetGrant(ctx context.Context, req api.GetGrantRequestObject) (api.GetGrantResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	g, err := h.app.Grant(ctx, caller, req.GrantId)
	if err != nil {
		return nil, err
	}
	return api.GetGrant200JSONResponse(grantView(g)), nil
}

func (h *handlers) RevokeGrant(ctx context.Context, req api.RevokeGrantRequestObject) (api.RevokeGrantResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	g, err := h.app.RevokeGrant(ctx, caller, req.GrantId)
	if err != nil {
		return nil, err
	}
	return api.RevokeGrant200JSONResponse(grantView(g)), nil
}

func (h *handlers) GetSettings(ctx context.Context, _ api.GetSettingsRequestObject) (api.GetSettingsResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	s, err := h.app.Settings(ctx, caller)
	if err != nil {
		return nil, err
	}
	return api.GetSettings200JSONResponse(settingsView(s)), nil
}

func (h *handlers) PutSettings(ctx context.Context, req api.PutSettingsRequestObject) (api.PutSettingsResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	// The app checks the caller first, so a caller who may not change settings
	// learns nothing from the body.
	b := req.Body
	c := app.SettingsChange{BreakGlassAllowed: b.BreakGlassAllowed}
	if b.AlertMode != nil {
		mode := patient.AlertMode(*b.AlertMode)
		c.AlertMode = &mode
	}
	if b.QuietHours != nil {
		start, err := alert.ParseClock("quietHours.start", b.QuietHours.Start)
		if err != nil {
			return nil, err
		}
		end, err := alert.ParseClock("quietHours.end", b.QuietHours.End)
		if err != nil {
			return nil, err
		}
		c.QuietHours = &alert.QuietHours{Start: start, End: end}
	}
	s, err := h.app.ChangeSettings(ctx, caller, c)
	if err != nil {
		return nil, err
	}
	return api.PutSettings200JSONResponse(settingsView(s)), nil
}

func settingsView(s patient.Settings) api.Settings {
	out := api.Settings{BreakGlassAllowed: s.BreakGlassAllowed, AlertMode: api.AlertMode(s.AlertMode)}
	if !s.QuietHours.None() {
		out.QuietHours = &api.QuietHours{Start: s.QuietHours.Start.String(), End: s.QuietHours.End.String()}
	}
	return out
}

func (h *handlers) GetAccessLog(ctx context.Context, req api.GetAccessLogRequestObject) (api.GetAccessLogResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	limit := defaultPageSize
	if l := req.Params.Limit; l != nil {
		if *l < 1 || *l > maxPageSize {
			return nil, fault.Invalid("limit", fmt.Sprintf("min=1,max=%d", maxPageSize))
		}
		limit = *l
	}
	items, next, err := h.app.AccessLog(ctx, caller, deref(req.Params.Cursor), limit)
	if err != nil {
		return nil, err
	}
	out := api.GetAccessLog200JSONResponse{Events: make([]api.AccessEvent, len(items)), NextCursor: optional(next)}
	for i, it := range items {
		out.Events[i] = accessEventView(it)
	}
	return out, nil
}

func (h *handlers) ReportAccess(ctx context.Context, req api.ReportAccessRequestObject) (api.ReportAccessResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	note := ""
	if req.Body != nil {
		note = deref(req.Body.Note)
	}
	it, err := h.app.ReportAccess(ctx, caller, req.EventId, note)
	if err != nil {
		return nil, err
	}
	return api.ReportAccess200JSONResponse(accessEventView(it)), nil
}

func grantView(g app.GrantView) api.Grant {
	out := api.Grant{
		Id: g.ID, Organisation: g.Organisation, OrganisationName: g.OrganisationName, Basis: api.GrantBasis(g.Basis),
		Categories: make([]api.Category, len(g.Categories)), IncludeSensitive: g.IncludeSensitive,
		Purpose: api.GrantPurpose(g.Purpose), Start: g.Start, End: g.End, Status: api.GrantStatus(g.Status),
		Reason: optional(g.Reason), CreatedAt: g.CreatedAt,
	}
	for i, c := range g.Categories {
		out.Categories[i] = api.Category(c)
	}
	if !g.RevokedAt.IsZero() {
		at := g.RevokedAt
		out.RevokedAt = &at
	}
	return out
}

func accessEventView(it app.AccessLogItem) api.AccessEvent {
	e := it.Event
	alert := api.AccessEventAlert(e.Alert)
	if e.Alert == audit.AlertNone {
		alert = api.AccessEventAlertNone
	}
	out := api.AccessEvent{
		Id: e.ID, At: e.At, Action: e.Action, Outcome: api.AccessEventOutcome(e.Outcome), Description: it.Description,
		Actor: api.AccessActor{Kind: api.AccessActorKind(e.Actor.Kind), Organisation: optional(e.Actor.Organisation),
			OrganisationName: optional(e.Actor.OrganisationName), PractitionerName: optional(e.Actor.PractitionerName),
			PractitionerRole: optional(e.Actor.PractitionerRole)},
		Route: optional(e.Route), Query: optional(e.Query), EntryId: optional(e.EntryID), Reason: optional(e.Reason),
		Label: optional(e.Label),
		Alert: &alert, ReportNote: optional(e.Report.Note),
	}
	if e.Basis != "" {
		b := api.AccessEventBasis(e.Basis)
		out.Basis = &b
	}
	if len(e.Categories) > 0 {
		cats := e.Categories
		out.Categories = &cats
	}
	if len(e.GrantIDs) > 0 {
		ids := e.GrantIDs
		out.GrantIds = &ids
	}
	if !e.Report.At.IsZero() {
		at := e.Report.At
		out.ReportedAt = &at
	}
	return out
}

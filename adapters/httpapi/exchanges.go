package httpapi

import (
	"context"
	"time"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

func (h *handlers) ListExchanges(ctx context.Context, _ api.ListExchangesRequestObject) (api.ListExchangesResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	xs, err := h.app.Exchanges(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := api.ListExchanges200JSONResponse{Exchanges: make([]api.Exchange, 0, len(xs))}
	for _, x := range xs {
		out.Exchanges = append(out.Exchanges, api.Exchange{Id: x.ID, Name: x.Name, Status: api.ExchangeStatus(x.Status)})
	}
	return out, nil
}

func (h *handlers) ListExchangesAdmin(ctx context.Context, _ api.ListExchangesAdminRequestObject) (api.ListExchangesAdminResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	xs, err := h.app.ExchangeDetails(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := make(api.ListExchangesAdmin200JSONResponse, 0, len(xs))
	for _, x := range xs {
		out = append(out, exchangeDetail(x))
	}
	return out, nil
}

func (h *handlers) RegisterExchange(ctx context.Context, req api.RegisterExchangeRequestObject) (api.RegisterExchangeResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkRequest(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	r := exchange.Registration{
		ID: b.Id, Name: b.Name, BaseURL: b.BaseUrl,
		Client:   exchange.Client{ID: b.ClientId, TokenURL: deref(b.TokenUrl), Scopes: deref(b.Scopes), KeyFile: deref(b.KeyFile)},
		PageSize: deref(b.PageSize), RatePerSecond: deref(b.RatePerSecond), Concurrency: deref(b.Concurrency),
	}
	x, err := h.app.RegisterExchange(ctx, caller, r, deref(b.Replace))
	if err != nil {
		return nil, err
	}
	return api.RegisterExchange201JSONResponse(exchangeDetail(x)), nil
}

func (h *handlers) SetExchangeStatus(ctx context.Context, req api.SetExchangeStatusRequestObject) (api.SetExchangeStatusResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkRequest(req.Body); err != nil {
		return nil, err
	}
	x, err := h.app.SetExchangeStatus(ctx, caller, req.ExchangeId, exchange.Status(req.Body.Status))
	if err != nil {
		return nil, err
	}
	return api.SetExchangeStatus200JSONResponse(exchangeDetail(x)), nil
}

func (h *handlers) ListExchangeLinks(ctx context.Context, _ api.ListExchangeLinksRequestObject) (api.ListExchangeLinksResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	links, err := h.app.ExchangeLinks(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := api.ListExchangeLinks200JSONResponse{Links: make([]api.ExchangeLink, 0, len(links))}
	for _, l := range links {
		out.Links = append(out.Links, linkView(l))
	}
	return out, nil
}

func (h *handlers) CreateExchangeLink(ctx context.Context, req api.CreateExchangeLinkRequestObject) (api.CreateExchangeLinkResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	// The app checks the body after the caller: a P5 patient hears 403, not 422.
	l, created, err := h.app.LinkExchange(ctx, caller, app.LinkCommand{Exchange: req.Body.Exchange, AlertNewResults: deref(req.Body.AlertNewResults)})
	if err != nil {
		return nil, err
	}
	if !created {
		return api.CreateExchangeLink200JSONResponse(linkView(l)), nil
	}
	return api.CreateExchangeLink201JSONResponse(linkView(l)), nil
}

func (h *handlers) GetExchangeLink(ctx context.Context, req api.GetExchangeLinkRequestObject) (api.GetExchangeLinkResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	l, err := h.app.ExchangeLink(ctx, caller, req.LinkId)
	if err != nil {
		return nil, err
	}
	return api.GetExchangeLink200JSONResponse(linkView(l)), nil
}

func (h *handlers) SyncExchangeLink(ctx context.Context, req api.SyncExchangeLinkRequestObject) (api.SyncExchangeLinkResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	l, err := h.app.SyncExchangeLink(ctx, caller, req.LinkId)
	if err != nil {
		return nil, err
	}
	return api.SyncExchangeLink202JSONResponse(linkView(l)), nil
}

func (h *handlers) DeleteExchangeLink(ctx context.Context, req api.DeleteExchangeLinkRequestObject) (api.DeleteExchangeLinkResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.app.UnlinkExchange(ctx, caller, req.LinkId); err != nil {
		return nil, err
	}
	return api.DeleteExchangeLink204Response{}, nil
}

func linkView(l app.LinkView) api.ExchangeLink {
	v := api.ExchangeLink{
		Id: l.ID, Exchange: l.ExchangeID, ExchangeName: l.ExchangeName, Status: api.ExchangeLinkStatus(l.Status),
		AlertNewResults: l.AlertNewResults, CreatedAt: l.CreatedAt, NextDueAt: l.NextDueAt,
		LastSuccessAt: optionalTime(l.LastSuccessAt), LastAttemptAt: optionalTime(l.LastAttemptAt),
	}
	if l.LastError != "" {
		reason := api.ExchangeLinkLastErrorReason(l.LastErrorReason)
		v.LastError, v.LastErrorReason = &l.LastError, &reason
	}
	if !l.LastSuccessAt.IsZero() {
		v.ResourcesLastPull = &l.Pulled
	}
	return v
}

func exchangeDetail(x exchange.Exchange) api.ExchangeDetail {
	d := api.ExchangeDetail{
		Id: x.ID, Name: x.Name, Status: api.ExchangeDetailStatus(x.Status), BaseUrl: x.BaseURL, ClientId: x.Client.ID,
		TokenUrl: x.Client.TokenURL, Scopes: append([]string{}, x.Client.Scopes...), PageSize: x.PageSize,
		RatePerSecond: x.RatePerSecond, Concurrency: x.Concurrency, Everything: x.Everything,
		CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt,
	}
	if x.Client.KeyFile != "" {
		d.KeyFile = &x.Client.KeyFile
	}
	for _, t := range x.Types {
		row := struct {
			History      *bool  `json:"history,omitempty"`
			LastUpdated  bool   `json:"lastUpdated"`
			MaxCount     *int   `json:"maxCount,omitempty"`
			PatientParam string `json:"patientParam"`
			ResourceType string `json:"resourceType"`
		}{LastUpdated: t.LastUpdated, PatientParam: t.PatientParam, ResourceType: t.ResourceType, History: &t.History}
		if t.MaxCount > 0 {
			row.MaxCount = &t.MaxCount
		}
		d.Types = append(d.Types, row)
	}
	if d.Types == nil {
		d.Types = d.Types[:0:0]
	}
	return d
}

// optionalTime leaves out a time that never happened.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

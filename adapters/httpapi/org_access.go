package httpapi

import (
	"context"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
)

// ref names the patient an organisation asks about.
func ref(nhs api.NHSNumber, birthDate *api.BirthDate) app.RecordRef {
	r := app.RecordRef{NHSNumber: string(nhs)}
	if birthDate != nil {
		r.BirthDate = string(*birthDate)
	}
	return r
}

func (h *handlers) GetOrgRecordSummary(ctx context.Context, req api.GetOrgRecordSummaryRequestObject) (api.GetOrgRecordSummaryResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := h.app.EncodedRecordSummary(ctx, caller, ref(req.NhsNumber, req.Params.BirthDate), summaryDoc)
	if err != nil {
		return nil, err
	}
	return fromDoc(doc.Doc)
}

func (h *handlers) ListOrgRecordEntries(ctx context.Context, req api.ListOrgRecordEntriesRequestObject) (api.ListOrgRecordEntriesResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	q, err := entryQuery(entryFilter{Type: p.Type, Cursor: p.Cursor, Limit: p.Limit, Category: p.Category,
		Section: p.Section, State: p.State, Since: p.Since, Until: p.Until})
	if err != nil {
		return nil, err
	}
	entries, next, err := h.app.RecordEntries(ctx, caller, ref(req.NhsNumber, p.BirthDate), q)
	if err != nil {
		return nil, err
	}
	return api.ListOrgRecordEntries200JSONResponse(entryPage(entries, next)), nil
}

func (h *handlers) GetOrgRecordEntry(ctx context.Context, req api.GetOrgRecordEntryRequestObject) (api.GetOrgRecordEntryResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	e, err := h.app.RecordEntry(ctx, caller, ref(req.NhsNumber, req.Params.BirthDate), req.EntryId)
	if err != nil {
		return nil, err
	}
	return fhirResource{body: e.Resource}, nil
}

func (h *handlers) ExportOrgRecord(ctx context.Context, req api.ExportOrgRecordRequestObject) (api.ExportOrgRecordResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	return h.export(ctx, caller, ref(req.NhsNumber, req.Params.BirthDate))
}

func (h *handlers) BreakGlass(ctx context.Context, req api.BreakGlassRequestObject) (api.BreakGlassResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	c := app.BreakGlassCommand{Ref: ref(req.NhsNumber, req.Params.BirthDate), Reason: req.Body.Reason}
	if req.Body.Minutes != nil {
		c.Minutes = *req.Body.Minutes
	}
	g, created, err := h.app.BreakGlass(ctx, caller, c)
	if err != nil {
		return nil, err
	}
	if !created {
		return api.BreakGlass200JSONResponse(grantView(g)), nil
	}
	return api.BreakGlass201JSONResponse(grantView(g)), nil
}

func (h *handlers) ListOrgAccessReports(ctx context.Context, _ api.ListOrgAccessReportsRequestObject) (api.ListOrgAccessReportsResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	reports, err := h.app.AccessReports(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := api.ListOrgAccessReports200JSONResponse{Reports: make([]api.ReportedAccess, len(reports))}
	for i, r := range reports {
		out.Reports[i] = api.ReportedAccess{NhsNumber: r.NHSNumber.Value(),
			Event: accessEventView(app.AccessLogItem{Event: r.Event, Description: app.DescribeEvent(r.Event)})}
	}
	return out, nil
}

func (h *handlers) GetOrgRecordIps(ctx context.Context, req api.GetOrgRecordIpsRequestObject) (api.GetOrgRecordIpsResponseObject, error) {
	return h.ips(ctx, ref(req.NhsNumber, req.Params.BirthDate))
}

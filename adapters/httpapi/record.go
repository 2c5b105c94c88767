package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/record"
)

const (
	defaultPageSize   = 50
	maxPageSize       = 200
	defaultChangeSize = 200
	maxChangeSize     = 500
)

func (h *handlers) GetRecordSummary(ctx context.Context, req api.GetRecordSummaryRequestObject) (api.GetRecordSummaryResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := h.app.EncodedRecordSummary(ctx, caller, app.RecordRef{}, summaryDoc)
	if err != nil {
		return nil, err
	}
	enc, err := fromDoc(doc.Doc)
	if err != nil {
		return nil, err
	}
	if matches(req.Params.IfNoneMatch, enc.etag) {
		return api.GetRecordSummary304Response{}, nil
	}
	return enc, nil
}

func (h *handlers) ListRecordEntries(ctx context.Context, req api.ListRecordEntriesRequestObject) (api.ListRecordEntriesResponseObject, error) {
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
	entries, next, err := h.app.RecordEntries(ctx, caller, app.RecordRef{}, q)
	if err != nil {
		return nil, err
	}
	etag := pageETag(entries, next)
	if matches(p.IfNoneMatch, etag) {
		return api.ListRecordEntries304Response{}, nil
	}
	return api.ListRecordEntries200JSONResponse{Body: entryPage(entries, next), Headers: api.ListRecordEntries200ResponseHeaders{ETag: &etag}}, nil
}

// entryFilter is the entry list's query parameters, as every form of the route
// (the patient's, an organisation's, a viewer's) binds them.
type entryFilter struct {
	Type, Cursor *string
	Limit        *int
	Category     *api.Category
	Section      *api.Section
	State        *api.EntryState
	Since, Until *time.Time
}

// entryQuery is the store query the filter asks for.
func entryQuery(f entryFilter) (app.EntryQuery, error) {
	q := app.EntryQuery{Limit: defaultPageSize, ResourceType: deref(f.Type), Cursor: deref(f.Cursor),
		Category: record.Category(deref(f.Category)), Section: record.Section(deref(f.Section)),
		State: app.EntryState(deref(f.State))}
	if f.Limit != nil {
		if *f.Limit < 1 || *f.Limit > maxPageSize {
			return app.EntryQuery{}, fault.Invalid("limit", fmt.Sprintf("min=1,max=%d", maxPageSize))
		}
		q.Limit = *f.Limit
	}
	if f.Since != nil {
		q.Since = *f.Since
	}
	if f.Until != nil {
		q.Until = *f.Until
	}
	return q, nil
}

func entryPage(entries []record.Entry, next string) api.EntryPage {
	return api.EntryPage{Entries: entryHeads(entries), NextCursor: optional(next)}
}

func (h *handlers) GetRecordEntry(ctx context.Context, req api.GetRecordEntryRequestObject) (api.GetRecordEntryResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	e, err := h.app.RecordEntry(ctx, caller, app.RecordRef{}, req.EntryId)
	if err != nil {
		return nil, err
	}
	etag := `"` + e.Hash + `"`
	if matches(req.Params.IfNoneMatch, etag) {
		return api.GetRecordEntry304Response{}, nil
	}
	return fhirResource{body: e.Resource, etag: etag}, nil
}

func (h *handlers) GetRecordChanges(ctx context.Context, req api.GetRecordChangesRequestObject) (api.GetRecordChangesResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	limit := defaultChangeSize
	if req.Params.Limit != nil {
		if *req.Params.Limit < 1 || *req.Params.Limit > maxChangeSize {
			return nil, fault.Invalid("limit", fmt.Sprintf("min=1,max=%d", maxChangeSize))
		}
		limit = *req.Params.Limit
	}
	page, err := h.app.RecordChanges(ctx, caller, deref(req.Params.Since), limit)
	if err != nil {
		return nil, err
	}
	out := api.GetRecordChanges200JSONResponse{Next: page.Next, More: page.More, Reset: page.Reset,
		Changes: make([]api.Change, 0, len(page.Changes))}
	for _, e := range page.Changes {
		c := api.Change{Id: e.ID, Change: api.Delete}
		if !e.Deleted {
			head := entryHead(e)
			resource := json.RawMessage(e.Resource)
			c.Change, c.Entry, c.Resource = api.Upsert, &head, &resource
		}
		out.Changes = append(out.Changes, c)
	}
	return out, nil
}

func (h *handlers) UploadRecord(ctx context.Context, req api.UploadRecordRequestObject) (api.UploadRecordResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	body := req.JSONBody
	if req.ApplicationFhirPlusJSONBody != nil {
		body = req.ApplicationFhirPlusJSONBody
	}
	if body == nil {
		return nil, fault.Invalid("body", "required")
	}
	data, err := body.Bytes()
	if err != nil {
		return nil, err
	}
	r, err := h.app.UploadRecord(ctx, caller, data, deref(req.Params.KeepMismatched))
	if err != nil {
		return nil, err
	}
	return api.UploadRecord200JSONResponse{Received: r.Received, Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged}, nil
}

func (h *handlers) ExportRecord(ctx context.Context, _ api.ExportRecordRequestObject) (api.ExportRecordResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	return h.export(ctx, caller, app.RecordRef{})
}

func (h *handlers) export(ctx context.Context, caller identity.Principal, ref app.RecordRef) (fhirExport, error) {
	export, err := h.app.ExportRecord(ctx, caller, ref)
	if err != nil {
		return fhirExport{}, err
	}
	return fhirExport{
		export: export,
		onErr:  func(err error) { h.log.ErrorContext(ctx, "record export failed part-way", "error", err) },
	}, nil
}

func (h *handlers) EraseRecord(ctx context.Context, req api.EraseRecordRequestObject) (api.EraseRecordResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	// The app checks the confirmation after the caller's right to erase, so a caller
	// who may not erase learns nothing from the body.
	if err := h.app.EraseRecord(ctx, caller, req.Body.Confirm); err != nil {
		return nil, err
	}
	return api.EraseRecord204Response{}, nil
}

// matches is If-None-Match against the current ETag (a list, or *).
func matches(ifNoneMatch *api.IfNoneMatch, etag string) bool {
	if ifNoneMatch == nil {
		return false
	}
	for _, tag := range strings.Split(string(*ifNoneMatch), ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

// pageETag changes whenever any entry on the page, or what follows it, changes.
func pageETag(entries []record.Entry, next string) string {
	h := sha256.New()
	for _, e := range entries {
		fmt.Fprintf(h, "%s:%d;", e.ID, e.Revision)
	}
	h.Write([]byte(next))
	return `W/"` + hex.EncodeToString(h.Sum(nil))[:32] + `"`
}

func entryHead(e record.Entry) api.EntryHead {
	head := api.EntryHead{
		Id: e.ID, ResourceType: e.ResourceType, Category: api.Category(e.Category), Sensitive: e.Sensitive,
		Source: e.Source(), UpdatedAt: e.UpdatedAt,
		Display: api.EntryDisplay{Text: e.Display.Text, Status: optional(e.Display.Status)},
	}
	if !e.Display.Date.IsZero() {
		d := e.Display.Date
		head.Display.Date = &d
		if e.Display.DatePrecision != "" {
			precision := api.EntryDisplayDatePrecision(e.Display.DatePrecision)
			head.Display.DatePrecision = &precision
		}
	}
	if e.Clinical.Section != "" {
		head.Clinical = clinicalView(e.Clinical)
	}
	if len(e.Flags) > 0 {
		flags := e.Flags
		head.Flags = &flags
	}
	if len(e.Provenances) > 1 {
		var sources []string
		for _, p := range e.Provenances {
			sources = append(sources, p.Source)
		}
		head.Sources = &sources
	}
	return head
}

func clinicalView(c record.Clinical) *api.EntryClinical {
	d := c.Detail
	section, current := api.Section(c.Section), c.Current
	out := &api.EntryClinical{Section: &section, Current: &current, Criticality: optional(d.Criticality),
		Verification: optional(d.Verification), Dosage: optional(d.Dosage), Value: optional(d.Value),
		ReferenceRange: optional(d.ReferenceRange), Interpretation: optional(d.Interpretation)}
	if len(d.Reactions) > 0 {
		reactions := make([]api.Reaction, len(d.Reactions))
		for i, r := range d.Reactions {
			reactions[i] = api.Reaction{Severity: optional(r.Severity)}
			if len(r.Manifestations) > 0 {
				m := r.Manifestations
				reactions[i].Manifestations = &m
			}
		}
		out.Reactions = &reactions
	}
	return out
}

func summaryView(s record.Summary) api.RecordSummary {
	out := api.RecordSummary{Sections: []api.SectionSummary{}, Categories: []api.CategorySummary{}, Sources: []api.SourceSync{}}
	for _, sec := range s.Sections {
		view := api.SectionSummary{Section: api.Section(sec.Section), Category: api.Category(sec.Section.Category()),
			Shared: sec.Shared, Items: entryHeads(sec.Items), Current: sec.Current, Past: sec.Past, More: sec.More()}
		out.Sections = append(out.Sections, view)
	}
	for _, c := range record.Categories {
		out.Categories = append(out.Categories, api.CategorySummary{Category: api.Category(c), Count: s.Counts[c], Latest: entryHeads(s.Latest[c])})
	}
	sources := make([]string, 0, len(s.LastSync))
	for src := range s.LastSync {
		sources = append(sources, src)
	}
	sort.Strings(sources)
	for _, src := range sources {
		out.Sources = append(out.Sources, api.SourceSync{LastSync: s.LastSync[src], Source: src})
	}
	return out
}

func entryHeads(entries []record.Entry) []api.EntryHead {
	out := make([]api.EntryHead, 0, len(entries))
	for _, e := range entries {
		out = append(out, entryHead(e))
	}
	return out
}

// contentETag names a response by its encoded body: it changes exactly when what
// the reader would see changes.
func contentETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `W/"` + hex.EncodeToString(sum[:16]) + `"`
}

func (h *handlers) GetRecordIps(ctx context.Context, _ api.GetRecordIpsRequestObject) (api.GetRecordIpsResponseObject, error) {
	return h.ips(ctx, app.RecordRef{})
}

// ips answers the IPS document of the record ref names, for every form of the route.
func (h *handlers) ips(ctx context.Context, ref app.RecordRef) (fhirDocument, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return fhirDocument{}, err
	}
	doc, err := h.app.RecordIPS(ctx, caller, ref)
	if err != nil {
		return fhirDocument{}, err
	}
	return fhirDocument{body: doc}, nil
}

package app

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/record"
)

// RecordSummary is the summary of the record ref names, as much of it as the caller
// may see: one store read and the audit write.
func (a *App) RecordSummary(ctx context.Context, caller identity.Principal, ref RecordRef) (record.Summary, error) {
	r, err := a.openRead(ctx, caller, ref, "record.summary.read")
	if err != nil {
		return record.Summary{}, err
	}
	s, err := a.store.Summary(ctx, r.ownerID)
	if err != nil {
		return record.Summary{}, err
	}
	if err := a.disclose(ctx, r, audit.Event{Action: "record.summary.read"}); err != nil {
		return record.Summary{}, err
	}
	return s.Within(r.decision.Permits), nil
}

// RecordEntries lists entries of the record ref names, newest first, without
// resources, within what the caller may see.
func (a *App) RecordEntries(ctx context.Context, caller identity.Principal, ref RecordRef, q EntryQuery) ([]record.Entry, string, error) {
	if q.Category != "" && !record.KnownCategory(q.Category) {
		return nil, "", fault.Invalid("category", "oneof categories")
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return nil, "", fault.Invalid("until", "after since")
	}
	r, err := a.openRead(ctx, caller, ref, "record.entries.listed")
	if err != nil {
		return nil, "", err
	}
	categories := categoryNames(r.decision.Categories())
	if q.Category != "" {
		if d := r.decide(q.Category, false, a.now()); !d.Allowed {
			if _, err := a.audit(ctx, r, audit.Event{Action: "record.entries.listed", Categories: []string{string(q.Category)},
				Query: q.describe(), Reason: d.Reason, Outcome: audit.OutcomeDenied}); err != nil {
				return nil, "", err
			}
			return nil, "", fault.Denied(d.Reason)
		}
		categories = []string{string(q.Category)}
	}
	if !r.decision.Whole() {
		q.Within = r.decision.Scope
	}
	heads, next, err := a.store.EntryHeads(ctx, r.ownerID, q)
	if err != nil {
		return nil, "", err
	}
	if err := a.disclose(ctx, r, audit.Event{Action: "record.entries.listed", Categories: categories, Query: q.describe()}); err != nil {
		return nil, "", err
	}
	return heads, next, nil
}

// RecordEntry reads one entry with its resource. An entry outside what the caller
// may see is not found, as if it did not exist; an organisation's attempt is audited.
func (a *App) RecordEntry(ctx context.Context, caller identity.Principal, ref RecordRef, entryID string) (record.Entry, error) {
	r, err := a.openRead(ctx, caller, ref, "record.entry.read")
	if err != nil {
		return record.Entry{}, err
	}
	e, err := a.store.EntryForDisclosure(ctx, r.ownerID, entryID)
	if err != nil {
		return record.Entry{}, err
	}
	if d := r.decide(e.Category, e.Sensitive, a.now()); !d.Allowed {
		if _, err := a.audit(ctx, r, audit.Event{Action: "record.entry.read", EntryID: entryID, Reason: d.Reason,
			Outcome: audit.OutcomeDenied}); err != nil {
			return record.Entry{}, err
		}
		return record.Entry{}, errors.Join(errNoSuchRecord, errors.New(d.Reason))
	}
	if err := a.disclose(ctx, r, audit.Event{Action: "record.entry.read", EntryID: entryID,
		Categories: []string{string(e.Category)}}); err != nil {
		return record.Entry{}, err
	}
	return e, nil
}

// describe is the query as the access log keeps it: filters, never results.
func (q EntryQuery) describe() string {
	v := url.Values{}
	if q.Category != "" {
		v.Set("category", string(q.Category))
	}
	if q.ResourceType != "" {
		v.Set("type", q.ResourceType)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339))
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	v.Set("limit", strconv.Itoa(q.Limit))
	return v.Encode()
}

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

// RecordEntries lists entries of the record ref names, newest first, without
// resources, within what the caller may see.
func (a *App) RecordEntries(ctx context.Context, caller identity.Principal, ref RecordRef, q EntryQuery) ([]record.Entry, string, error) {
	if err := q.check(); err != nil {
		return nil, "", err
	}
	r, err := a.openRead(ctx, caller, ref, "record.entries.listed")
	if err != nil {
		return nil, "", err
	}
	return a.listEntries(ctx, r, q)
}

// check refuses filters that name no category, section or state.
func (q EntryQuery) check() error {
	if q.Category != "" && !record.KnownCategory(q.Category) {
		return fault.Invalid("category", "oneof categories")
	}
	if q.Section != "" && !record.KnownSection(q.Section) {
		return fault.Invalid("section", "oneof sections")
	}
	if q.State != "" && q.State != StateCurrent && q.State != StatePast {
		return fault.Invalid("state", "oneof=current past")
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return fault.Invalid("until", "after since")
	}
	return nil
}

// listEntries lists entries for an opened reading. A category (or a section's
// category) the reader may not see is refused, and the attempt audited; otherwise
// the list stays within its scope and is audited before it is returned.
func (a *App) listEntries(ctx context.Context, r *reading, q EntryQuery) ([]record.Entry, string, error) {
	categories := categoryNames(r.decision.Categories())
	asked := q.Category
	if asked == "" {
		asked = q.Section.Category()
	}
	if asked != "" {
		if d := r.decide(asked, false, a.now()); !d.Allowed {
			if _, err := a.audit(ctx, r, audit.Event{Action: "record.entries.listed", Categories: []string{string(asked)},
				Query: q.describe(), Reason: d.Reason, Outcome: audit.OutcomeDenied}); err != nil {
				return nil, "", err
			}
			return nil, "", fault.Denied(d.Reason)
		}
		categories = []string{string(asked)}
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
	return r.screened(heads), next, nil
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
	if d := r.decide(e.Category, e.Sensitive, a.now()); !d.Allowed || !d.PermitsEntry(e.ID, e.Category, e.Sensitive) {
		if d.Allowed {
			d.Reason = "screened-from-guardians"
		}
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
	if q.Section != "" {
		v.Set("section", string(q.Section))
	}
	if q.State != "" {
		v.Set("state", string(q.State))
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

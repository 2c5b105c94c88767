package app

import (
	"context"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/record"
)

// RecordSummary is the summary of the record ref names, as much of it as the caller
// may see, read from the entries and audited before it is returned.
func (a *App) RecordSummary(ctx context.Context, caller identity.Principal, ref RecordRef) (record.Summary, error) {
	r, err := a.openRead(ctx, caller, ref, "record.summary.read")
	if err != nil {
		return record.Summary{}, err
	}
	s, err := a.summaryFor(ctx, r, true)
	if err != nil {
		return record.Summary{}, err
	}
	if err := a.disclose(ctx, r, audit.Event{Action: "record.summary.read"}); err != nil {
		return record.Summary{}, err
	}
	return s, nil
}

// summaryFor builds the summary one reading may see from the store's tally and
// lists: the current items of each section it may see and, withLatest, each
// category's newest entries (the older summary shape, which the IPS does not
// need), all within its scope, so nothing it may not see is read.
func (a *App) summaryFor(ctx context.Context, r *reading, withLatest bool) (record.Summary, error) {
	t, err := a.store.RecordTally(ctx, r.ownerID)
	if err != nil {
		return record.Summary{}, err
	}
	within := r.decision.Scope
	if r.decision.Whole() {
		within = nil
	}
	items := map[record.Section][]record.Entry{}
	for _, sec := range record.Sections {
		if !r.decision.Permits(sec.Category(), false) || !tallied(t, func(row record.TallyRow) bool { return row.Section == sec && row.Current }) {
			continue
		}
		heads, _, err := a.store.EntryHeads(ctx, r.ownerID, EntryQuery{Section: sec, State: StateCurrent, Limit: sec.Listed(), Within: within})
		if err != nil {
			return record.Summary{}, err
		}
		items[sec] = r.screened(heads)
	}
	latest := map[record.Category][]record.Entry{}
	for _, c := range record.Categories {
		if !withLatest || !r.decision.Permits(c, false) || !tallied(t, func(row record.TallyRow) bool { return row.Category == c }) {
			continue
		}
		heads, _, err := a.store.EntryHeads(ctx, r.ownerID, EntryQuery{Category: c, Limit: record.LatestPerCategory, Within: within})
		if err != nil {
			return record.Summary{}, err
		}
		latest[c] = r.screened(heads)
	}
	return record.Summarise(r.ownerID, t, items, latest, r.decision.Permits), nil
}

// tallied reports whether the tally counts any entry its rows match: a list with
// nothing in it is not worth a read.
func tallied(t record.Tally, match func(record.TallyRow) bool) bool {
	for _, row := range t.Rows {
		if row.Entries > 0 && match(row) {
			return true
		}
	}
	return false
}

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

// summaryFor builds the summary one reading may see: the current items of each
// section it may see and, withLatest, each category's newest entries (the older
// summary shape, which the IPS does not need). They come from the record's
// summary inputs where those list what the reading's own query would; otherwise
// (a list cut short by entries it may not see) from a query within its scope.
func (a *App) summaryFor(ctx context.Context, r *reading, withLatest bool) (record.Summary, error) {
	s, _, err := a.summaryAt(ctx, r, withLatest)
	return s, err
}

// summaryAt is summaryFor and the mark its summary was made at.
func (a *App) summaryAt(ctx context.Context, r *reading, withLatest bool) (record.Summary, RecordMark, error) {
	mark, err := a.store.RecordMark(ctx, r.ownerID)
	if err != nil {
		return record.Summary{}, RecordMark{}, err
	}
	scope, keep := scopeOf(r, withLatest)
	if keep && mark.Settled {
		if s, ok := a.made.get(versionAt(r.ownerID, mark, scope)); ok {
			return s, mark, nil
		}
	}
	in, err := a.summaryInputsAt(ctx, r.ownerID, mark)
	if err != nil {
		return record.Summary{}, RecordMark{}, err
	}
	keep = keep && in.exact
	queried := false
	within := r.decision.Scope
	if r.decision.Whole() {
		within = nil
	}
	// list is what the reading sees of a kept list, or of its own query within
	// its scope where the kept list is cut short by entries it may not see.
	list := func(l summaryList, q EntryQuery) ([]record.Entry, error) {
		if seen, exact := l.seenBy(r); exact {
			return seen, nil
		}
		q.Within, queried = within, true
		heads, _, err := a.store.EntryHeads(ctx, r.ownerID, q)
		return r.screened(heads), err
	}
	items := map[record.Section][]record.Entry{}
	for _, sec := range record.Sections {
		if l, ok := in.items[sec]; ok && r.decision.Permits(sec.Category(), false) {
			if items[sec], err = list(l, itemsQuery(sec)); err != nil {
				return record.Summary{}, RecordMark{}, err
			}
		}
	}
	latest := map[record.Category][]record.Entry{}
	for _, c := range record.Categories {
		if l, ok := in.latest[c]; ok && withLatest && r.decision.Permits(c, false) {
			if latest[c], err = list(l, newestQuery(c)); err != nil {
				return record.Summary{}, RecordMark{}, err
			}
		}
	}
	s := record.Summarise(r.ownerID, in.tally, items, latest, r.decision.Permits)
	if keep && queried {
		if keep, err = a.unmoved(ctx, r.ownerID, in.mark); err != nil {
			return record.Summary{}, RecordMark{}, err
		}
	}
	if keep {
		s.Version = in.version(r.ownerID, scope)
		a.made.add(s.Version, s)
	}
	return s, in.mark, nil
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

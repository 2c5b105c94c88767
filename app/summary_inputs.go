package app

import (
	"context"
	"fmt"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// A node keeps the summary inputs of at most summaryRecords records, holding at
// most summaryEntries entries between them (without resources; the summaries made
// from them hold as many again). A typical record holds about 150, a long one
// over a thousand: counting entries, not records, bounds memory (heap profiles
// put a kept record with its summaries at about 0.4 MB) whatever records are read.
// Since each scope's summary is kept as its answer (summary_docs.go), inputs
// serve only a record's first read in another scope at the same mark: 20,000
// entries of them were half of a node's live heap for that.
const (
	summaryRecords = 64
	summaryEntries = 5_000
)

// summaryInputs is what a summary is made from, read of a whole record at one
// mark: the tally, each section's current items and each category's newest
// entries, sensitive ones included. Readers share it and never change it.
type summaryInputs struct {
	mark  RecordMark
	tally record.Tally
	// exact says the inputs are the record at mark, no more: only those are kept.
	exact bool
	// items and latest are the lists a whole-record reader's queries return; a
	// complete list holds every entry its query matches.
	items  map[record.Section]summaryList
	latest map[record.Category]summaryList
}

// version names a summary made for scope from these exact inputs.
func (in *summaryInputs) version(patientID string, scope summaryScope) string {
	return versionAt(patientID, in.mark, scope)
}

// versionAt names a summary made for scope of the record at mark.
func versionAt(patientID string, mark RecordMark, scope summaryScope) string {
	return fmt.Sprintf("%s/%d/%d/%s", patientID, mark.Epoch, mark.LastSeq, scope.slot())
}

// summaryScope is all a summary depends on besides the record: what the reader
// may see of each category, sensitive or not, and whether it wants the newest
// entries of each. A reader with a guardian's screen (entry by entry) has none.
type summaryScope struct {
	sees       uint64 // bit 2i: category i, bit 2i+1: its sensitive entries
	withLatest bool
}

// slot names the scope among a record's summary docs.
func (k summaryScope) slot() string { return fmt.Sprintf("%x/%t", k.sees, k.withLatest) }

// scopeOf is the reading's scope, or false when a screen makes it entry by entry.
func scopeOf(r *reading, withLatest bool) (summaryScope, bool) {
	k := summaryScope{withLatest: withLatest}
	if r.decision.Screen != nil {
		return k, false
	}
	for i, c := range record.Categories {
		if r.decision.Permits(c, false) {
			k.sees |= 1 << (2 * i)
		}
		if r.decision.Permits(c, true) {
			k.sees |= 1 << (2*i + 1)
		}
	}
	return k, true
}

// A node keeps at most keptSummaries summaries made, by Version, holding at most
// keptSummaryEntries entries between them: a summary lists at most a few dozen of
// each section's items, and a long record's fill every section.
const (
	keptSummaries      = 256
	keptSummaryEntries = 10_000
)

func newMadeSummaries() *weighedCache[record.Summary] {
	return newWeighedCache(keptSummaries, keptSummaryEntries, summaryEntryCount)
}

// summaryEntryCount is how many entries a summary holds.
func summaryEntryCount(s record.Summary) int {
	n := 0
	for _, sec := range s.Sections {
		n += len(sec.Items)
	}
	for _, l := range s.Latest {
		n += len(l)
	}
	return n
}

type summaryList struct {
	entries  []record.Entry
	complete bool
}

// summaryCache keeps each recently read record's summary inputs against the mark
// they were read at, by patient. It is only ever a shortcut: every read takes the
// record's mark from the store first and uses inputs only of that same, settled
// mark, so a summary always says what the stored entries say now, on every node.
type summaryCache struct{ *weighedCache[*summaryInputs] }

func newSummaryCache() summaryCache {
	return summaryCache{newWeighedCache(summaryRecords, summaryEntries, (*summaryInputs).entries)}
}

// keep keeps in for the patient, in place of any before.
func (c summaryCache) keep(patientID string, in *summaryInputs) { c.add(patientID, in) }

// forget lets the patient's kept inputs go.
func (c summaryCache) forget(patientID string) { c.remove(patientID) }

// entries is how many entries the inputs hold.
func (in *summaryInputs) entries() int {
	n := 0
	for _, l := range in.items {
		n += len(l.entries)
	}
	for _, l := range in.latest {
		n += len(l.entries)
	}
	return n
}

// summaryInputsAt gives the inputs of the patient's record as it stands, its
// mark just read.
func (a *App) summaryInputsAt(ctx context.Context, patientID string, mark RecordMark) (*summaryInputs, error) {
	if in, ok := a.summaries.get(patientID); ok && mark.Settled && in.mark == mark {
		return in, nil
	}
	in, err := a.readWholeRecord(ctx, patientID, mark)
	if err != nil {
		return nil, err
	}
	if in.exact, err = a.unmoved(ctx, patientID, mark); err != nil {
		return nil, err
	}
	if in.exact {
		a.summaries.keep(patientID, in)
	}
	return in, nil
}

// unmoved reports whether the record is still at mark, settled: reads made
// between the two saw exactly the entries the mark stands for.
func (a *App) unmoved(ctx context.Context, patientID string, mark RecordMark) (bool, error) {
	now, err := a.store.RecordMark(ctx, patientID)
	return err == nil && mark.Settled && now == mark, err
}

// concurrentWholeReads is how many whole-record reads run at once. Each holds a
// record's lists decoded (megabytes for a long record): 32 at once took the heap
// up by a hundred megabytes. With 10,000 records four were too few to keep two
// cores busy while reads waited on the file.
const concurrentWholeReads = 8

// readWholeRecord is readSummaryInputs once admitted among the whole-record
// reads running at once; a reader that gives up waiting goes with ctx's error.
func (a *App) readWholeRecord(ctx context.Context, patientID string, mark RecordMark) (*summaryInputs, error) {
	if err := a.wholeReads.Acquire(ctx, 1); err != nil {
		return nil, fmt.Errorf("waiting to read the record: %w: %w", err, fault.ErrUnavailable)
	}
	defer a.wholeReads.Release(1)
	return a.readSummaryInputs(ctx, patientID, mark)
}

// readSummaryInputs reads the whole record's inputs after mark was read: they
// hold at least what it counts, and more if a write landed in between.
func (a *App) readSummaryInputs(ctx context.Context, patientID string, mark RecordMark) (*summaryInputs, error) {
	t, err := a.store.RecordTally(ctx, patientID)
	if err != nil {
		return nil, err
	}
	in := &summaryInputs{mark: mark, tally: t, items: map[record.Section]summaryList{}, latest: map[record.Category]summaryList{}}
	for _, sec := range record.Sections {
		if !tallied(t, func(row record.TallyRow) bool { return row.Section == sec && row.Current }) {
			continue
		}
		heads, next, err := a.store.EntryHeads(ctx, patientID, itemsQuery(sec))
		if err != nil {
			return nil, err
		}
		in.items[sec] = summaryList{heads, next == ""}
	}
	for _, c := range record.Categories {
		if !tallied(t, func(row record.TallyRow) bool { return row.Category == c }) {
			continue
		}
		heads, next, err := a.store.EntryHeads(ctx, patientID, newestQuery(c))
		if err != nil {
			return nil, err
		}
		in.latest[c] = summaryList{heads, next == ""}
	}
	return in, nil
}

// itemsQuery lists a section's current items as a summary shows them, and
// newestQuery a category's newest entries.
func itemsQuery(sec record.Section) EntryQuery {
	return EntryQuery{Section: sec, State: StateCurrent, Limit: sec.Listed()}
}

func newestQuery(c record.Category) EntryQuery {
	return EntryQuery{Category: c, Limit: record.LatestPerCategory}
}

// seenBy is the part of l the reading may see, and whether that is what the
// reading's own query would have listed: it is when the list is complete, or
// when the reading may see every entry on it (they are then the newest it may see).
func (l summaryList) seenBy(r *reading) ([]record.Entry, bool) {
	var seen []record.Entry
	for _, e := range l.entries {
		if r.shows(e) {
			seen = append(seen, e)
		}
	}
	return seen, l.complete || len(seen) == len(l.entries)
}

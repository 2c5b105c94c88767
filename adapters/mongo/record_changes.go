package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/adapters/internal/entries"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/record"
)

// ChangesForDisclosure implements app.RecordStore through entries_by_change. It reads
// the record's state first: numbers up to its last_seq are all taken, and any of them
// still being written is marked pending there (see record_state.go). Numbers beyond
// it may be taken after the read by writes it cannot know about, so the page stops at
// it. While a write is pending, a missing number may be one still being written, so
// the page stops before the first missing number; otherwise a missing number is one
// whose entry was written again since (it now holds a later number), erased, or never
// used by a write that failed, and is passed over.
func (s *Store) ChangesForDisclosure(ctx context.Context, patientID string, after int64, limit int) ([]record.Entry, int64, error) {
	if err := entries.CheckLimit("list changes", limit); err != nil {
		return nil, 0, err
	}
	after = max(after, 0)
	state, err := s.recordState(ctx, patientID)
	if err != nil {
		return nil, 0, translate("list changes: record state", err)
	}
	if state.LastSeq <= after {
		return nil, state.Epoch, nil
	}
	cur, err := s.entriesColl().Find(ctx,
		bson.D{{Key: "patient_id", Value: patientID}, {Key: "change_seq", Value: bson.D{{Key: "$gt", Value: after}, {Key: "$lte", Value: state.LastSeq}}}},
		options.Find().SetSort(bson.D{{Key: "change_seq", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, translate("list changes", err)
	}
	var records []entryRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, 0, translate("list changes", err)
	}
	if state.writing(time.Now()) {
		records = records[:untilGap(records, after)]
	}
	changes := make([]record.Entry, len(records))
	for i, r := range records {
		changes[i] = r.entry()
	}
	return changes, state.Epoch, nil
}

// untilGap is how many of records, in ChangeSeq order, follow after without a number
// missing.
func untilGap(records []entryRecord, after int64) int {
	for i, r := range records {
		if r.ChangeSeq != after+int64(i)+1 {
			return i
		}
	}
	return len(records)
}

// EraseRecord implements app.RecordStore: the entries, then the epoch, then the
// summary docs. A device reading the changes sees the new epoch only once the
// entries are gone, so when it starts again from the beginning it reads only what came after the
// erasure. Each step is idempotent, so an erasure cut short is finished by calling
// it again. A write that took its number before the erasure and stores its entry
// after it keeps that entry: the erasure is of the record as it stood.
func (s *Store) EraseRecord(ctx context.Context, patientID string) error {
	if _, err := s.entriesColl().DeleteMany(ctx, bson.D{{Key: "patient_id", Value: patientID}}); err != nil {
		return translate("erase record: entries", err)
	}
	_, err := s.recordStateColl().UpdateOne(ctx, bson.D{{Key: "_id", Value: patientID}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "epoch", Value: int64(1)}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return translate("erase record: epoch", err)
	}
	// After the epoch moves, so a summary doc kept meanwhile is either deleted
	// here or taken back out by its keeper (see KeepSummaryDoc).
	_, err = s.summaryDocsColl().DeleteMany(ctx, bson.D{{Key: "patient_id", Value: patientID}})
	return translate("erase record: summary docs", err)
}

// RecordMark implements app.RecordStore from the record's state. It is settled only
// with nothing pending, not even a mark taken as dead: a write that slow may still
// store its entry.
func (s *Store) RecordMark(ctx context.Context, patientID string) (app.RecordMark, error) {
	r, err := s.recordState(ctx, patientID)
	if err != nil {
		return app.RecordMark{}, translate("record mark", err)
	}
	return app.RecordMark{Epoch: r.Epoch, LastSeq: r.LastSeq, Settled: len(r.Pending) == 0}, nil
}

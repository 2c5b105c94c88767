package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kith-health/kith/adapters/internal/entries"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// entriesCollection is named in migrations/mongo too.
const entriesCollection = "entries"

func (s *Store) entriesColl() *mongo.Collection {
	return s.db.Collection(entriesCollection)
}

// PutEntry implements app.RecordStore: it takes the patient's next ChangeSeq (see
// record_state.go), then writes with one conditional operation, an insert for
// revision 0 (the _id makes a second one a duplicate key) and otherwise a replacement
// matching only the expected revision. A write that loses takes a number it never
// uses; the feed passes over such numbers once the write has let go of it.
func (s *Store) PutEntry(ctx context.Context, e record.Entry, expect int64) (record.Entry, error) {
	if err := entries.CheckPut(e, expect); err != nil {
		return record.Entry{}, err
	}
	seq, release, err := s.takeChangeSeq(ctx, e.PatientID, time.Now())
	if err != nil {
		return record.Entry{}, translate("put entry: next change", err)
	}
	defer release()
	e.ChangeSeq, e.Revision = seq, expect+1
	r := toEntryRecord(e)
	if expect == 0 {
		if _, err := s.entriesColl().InsertOne(ctx, r); err != nil {
			return record.Entry{}, translate("put entry", err)
		}
		return r.entry(), nil
	}
	res, err := s.entriesColl().ReplaceOne(ctx,
		bson.D{{Key: "_id", Value: e.ID}, {Key: "patient_id", Value: e.PatientID}, {Key: "revision", Value: expect}}, r)
	if err != nil {
		return record.Entry{}, translate("put entry", err)
	}
	if res.MatchedCount == 0 {
		return record.Entry{}, fmt.Errorf("put entry: the stored entry is not at revision %d: %w", expect, fault.ErrConflict)
	}
	return r.entry(), nil // what a read would give: times at the stored precision
}

// EntryForDisclosure implements app.RecordStore.
func (s *Store) EntryForDisclosure(ctx context.Context, patientID, id string) (record.Entry, error) {
	var r entryRecord
	err := s.entriesColl().FindOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}, {Key: "deleted", Value: false}}).Decode(&r)
	if err != nil {
		return record.Entry{}, translate("read entry", err)
	}
	return r.entry(), nil
}

// EntryState implements app.RecordStore.
func (s *Store) EntryState(ctx context.Context, patientID, id string) (record.Entry, error) {
	var r entryRecord
	err := s.entriesColl().FindOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}}).Decode(&r)
	if err != nil {
		return record.Entry{}, translate("read entry state", err)
	}
	return r.entry(), nil
}

package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kith-health/kith/adapters/internal/entries"
	"github.com/kith-health/kith/app"
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

// PutEntries implements app.RecordStore, one conditional write after another
// (MongoDB would need a transaction to make them one).
func (s *Store) PutEntries(ctx context.Context, puts []app.EntryPut) (int, error) {
	for _, p := range puts {
		if err := entries.CheckPut(p.Entry, p.Expect); err != nil {
			return 0, err
		}
	}
	for i, p := range puts {
		if _, err := s.PutEntry(ctx, p.Entry, p.Expect); err != nil {
			return i, err
		}
	}
	return len(puts), nil
}

// EntryStates implements app.RecordStore, in one query.
func (s *Store) EntryStates(ctx context.Context, patientID string, ids []string) (map[string]record.Entry, error) {
	out := make(map[string]record.Entry, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := s.entriesColl().Find(ctx, bson.D{{Key: "patient_id", Value: patientID}, {Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, translate("read entry states", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var r entryRecord
		if err := cur.Decode(&r); err != nil {
			return nil, translate("read entry states", err)
		}
		e := r.entry()
		out[e.ID] = e
	}
	if err := cur.Err(); err != nil {
		return nil, translate("read entry states", err)
	}
	return out, nil
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

package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/app"
)

// summaryDocsCollection is named in migrations/mongo too.
const summaryDocsCollection = "summary_docs"

type summaryDocRecord struct {
	ID        string `bson:"_id"` // patient id and slot
	PatientID string `bson:"patient_id"`
	Slot      string `bson:"slot"`
	Version   string `bson:"version"`
	Epoch     int64  `bson:"epoch"`
	Doc       []byte `bson:"doc"`
}

func summaryDocID(patientID, slot string) string { return patientID + "|" + slot }

func (s *Store) summaryDocsColl() *mongo.Collection { return s.db.Collection(summaryDocsCollection) }

// SummaryDoc implements app.SummaryDocStore.
func (s *Store) SummaryDoc(ctx context.Context, patientID, slot string) (app.SummaryDoc, error) {
	var d summaryDocRecord
	err := s.summaryDocsColl().FindOne(ctx, bson.D{{Key: "_id", Value: summaryDocID(patientID, slot)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return app.SummaryDoc{}, nil
	}
	if err != nil {
		return app.SummaryDoc{}, translate("summary doc", err)
	}
	return app.SummaryDoc{Slot: d.Slot, Version: d.Version, Epoch: d.Epoch, Doc: d.Doc}, nil
}

// KeepSummaryDoc implements app.SummaryDocStore without a transaction: it writes
// the doc, then reads the epoch. An erasure moves the epoch, then deletes the docs;
// so either the erasure's delete comes after this write, or this read comes after
// its move and takes the doc back out.
func (s *Store) KeepSummaryDoc(ctx context.Context, patientID string, d app.SummaryDoc) error {
	id := summaryDocID(patientID, d.Slot)
	rec := summaryDocRecord{ID: id, PatientID: patientID, Slot: d.Slot, Version: d.Version, Epoch: d.Epoch, Doc: d.Doc}
	if _, err := s.summaryDocsColl().ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, rec, options.Replace().SetUpsert(true)); err != nil {
		return translate("keep summary doc", err)
	}
	st, err := s.recordState(ctx, patientID)
	if err == nil && st.Epoch == d.Epoch {
		return nil
	}
	// Even when the caller has gone: the doc must not outlive the erasure.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseWait)
	defer cancel()
	_, derr := s.summaryDocsColl().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "epoch", Value: d.Epoch}})
	return translate("keep summary doc", errors.Join(err, derr))
}

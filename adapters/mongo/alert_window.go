package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// alertWindowsCollection is named in migrations/mongo too.
const alertWindowsCollection = "alert_windows"

// A document of alert_windows is one viewer's coalescing window over one patient's
// record: {_id, patient_id, key, until}. The _id joins patient id and key with a
// NUL, which neither holds, so the unique _id is "one window per patient and viewer"
// and opening one is an upsert by _id. patient_id is kept for sharding and for the
// filter, which names it so a write goes to one shard; key for whoever reads it.

// alertWindowID is the _id of the patient's window for key.
func alertWindowID(patientID, key string) string {
	return patientID + "\x00" + key
}

// alertWindowsColl is the alert_windows collection, read from the primary whatever the
// URI prefers: a window opened a moment ago by another node must be seen, or the
// patient gets a second alert about the same viewer.
func (s *Store) alertWindowsColl() *mongo.Collection {
	return s.db.Collection(alertWindowsCollection, options.Collection().SetReadPreference(readpref.Primary()))
}

// AlertWindowOpen implements app.AlertStore: a window is open while until is after now.
func (s *Store) AlertWindowOpen(ctx context.Context, patientID, key string, now time.Time) (bool, error) {
	err := s.alertWindowsColl().FindOne(ctx, bson.D{
		{Key: "_id", Value: alertWindowID(patientID, key)}, {Key: "patient_id", Value: patientID},
		{Key: "until", Value: bson.D{{Key: "$gt", Value: bson.NewDateTimeFromTime(now)}}},
	}, options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	}
	return false, translate("alert window", err)
}

// OpenAlertWindow implements app.AlertStore in one upsert by _id whose $max keeps the
// later end, so it is idempotent and a late writer with an earlier end cannot shorten
// the window. Two first openings can race to insert; the loser's duplicate key means
// the window exists now, so it tries once more and updates.
func (s *Store) OpenAlertWindow(ctx context.Context, patientID, key string, until time.Time) error {
	filter := bson.D{{Key: "_id", Value: alertWindowID(patientID, key)}, {Key: "patient_id", Value: patientID}}
	update := bson.D{
		{Key: "$max", Value: bson.D{{Key: "until", Value: bson.NewDateTimeFromTime(until)}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "key", Value: key}}},
	}
	opts := options.UpdateOne().SetUpsert(true)
	_, err := s.alertWindowsColl().UpdateOne(ctx, filter, update, opts)
	if mongo.IsDuplicateKeyError(err) {
		_, err = s.alertWindowsColl().UpdateOne(ctx, filter, update, opts)
	}
	return translate("open alert window", err)
}

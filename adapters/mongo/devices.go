package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/fault"
)

// devicesCollection is named in migrations/mongo too.
const devicesCollection = "devices"

// deviceRecord is how a device is stored in the devices collection, sharded on
// patient_id like everything a patient owns. The _id derives from patient and token
// (alert.DeviceID), so registering a token again finds the same document. The token
// is a push credential: it is stored because pushing needs it, and never logged.
type deviceRecord struct {
	ID          string        `bson:"_id"`
	PatientID   string        `bson:"patient_id"`
	Token       string        `bson:"token"`
	Platform    string        `bson:"platform"`
	AppVersion  string        `bson:"app_version,omitempty"`
	Locale      string        `bson:"locale,omitempty"`
	CreatedAt   bson.DateTime `bson:"created_at"`
	RefreshedAt bson.DateTime `bson:"refreshed_at"`
}

func (r deviceRecord) device() alert.Device {
	return alert.Device{
		ID: r.ID, PatientID: r.PatientID, Token: r.Token, Platform: r.Platform,
		AppVersion: r.AppVersion, Locale: r.Locale,
		CreatedAt: r.CreatedAt.Time().UTC(), RefreshedAt: r.RefreshedAt.Time().UTC(),
	}
}

// devicesColl is the devices collection, read from the primary whatever the URI
// prefers: a device just registered should get the next alert, and one just removed
// should not.
func (s *Store) devicesColl() *mongo.Collection {
	return s.db.Collection(devicesCollection, options.Collection().SetReadPreference(readpref.Primary()))
}

// PutDevice implements app.AlertStore in one findOneAndUpdate upsert: $set writes
// what a registration refreshes, $setOnInsert the creation time, so only the first
// registration sets it. The device is new when the stored creation time is the one
// given, as in the SQLite store. Two first registrations can race to insert; the
// loser's duplicate key means the device exists now, so it tries once more and
// refreshes it.
func (s *Store) PutDevice(ctx context.Context, d alert.Device) (alert.Device, bool, error) {
	filter := bson.D{{Key: "_id", Value: d.ID}, {Key: "patient_id", Value: d.PatientID}}
	update := bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "token", Value: d.Token}, {Key: "platform", Value: d.Platform},
			{Key: "app_version", Value: d.AppVersion}, {Key: "locale", Value: d.Locale},
			{Key: "refreshed_at", Value: bson.NewDateTimeFromTime(d.RefreshedAt)},
		}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "created_at", Value: bson.NewDateTimeFromTime(d.CreatedAt)}}},
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var r deviceRecord
	err := s.devicesColl().FindOneAndUpdate(ctx, filter, update, opts).Decode(&r)
	if mongo.IsDuplicateKeyError(err) {
		err = s.devicesColl().FindOneAndUpdate(ctx, filter, update, opts).Decode(&r)
	}
	if err != nil {
		return alert.Device{}, false, translate("put device", err)
	}
	return r.device(), r.CreatedAt == bson.NewDateTimeFromTime(d.CreatedAt), nil
}

// Devices implements app.AlertStore through devices_by_patient, oldest first with
// _id breaking ties. A patient has a few at most.
func (s *Store) Devices(ctx context.Context, patientID string) ([]alert.Device, error) {
	cur, err := s.devicesColl().Find(ctx, bson.D{{Key: "patient_id", Value: patientID}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, translate("list devices", err)
	}
	var records []deviceRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, translate("list devices", err)
	}
	var out []alert.Device
	for _, r := range records {
		out = append(out, r.device())
	}
	return out, nil
}

// DeleteDevice implements app.AlertStore; the filter carries the patient, so another
// patient's device id is not found.
func (s *Store) DeleteDevice(ctx context.Context, patientID, id string) error {
	res, err := s.devicesColl().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}})
	if err != nil {
		return translate("delete device", err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("delete device: %w", fault.ErrNotFound)
	}
	return nil
}

// DeleteStaleDevices implements app.AlertStore through devices_by_refresh. It asks
// every shard; it runs from a periodic job, not a request.
func (s *Store) DeleteStaleDevices(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.devicesColl().DeleteMany(ctx,
		bson.D{{Key: "refreshed_at", Value: bson.D{{Key: "$lt", Value: bson.NewDateTimeFromTime(before)}}}})
	if err != nil {
		return 0, translate("delete stale devices", err)
	}
	return res.DeletedCount, nil
}

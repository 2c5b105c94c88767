package mongo

import (
	"context"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// attemptsCollection is named in migrations/mongo too.
const attemptsCollection = "attempts"

// attemptRecord counts one key's attempts in one window of the attempts collection.
// The _id joins key and window start (Unix milliseconds) with a NUL, which no key
// holds, so the unique _id is "one counter per key and window" and the count is one
// upsert by _id. Key and window are kept too for whoever reads the collection.
//
// ExpiresAt is when the counter may go. On MongoDB a TTL index on it would let the
// server delete old windows, but FerretDB v1, which the tests run on, refuses the
// expireAfterSeconds index option ("not implemented"), so attempts_by_expiry is a
// plain index and CountAttempt sweeps expired counters itself whenever a window
// starts, as the SQLite store does.
type attemptRecord struct {
	ID        string        `bson:"_id"`
	Key       string        `bson:"key"`
	Window    bson.DateTime `bson:"window"`
	Count     int           `bson:"count"`
	ExpiresAt bson.DateTime `bson:"expires_at"`
}

// attemptID is the _id of key's counter for the window starting at window.
func attemptID(key string, window time.Time) string {
	return key + "\x00" + strconv.FormatInt(window.UnixMilli(), 10)
}

// attemptsColl is the attempts collection; handles are cheap to make. Counts come back
// from the write itself, so the read preference does not matter.
func (s *Store) attemptsColl() *mongo.Collection {
	return s.db.Collection(attemptsCollection)
}

// CountAttempt implements app.AttemptStore in one findOneAndUpdate that creates the
// window's counter or adds one to it and returns the new count: each write is atomic
// on its document, so concurrent attempts each see a count of their own. Two first
// attempts can race to insert the counter; the loser's duplicate key means it exists
// now, so it tries once more and updates. The first attempt of a window (count 1)
// then deletes the counters that expired before the window started, through
// attempts_by_expiry; a failed sweep is left to the next window.
func (s *Store) CountAttempt(ctx context.Context, key string, window, keepUntil time.Time) (int, error) {
	id := attemptID(key, window)
	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "count", Value: 1}}},
		{Key: "$setOnInsert", Value: bson.D{
			{Key: "key", Value: key}, {Key: "window", Value: bson.NewDateTimeFromTime(window)},
			{Key: "expires_at", Value: bson.NewDateTimeFromTime(keepUntil)},
		}},
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var r attemptRecord
	err := s.attemptsColl().FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}}, update, opts).Decode(&r)
	if mongo.IsDuplicateKeyError(err) {
		err = s.attemptsColl().FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: id}}, update, opts).Decode(&r)
	}
	if err != nil {
		return 0, translate("count attempt", err)
	}
	if r.Count == 1 {
		_, _ = s.attemptsColl().DeleteMany(ctx,
			bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: bson.NewDateTimeFromTime(window)}}}})
	}
	return r.Count, nil
}

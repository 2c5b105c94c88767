package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// assertionsCollection is named in migrations/mongo too.
const assertionsCollection = "assertions"

// assertionRecord is a used client assertion in the assertions collection. The _id
// joins client id and jti, so the unique _id is the replay check; the parts are kept
// too for whoever reads the collection. The join is unambiguous as long as client ids
// hold no "|" (a jti may): split at the first one.
type assertionRecord struct {
	ID        string        `bson:"_id"`
	ClientID  string        `bson:"client_id"`
	JTI       string        `bson:"jti"`
	ExpiresAt bson.DateTime `bson:"expires_at"`
}

// assertionsColl is the assertions collection; handles are cheap to make.
func (s *Store) assertionsColl() *mongo.Collection {
	return s.db.Collection(assertionsCollection)
}

// UseAssertion implements app.AssertionStore; the _id turns a replay, or the loser of
// two concurrent uses, into ErrConflict.
func (s *Store) UseAssertion(ctx context.Context, clientID, jti string, expiresAt time.Time) error {
	_, err := s.assertionsColl().InsertOne(ctx, assertionRecord{
		ID: clientID + "|" + jti, ClientID: clientID, JTI: jti, ExpiresAt: bson.NewDateTimeFromTime(expiresAt),
	})
	return translate("use assertion", err)
}

// PurgeAssertions implements app.AssertionStore, deleting through assertions_by_expiry.
// Both times are truncated to milliseconds, and floor(exp) < floor(t) implies exp < t,
// so nothing is purged before it expires.
func (s *Store) PurgeAssertions(ctx context.Context, expiredBefore time.Time) (int64, error) {
	res, err := s.assertionsColl().DeleteMany(ctx,
		bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: bson.NewDateTimeFromTime(expiredBefore)}}}})
	if err != nil {
		return 0, translate("purge assertions", err)
	}
	return res.DeletedCount, nil
}

package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/domain/fault"
)

// leasesCollection is named in migrations/mongo too.
const leasesCollection = "leases"

// leasesColl is the leases collection: one document per named lease ever taken and
// not released, {_id: the name, holder, until}.
func (s *Store) leasesColl() *mongo.Collection { return s.db.Collection(leasesCollection) }

// AcquireLease implements app.ExchangeStore in one conditional upsert. The filter
// matches the lease when holder has it or it ran out before now, and then the
// update takes or extends it; when it does not match, the upsert inserts the lease
// under its name, which is a duplicate key if another holds it (ErrConflict) and
// succeeds if it was never taken or was released. Of racing acquisitions of a free
// lease one inserts or matches first; the others then find it held.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) error {
	filter := bson.D{
		{Key: "_id", Value: name},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "holder", Value: holder}},
			bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: bson.NewDateTimeFromTime(now)}}}},
		}},
	}
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "holder", Value: holder}, {Key: "until", Value: bson.NewDateTimeFromTime(until)},
	}}}
	_, err := s.leasesColl().UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("acquire lease: held by another: %w", fault.ErrConflict)
	}
	return translate("acquire lease", err)
}

// ReleaseLease implements app.ExchangeStore: the document goes if holder has it, so
// the next acquisition is an insert. Releasing what is not held changes nothing.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.leasesColl().DeleteOne(ctx, bson.D{{Key: "_id", Value: name}, {Key: "holder", Value: holder}})
	return translate("release lease", err)
}

package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/adapters/internal/guardiandoc"
	"github.com/kith-health/kith/domain/guardianship"
)

// Collection names, named in migrations/mongo too.
const (
	guardianshipsCollection   = "guardianships"
	guardianScreensCollection = "guardian_screens"
)

// guardianshipsColl and screensColl read from the primary whatever the URI prefers:
// a safeguarding restriction must hold from the guardian's very next request, and a
// secondary may not have it yet.
func (s *Store) guardianshipsColl() *mongo.Collection {
	return s.db.Collection(guardianshipsCollection, options.Collection().SetReadPreference(readpref.Primary()))
}

func (s *Store) screensColl() *mongo.Collection {
	return s.db.Collection(guardianScreensCollection, options.Collection().SetReadPreference(readpref.Primary()))
}

// CreateGuardianship implements app.GuardianshipStore in one insert, which _id lets
// only one of racing creations make.
func (s *Store) CreateGuardianship(ctx context.Context, g guardianship.Guardianship) error {
	_, err := s.guardianshipsColl().InsertOne(ctx, guardiandoc.FromGuardianship(g))
	return translate("create guardianship", err)
}

// Guardianship implements app.GuardianshipStore.
func (s *Store) Guardianship(ctx context.Context, childID, id string) (guardianship.Guardianship, error) {
	var d guardiandoc.Guardianship
	err := s.guardianshipsColl().FindOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "child_id", Value: childID}}).Decode(&d)
	if err != nil {
		return guardianship.Guardianship{}, translate("read guardianship", err)
	}
	return d.Guardianship(), nil
}

// GuardianshipsOfChild implements app.GuardianshipStore through guardianships_by_child.
func (s *Store) GuardianshipsOfChild(ctx context.Context, childID string) ([]guardianship.Guardianship, error) {
	return s.guardianships(ctx, "child_id", childID)
}

// GuardianshipsOfGuardian implements app.GuardianshipStore through guardianships_by_guardian.
func (s *Store) GuardianshipsOfGuardian(ctx context.Context, guardianID string) ([]guardianship.Guardianship, error) {
	return s.guardianships(ctx, "guardian_id", guardianID)
}

func (s *Store) guardianships(ctx context.Context, field, id string) ([]guardianship.Guardianship, error) {
	cur, err := s.guardianshipsColl().Find(ctx, bson.D{{Key: field, Value: id}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, translate("list guardianships", err)
	}
	var docs []guardiandoc.Guardianship
	if err := cur.All(ctx, &docs); err != nil {
		return nil, translate("list guardianships", err)
	}
	var out []guardianship.Guardianship
	for _, d := range docs {
		out = append(out, d.Guardianship())
	}
	return out, nil
}

// UpdateGuardianship implements app.GuardianshipStore with compare-and-set on the
// version: the replacement matches only the version this attempt read.
func (s *Store) UpdateGuardianship(ctx context.Context, childID, id string, update func(*guardianship.Guardianship) error) (guardianship.Guardianship, error) {
	read := func() (guardianship.Guardianship, int64, error) {
		g, err := s.Guardianship(ctx, childID, id)
		return g, g.Version, err
	}
	write := func(g *guardianship.Guardianship, seen int64) (bool, error) {
		g.ID, g.ChildID, g.Version = id, childID, seen+1
		doc := guardiandoc.FromGuardianship(*g)
		*g = doc.Guardianship()
		res, err := s.guardianshipsColl().ReplaceOne(ctx,
			bson.D{{Key: "_id", Value: id}, {Key: "child_id", Value: childID}, {Key: "version", Value: seen}}, doc)
		if err != nil {
			return false, translate("update guardianship", err)
		}
		return res.MatchedCount == 1, nil
	}
	return cas.Update(read, update, write)
}

// Screen implements app.GuardianshipStore.
func (s *Store) Screen(ctx context.Context, childID string) (guardianship.Screen, error) {
	var d guardiandoc.Screen
	err := s.screensColl().FindOne(ctx, bson.D{{Key: "_id", Value: childID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return guardianship.Screen{ChildID: childID}, nil
	}
	if err != nil {
		return guardianship.Screen{}, translate("read screen", err)
	}
	return d.Screen(), nil
}

// UpdateScreen implements app.GuardianshipStore: version 0 is a screen never
// stored, which the first write inserts; a racer's duplicate key is a lost round.
func (s *Store) UpdateScreen(ctx context.Context, childID string, update func(*guardianship.Screen) error) (guardianship.Screen, error) {
	read := func() (guardianship.Screen, int64, error) {
		sc, err := s.Screen(ctx, childID)
		return sc, sc.Version, err
	}
	write := func(sc *guardianship.Screen, seen int64) (bool, error) {
		sc.ChildID, sc.Version = childID, seen+1
		doc := guardiandoc.FromScreen(*sc)
		*sc = doc.Screen()
		if seen == 0 {
			_, err := s.screensColl().InsertOne(ctx, doc)
			if mongo.IsDuplicateKeyError(err) {
				return false, nil
			}
			return err == nil, translate("update screen", err)
		}
		res, err := s.screensColl().ReplaceOne(ctx, bson.D{{Key: "_id", Value: childID}, {Key: "version", Value: seen}}, doc)
		if err != nil {
			return false, translate("update screen", err)
		}
		return res.MatchedCount == 1, nil
	}
	return cas.Update(read, update, write)
}

package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/keyring"
)

// keyringCollection holds one document, keyringID.
const (
	keyringCollection = "keyring"
	keyringID         = "kith"
)

// keyringRecord is how the keyring is stored. Private keys are BSON binary, so they
// come back byte for byte.
type keyringRecord struct {
	ID      string      `bson:"_id"`
	Keys    []keyRecord `bson:"keys"`
	Version int64       `bson:"version"`
}

type keyRecord struct {
	ID         string        `bson:"id"`
	PrivateJWK []byte        `bson:"private_jwk"`
	CreatedAt  bson.DateTime `bson:"created_at"`
}

func toKeyringRecord(k keyring.Keyring) keyringRecord {
	r := keyringRecord{ID: keyringID, Keys: make([]keyRecord, len(k.Keys)), Version: k.Version}
	for i, key := range k.Keys {
		r.Keys[i] = keyRecord{ID: key.ID, PrivateJWK: key.PrivateJWK, CreatedAt: bson.NewDateTimeFromTime(key.CreatedAt)}
	}
	return r
}

func (r keyringRecord) keyring() keyring.Keyring {
	k := keyring.Keyring{Version: r.Version}
	for _, key := range r.Keys {
		k.Keys = append(k.Keys, keyring.Key{ID: key.ID, PrivateJWK: key.PrivateJWK, CreatedAt: key.CreatedAt.Time().UTC()})
	}
	return k
}

// keyringColl is the keyring collection; handles are cheap to make.
func (s *Store) keyringColl() *mongo.Collection {
	return s.db.Collection(keyringCollection)
}

// Keyring implements app.KeyringStore.
func (s *Store) Keyring(ctx context.Context) (keyring.Keyring, error) {
	var r keyringRecord
	if err := s.keyringColl().FindOne(ctx, bson.D{{Key: "_id", Value: keyringID}}).Decode(&r); err != nil {
		return keyring.Keyring{}, translate("read keyring", err)
	}
	return r.keyring(), nil
}

// SaveKeyring implements app.KeyringStore in one conditional write: the first save is
// an insert that the fixed _id lets only one node make, later ones a replacement that
// matches only the version the caller read.
func (s *Store) SaveKeyring(ctx context.Context, k keyring.Keyring) (keyring.Keyring, error) {
	seen := k.Version
	k.Version = seen + 1
	record := toKeyringRecord(k)
	if seen == 0 {
		if _, err := s.keyringColl().InsertOne(ctx, record); err != nil {
			return keyring.Keyring{}, translate("save keyring", err)
		}
		return record.keyring(), nil
	}
	res, err := s.keyringColl().ReplaceOne(ctx, bson.D{{Key: "_id", Value: keyringID}, {Key: "version", Value: seen}}, record)
	if err != nil {
		return keyring.Keyring{}, translate("save keyring", err)
	}
	if res.MatchedCount == 0 {
		return keyring.Keyring{}, fmt.Errorf("save keyring: the stored keyring is not at version %d: %w", seen, fault.ErrConflict)
	}
	return record.keyring(), nil // what a read would give: times at the stored precision
}

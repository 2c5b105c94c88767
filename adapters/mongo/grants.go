package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// grantsCollection is named in migrations/mongo too.
const grantsCollection = "grants"

// grantRecord is how a grant or break-glass access is stored in the grants collection,
// sharded on patient_id like everything a patient owns.
//
// RequestKey makes "one grant per Idempotency-Key and patient" a plain unique index,
// grants_by_request_key on (patient_id, request_key). The natural index would be
// partial, over grants that carry a key, but FerretDB v1, which the tests run on,
// refuses partialFilterExpression; and a sparse compound index still holds every
// grant on real MongoDB (patient_id is always there), so two grants without a key
// would collide on a null key. Instead every grant carries a distinct request_key:
// "key:" and the client's key when there is one, "id:" and its own id otherwise, which
// no other grant can share. The create stays one insert that the index lets only one
// retry make.
type grantRecord struct {
	ID               string         `bson:"_id"`
	PatientID        string         `bson:"patient_id"`
	Organisation     string         `bson:"organisation"`
	Basis            string         `bson:"basis"`
	Categories       []string       `bson:"categories"`
	IncludeSensitive bool           `bson:"include_sensitive"`
	Purpose          string         `bson:"purpose"`
	Start            bson.DateTime  `bson:"start"`
	End              bson.DateTime  `bson:"end"`
	Reason           string         `bson:"reason,omitempty"`
	CreatedBy        string         `bson:"created_by"`
	CreatedAt        bson.DateTime  `bson:"created_at"`
	RevokedAt        *bson.DateTime `bson:"revoked_at,omitempty"`
	RevokedBy        string         `bson:"revoked_by,omitempty"`
	IdempotencyKey   string         `bson:"idempotency_key,omitempty"`
	RequestKey       string         `bson:"request_key"`
	Version          int64          `bson:"version"`
}

// requestKey is the grant's request_key for an idempotency key, or for none.
func requestKey(idempotencyKey, id string) string {
	if idempotencyKey == "" {
		return "id:" + id
	}
	return "key:" + idempotencyKey
}

func toGrantRecord(g access.Grant) grantRecord {
	r := grantRecord{
		ID: g.ID, PatientID: g.PatientID, Organisation: g.Organisation, Basis: string(g.Basis),
		IncludeSensitive: g.IncludeSensitive, Purpose: g.Purpose,
		Start: bson.NewDateTimeFromTime(g.Start), End: bson.NewDateTimeFromTime(g.End),
		Reason: g.Reason, CreatedBy: g.CreatedBy, CreatedAt: bson.NewDateTimeFromTime(g.CreatedAt), RevokedBy: g.RevokedBy,
		IdempotencyKey: g.IdempotencyKey, RequestKey: requestKey(g.IdempotencyKey, g.ID), Version: g.Version,
	}
	for _, c := range g.Categories {
		r.Categories = append(r.Categories, string(c))
	}
	if !g.RevokedAt.IsZero() {
		at := bson.NewDateTimeFromTime(g.RevokedAt)
		r.RevokedAt = &at
	}
	return r
}

func (r grantRecord) grant() access.Grant {
	g := access.Grant{
		ID: r.ID, PatientID: r.PatientID, Organisation: r.Organisation, Basis: access.Basis(r.Basis),
		IncludeSensitive: r.IncludeSensitive, Purpose: r.Purpose,
		Start: r.Start.Time().UTC(), End: r.End.Time().UTC(),
		Reason: r.Reason, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.Time().UTC(), RevokedBy: r.RevokedBy,
		IdempotencyKey: r.IdempotencyKey, Version: r.Version,
	}
	for _, c := range r.Categories {
		g.Categories = append(g.Categories, record.Category(c))
	}
	if r.RevokedAt != nil {
		g.RevokedAt = r.RevokedAt.Time().UTC()
	}
	return g
}

// grantsColl is the grants collection; handles are cheap to make. It reads from the
// primary whatever the URI prefers: a revocation must hold from the next read on, and
// a secondary may not have it yet.
func (s *Store) grantsColl() *mongo.Collection {
	return s.db.Collection(grantsCollection, options.Collection().SetReadPreference(readpref.Primary()))
}

// CreateGrant implements app.GrantStore in one insert, which the _id and
// grants_by_request_key let only one of racing creates make. A duplicate key is then
// told apart by looking for the grant stored under the idempotency key: found, it is
// the first of a retried create; not found, the id was taken.
func (s *Store) CreateGrant(ctx context.Context, g access.Grant) (access.Grant, bool, error) {
	r := toGrantRecord(g)
	_, err := s.grantsColl().InsertOne(ctx, r)
	if err == nil {
		return r.grant(), true, nil // what a read would give: times at the stored precision
	}
	if !mongo.IsDuplicateKeyError(err) || g.IdempotencyKey == "" {
		return access.Grant{}, false, translate("create grant", err)
	}
	var prior grantRecord
	err = s.grantsColl().FindOne(ctx, bson.D{
		{Key: "patient_id", Value: g.PatientID}, {Key: "request_key", Value: r.RequestKey},
	}).Decode(&prior)
	switch {
	case err == nil:
		return prior.grant(), false, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return access.Grant{}, false, fmt.Errorf("create grant: id taken: %w", fault.ErrConflict)
	}
	return access.Grant{}, false, translate("create grant: find by idempotency key", err)
}

// Grant implements app.GrantStore.
func (s *Store) Grant(ctx context.Context, patientID, id string) (access.Grant, error) {
	var r grantRecord
	err := s.grantsColl().FindOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}}).Decode(&r)
	if err != nil {
		return access.Grant{}, translate("read grant", err)
	}
	return r.grant(), nil
}

// Grants implements app.GrantStore through grants_by_patient, newest first with _id
// breaking ties. A patient has few enough to read in one go.
func (s *Store) Grants(ctx context.Context, patientID string) ([]access.Grant, error) {
	cur, err := s.grantsColl().Find(ctx, bson.D{{Key: "patient_id", Value: patientID}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}))
	if err != nil {
		return nil, translate("list grants", err)
	}
	var records []grantRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, translate("list grants", err)
	}
	var out []access.Grant
	for _, r := range records {
		out = append(out, r.grant())
	}
	return out, nil
}

// UpdateGrant implements app.GrantStore with compare-and-set on the version: the
// replacement matches only the version this attempt read. Grants reads from the
// primary (see grantsColl), so the next call sees the change.
func (s *Store) UpdateGrant(ctx context.Context, patientID, id string, update func(*access.Grant) error) (access.Grant, error) {
	read := func() (access.Grant, int64, error) {
		g, err := s.Grant(ctx, patientID, id)
		return g, g.Version, err
	}
	write := func(g *access.Grant, seen int64) (bool, error) {
		g.ID, g.PatientID, g.Version = id, patientID, seen+1
		record := toGrantRecord(*g)
		*g = record.grant() // hand back what a read would: times at the stored precision
		res, err := s.grantsColl().ReplaceOne(ctx,
			bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}, {Key: "version", Value: seen}}, record)
		if err != nil {
			return false, translate("update grant", err)
		}
		return res.MatchedCount == 1, nil
	}
	return cas.Update(read, update, write)
}

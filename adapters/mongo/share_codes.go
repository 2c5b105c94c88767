package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/record"
	"github.com/kith-health/kith/domain/sharecode"
)

// shareCodesCollection is named in migrations/mongo too.
const shareCodesCollection = "share_codes"

// shareCodeRecord is how a code is stored in the share_codes collection: its keyed
// hash, never the code. Redemption finds a code by the hash alone, so the collection
// is not sharded on patient_id (see migrations/mongo/0005_share_codes.json).
//
// Remaining is MaxViews - Views, written with them on every change. UseShareCode's
// rule "views < max_views" compares two fields, which needs $expr with $lt, and
// FerretDB v1, which the tests run on, implements only $sum and $type inside $expr.
// With remaining the rule is a plain filter, "remaining above 0", on any server. It
// means something only for limited codes (for unlimited ones, MaxViews 0, it runs
// negative and is never consulted), hence "max_views 0 or remaining above 0".
type shareCodeRecord struct {
	ID               string         `bson:"_id"`
	PatientID        string         `bson:"patient_id"`
	Hash             string         `bson:"code_hash"`
	Label            string         `bson:"label"`
	Categories       []string       `bson:"categories"`
	IncludeSensitive bool           `bson:"include_sensitive"`
	MaxViews         int            `bson:"max_views"`
	Views            int            `bson:"views"`
	Remaining        int            `bson:"remaining"`
	Organisation     string         `bson:"organisation,omitempty"`
	RequireBirthDate bool           `bson:"require_birth_date"`
	IssuedBy         string         `bson:"issued_by,omitempty"`
	CreatedAt        bson.DateTime  `bson:"created_at"`
	ExpiresAt        bson.DateTime  `bson:"expires_at"`
	RevokedAt        *bson.DateTime `bson:"revoked_at,omitempty"`
	Version          int64          `bson:"version"`
}

func toShareCodeRecord(c sharecode.ShareCode) shareCodeRecord {
	r := shareCodeRecord{
		ID: c.ID, PatientID: c.PatientID, Hash: c.Hash, Label: c.Label, IncludeSensitive: c.IncludeSensitive,
		MaxViews: c.MaxViews, Views: c.Views, Remaining: c.MaxViews - c.Views,
		Organisation: c.Organisation, RequireBirthDate: c.RequireBirthDate, IssuedBy: c.IssuedBy,
		CreatedAt: bson.NewDateTimeFromTime(c.CreatedAt), ExpiresAt: bson.NewDateTimeFromTime(c.ExpiresAt),
		Version: c.Version,
	}
	for _, cat := range c.Categories {
		r.Categories = append(r.Categories, string(cat))
	}
	if !c.RevokedAt.IsZero() {
		at := bson.NewDateTimeFromTime(c.RevokedAt)
		r.RevokedAt = &at
	}
	return r
}

func (r shareCodeRecord) shareCode() sharecode.ShareCode {
	c := sharecode.ShareCode{
		ID: r.ID, PatientID: r.PatientID, Hash: r.Hash, Label: r.Label, IncludeSensitive: r.IncludeSensitive,
		MaxViews: r.MaxViews, Views: r.Views, Organisation: r.Organisation, RequireBirthDate: r.RequireBirthDate, IssuedBy: r.IssuedBy,
		CreatedAt: r.CreatedAt.Time().UTC(), ExpiresAt: r.ExpiresAt.Time().UTC(), Version: r.Version,
	}
	for _, cat := range r.Categories {
		c.Categories = append(c.Categories, record.Category(cat))
	}
	if r.RevokedAt != nil {
		c.RevokedAt = r.RevokedAt.Time().UTC()
	}
	return c
}

// shareCodesColl is the share_codes collection, read from the primary whatever the URI
// prefers: a revocation or a used-up code must hold from the next read on, and a
// secondary may not have it yet.
func (s *Store) shareCodesColl() *mongo.Collection {
	return s.db.Collection(shareCodesCollection, options.Collection().SetReadPreference(readpref.Primary()))
}

// CreateShareCode implements app.ShareCodeStore in one insert; the _id and
// share_codes_by_hash turn a taken id or hash into ErrConflict.
func (s *Store) CreateShareCode(ctx context.Context, c sharecode.ShareCode) error {
	_, err := s.shareCodesColl().InsertOne(ctx, toShareCodeRecord(c))
	return translate("create share code", err)
}

// ShareCode implements app.ShareCodeStore; the filter carries the patient, so another
// patient's code id is not found.
func (s *Store) ShareCode(ctx context.Context, patientID, id string) (sharecode.ShareCode, error) {
	var r shareCodeRecord
	err := s.shareCodesColl().FindOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}}).Decode(&r)
	if err != nil {
		return sharecode.ShareCode{}, translate("read share code", err)
	}
	return r.shareCode(), nil
}

// ShareCodes implements app.ShareCodeStore through share_codes_by_patient, newest
// first with _id breaking ties. A patient has few enough to read in one go.
func (s *Store) ShareCodes(ctx context.Context, patientID string) ([]sharecode.ShareCode, error) {
	cur, err := s.shareCodesColl().Find(ctx, bson.D{{Key: "patient_id", Value: patientID}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}))
	if err != nil {
		return nil, translate("list share codes", err)
	}
	var records []shareCodeRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, translate("list share codes", err)
	}
	var out []sharecode.ShareCode
	for _, r := range records {
		out = append(out, r.shareCode())
	}
	return out, nil
}

// ShareCodeByHash implements app.ShareCodeStore through share_codes_by_hash.
func (s *Store) ShareCodeByHash(ctx context.Context, hash string) (sharecode.ShareCode, error) {
	var r shareCodeRecord
	if err := s.shareCodesColl().FindOne(ctx, bson.D{{Key: "code_hash", Value: hash}}).Decode(&r); err != nil {
		return sharecode.ShareCode{}, translate("find share code", err)
	}
	return r.shareCode(), nil
}

// UseShareCode implements app.ShareCodeStore in one findOneAndUpdate whose filter is
// the rule: this hash, not revoked, not expired at now, and a view left (unlimited, or
// remaining above 0). MongoDB applies filter and update atomically per document, so
// of racing redeemers of the last view only one matches. The update moves views,
// remaining and version together: a concurrent UpdateShareCode then fails its
// compare-and-set and re-reads, so it cannot write back the count from before.
// No match, for whatever reason, is ErrNotFound.
func (s *Store) UseShareCode(ctx context.Context, hash string, now time.Time) (sharecode.ShareCode, error) {
	filter := bson.D{
		{Key: "code_hash", Value: hash},
		{Key: "revoked_at", Value: bson.D{{Key: "$exists", Value: false}}},
		{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: bson.NewDateTimeFromTime(now)}}},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "max_views", Value: 0}},
			bson.D{{Key: "remaining", Value: bson.D{{Key: "$gt", Value: 0}}}},
		}},
	}
	update := bson.D{{Key: "$inc", Value: bson.D{
		{Key: "views", Value: 1}, {Key: "remaining", Value: -1}, {Key: "version", Value: int64(1)},
	}}}
	var r shareCodeRecord
	err := s.shareCodesColl().FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&r)
	if err != nil {
		return sharecode.ShareCode{}, translate("use share code", err)
	}
	return r.shareCode(), nil
}

// UpdateShareCode implements app.ShareCodeStore with compare-and-set on the version:
// the replacement matches only the version this attempt read. Reads go to the primary
// (see shareCodesColl), so the next one sees the change.
func (s *Store) UpdateShareCode(ctx context.Context, patientID, id string, update func(*sharecode.ShareCode) error) (sharecode.ShareCode, error) {
	read := func() (sharecode.ShareCode, int64, error) {
		c, err := s.ShareCode(ctx, patientID, id)
		return c, c.Version, err
	}
	write := func(c *sharecode.ShareCode, seen int64) (bool, error) {
		c.ID, c.PatientID, c.Version = id, patientID, seen+1
		record := toShareCodeRecord(*c)
		*c = record.shareCode() // hand back what a read would: times at the stored precision
		res, err := s.shareCodesColl().ReplaceOne(ctx,
			bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}, {Key: "version", Value: seen}}, record)
		if err != nil {
			return false, translate("update share code", err)
		}
		return res.MatchedCount == 1, nil
	}
	return cas.Update(read, update, write)
}

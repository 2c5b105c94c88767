package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/sharecode"
)

// viewerSessionsCollection is named in migrations/mongo too.
const viewerSessionsCollection = "viewer_sessions"

// sessionRecord is how a viewer session is stored in the viewer_sessions collection
// (_id: session id). A viewer presents only its bearer token, so sessions are found by
// the token's hash alone, through the unique viewer_sessions_by_token.
type sessionRecord struct {
	ID           string         `bson:"_id"`
	TokenHash    string         `bson:"token_hash"`
	CodeID       string         `bson:"code_id"`
	PatientID    string         `bson:"patient_id"`
	ViewerName   string         `bson:"viewer_name"`
	ViewerRole   string         `bson:"viewer_role"`
	Organisation string         `bson:"organisation,omitempty"`
	Label        string         `bson:"label,omitempty"`
	CreatedAt    bson.DateTime  `bson:"created_at"`
	ExpiresAt    bson.DateTime  `bson:"expires_at"`
	EndedAt      *bson.DateTime `bson:"ended_at,omitempty"`
}

func toSessionRecord(v sharecode.Session) sessionRecord {
	r := sessionRecord{
		ID: v.ID, TokenHash: v.TokenHash, CodeID: v.CodeID, PatientID: v.PatientID,
		ViewerName: v.ViewerName, ViewerRole: v.ViewerRole, Organisation: v.Organisation, Label: v.Label,
		CreatedAt: bson.NewDateTimeFromTime(v.CreatedAt), ExpiresAt: bson.NewDateTimeFromTime(v.ExpiresAt),
	}
	if !v.EndedAt.IsZero() {
		at := bson.NewDateTimeFromTime(v.EndedAt)
		r.EndedAt = &at
	}
	return r
}

func (r sessionRecord) session() sharecode.Session {
	v := sharecode.Session{
		ID: r.ID, TokenHash: r.TokenHash, CodeID: r.CodeID, PatientID: r.PatientID,
		ViewerName: r.ViewerName, ViewerRole: r.ViewerRole, Organisation: r.Organisation, Label: r.Label,
		CreatedAt: r.CreatedAt.Time().UTC(), ExpiresAt: r.ExpiresAt.Time().UTC(),
	}
	if r.EndedAt != nil {
		v.EndedAt = r.EndedAt.Time().UTC()
	}
	return v
}

// viewerSessionsColl is the viewer_sessions collection, read from the primary: a
// session the viewer ended must not read again on the next request.
func (s *Store) viewerSessionsColl() *mongo.Collection {
	return s.db.Collection(viewerSessionsCollection, options.Collection().SetReadPreference(readpref.Primary()))
}

// CreateViewerSession implements app.ShareCodeStore in one insert; the _id and
// viewer_sessions_by_token turn a taken id or token hash into ErrConflict.
func (s *Store) CreateViewerSession(ctx context.Context, v sharecode.Session) error {
	_, err := s.viewerSessionsColl().InsertOne(ctx, toSessionRecord(v))
	return translate("create viewer session", err)
}

// ViewerSession implements app.ShareCodeStore through viewer_sessions_by_token.
func (s *Store) ViewerSession(ctx context.Context, tokenHash string) (sharecode.Session, error) {
	var r sessionRecord
	if err := s.viewerSessionsColl().FindOne(ctx, bson.D{{Key: "token_hash", Value: tokenHash}}).Decode(&r); err != nil {
		return sharecode.Session{}, translate("read viewer session", err)
	}
	return r.session(), nil
}

// EndViewerSession implements app.ShareCodeStore in one conditional update: the
// filter matches only a session not ended yet, so the first end stays and a repeat
// writes nothing. When nothing matched, a look for the session tells an ended one
// (done) from none at all (ErrNotFound).
func (s *Store) EndViewerSession(ctx context.Context, tokenHash string, now time.Time) error {
	res, err := s.viewerSessionsColl().UpdateOne(ctx,
		bson.D{{Key: "token_hash", Value: tokenHash}, {Key: "ended_at", Value: bson.D{{Key: "$exists", Value: false}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "ended_at", Value: bson.NewDateTimeFromTime(now)}}}})
	if err != nil {
		return translate("end viewer session", err)
	}
	if res.MatchedCount == 1 {
		return nil
	}
	n, err := s.viewerSessionsColl().CountDocuments(ctx, bson.D{{Key: "token_hash", Value: tokenHash}}, options.Count().SetLimit(1))
	if err != nil {
		return translate("end viewer session", err)
	}
	if n == 0 {
		return fmt.Errorf("end viewer session: %w", fault.ErrNotFound)
	}
	return nil
}

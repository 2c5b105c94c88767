package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/organisation"
)

// organisationsCollection is named in migrations/mongo too.
const organisationsCollection = "organisations"

// organisationRecord is how an organisation is stored in the organisations collection.
// The _id is the ODS code, so registering a code twice is a duplicate key. JWKS is
// BSON binary, which comes back byte for byte whatever the key set's spacing or
// encoding.
type organisationRecord struct {
	ODSCode   string        `bson:"_id"`
	Name      string        `bson:"name"`
	Status    string        `bson:"status"`
	JWKSURL   string        `bson:"jwks_url,omitempty"`
	JWKS      []byte        `bson:"jwks,omitempty"`
	CreatedAt bson.DateTime `bson:"created_at"`
	UpdatedAt bson.DateTime `bson:"updated_at"`
	Version   int64         `bson:"version"`
}

func toOrganisationRecord(o organisation.Organisation) organisationRecord {
	return organisationRecord{
		ODSCode: o.ODSCode, Name: o.Name, Status: string(o.Status), JWKSURL: o.JWKSURL, JWKS: o.JWKS,
		CreatedAt: bson.NewDateTimeFromTime(o.CreatedAt), UpdatedAt: bson.NewDateTimeFromTime(o.UpdatedAt),
		Version: o.Version,
	}
}

func (r organisationRecord) organisation() organisation.Organisation {
	o := organisation.Organisation{
		ODSCode: r.ODSCode, Name: r.Name, Status: organisation.Status(r.Status), JWKSURL: r.JWKSURL,
		CreatedAt: r.CreatedAt.Time().UTC(), UpdatedAt: r.UpdatedAt.Time().UTC(),
		Version: r.Version,
	}
	if len(r.JWKS) > 0 {
		o.JWKS = r.JWKS
	}
	return o
}

// organisationsColl is the organisations collection; handles are cheap to make.
func (s *Store) organisationsColl() *mongo.Collection {
	return s.db.Collection(organisationsCollection)
}

// CreateOrganisation implements app.OrganisationStore.
func (s *Store) CreateOrganisation(ctx context.Context, o organisation.Organisation) error {
	_, err := s.organisationsColl().InsertOne(ctx, toOrganisationRecord(o))
	return translate("create organisation", err)
}

// Organisation implements app.OrganisationStore.
func (s *Store) Organisation(ctx context.Context, odsCode string) (organisation.Organisation, error) {
	var r organisationRecord
	if err := s.organisationsColl().FindOne(ctx, bson.D{{Key: "_id", Value: odsCode}}).Decode(&r); err != nil {
		return organisation.Organisation{}, translate("read organisation", err)
	}
	return r.organisation(), nil
}

// Organisations implements app.OrganisationStore, sorted on _id, which every
// collection indexes. There are few enough to read in one go.
func (s *Store) Organisations(ctx context.Context) ([]organisation.Organisation, error) {
	cur, err := s.organisationsColl().Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, translate("list organisations", err)
	}
	var records []organisationRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, translate("list organisations", err)
	}
	var out []organisation.Organisation
	for _, r := range records {
		out = append(out, r.organisation())
	}
	return out, nil
}

// UpdateOrganisation implements app.OrganisationStore with compare-and-set on the
// version: the replacement matches only the version this attempt read.
func (s *Store) UpdateOrganisation(ctx context.Context, odsCode string, update func(*organisation.Organisation) error) (organisation.Organisation, error) {
	read := func() (organisation.Organisation, int64, error) {
		o, err := s.Organisation(ctx, odsCode)
		return o, o.Version, err
	}
	write := func(o *organisation.Organisation, seen int64) (bool, error) {
		o.ODSCode, o.Version = odsCode, seen+1
		record := toOrganisationRecord(*o)
		*o = record.organisation() // hand back what a read would: times at the stored precision
		res, err := s.organisationsColl().ReplaceOne(ctx,
			bson.D{{Key: "_id", Value: odsCode}, {Key: "version", Value: seen}}, record)
		if err != nil {
			return false, translate("update organisation", err)
		}
		return res.MatchedCount == 1, nil
	}
	return cas.Update(read, update, write)
}

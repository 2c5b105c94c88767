package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/exchange"
)

// exchangesCollection is named in migrations/mongo too.
const exchangesCollection = "exchanges"

// exchangeRecord is how an exchange is stored in the exchanges collection. The _id
// is the exchange's id, so registering one twice is a duplicate key. There are tens
// at most, so the collection is not sharded.
type exchangeRecord struct {
	ID            string               `bson:"_id"`
	Name          string               `bson:"name"`
	BaseURL       string               `bson:"base_url"`
	Client        exchangeClientRecord `bson:"client"`
	PageSize      int                  `bson:"page_size"`
	RatePerSecond int                  `bson:"rate_per_second"`
	Concurrency   int                  `bson:"concurrency"`
	Types         []typeSupportRecord  `bson:"types"`
	Everything    bool                 `bson:"everything"`
	Status        string               `bson:"status"`
	CreatedAt     bson.DateTime        `bson:"created_at"`
	UpdatedAt     bson.DateTime        `bson:"updated_at"`
	Version       int64                `bson:"version"`
}

// exchangeClientRecord is Kith's SMART client at the exchange. KeyFile is a path,
// never the key.
type exchangeClientRecord struct {
	ID       string   `bson:"id"`
	TokenURL string   `bson:"token_url"`
	Scopes   []string `bson:"scopes"`
	KeyFile  string   `bson:"key_file"`
}

// typeSupportRecord is what the exchange supports for one resource type.
type typeSupportRecord struct {
	ResourceType string `bson:"resource_type"`
	LastUpdated  bool   `bson:"last_updated"`
	PatientParam string `bson:"patient_param"`
	MaxCount     int    `bson:"max_count"`
	History      bool   `bson:"history"`
}

func toExchangeRecord(x exchange.Exchange) exchangeRecord {
	r := exchangeRecord{
		ID: x.ID, Name: x.Name, BaseURL: x.BaseURL,
		Client: exchangeClientRecord{ID: x.Client.ID, TokenURL: x.Client.TokenURL,
			Scopes: append([]string{}, x.Client.Scopes...), KeyFile: x.Client.KeyFile},
		PageSize: x.PageSize, RatePerSecond: x.RatePerSecond, Concurrency: x.Concurrency,
		Types: []typeSupportRecord{}, Everything: x.Everything, Status: string(x.Status),
		CreatedAt: bson.NewDateTimeFromTime(x.CreatedAt), UpdatedAt: bson.NewDateTimeFromTime(x.UpdatedAt),
		Version: x.Version,
	}
	for _, t := range x.Types {
		r.Types = append(r.Types, typeSupportRecord{ResourceType: t.ResourceType, LastUpdated: t.LastUpdated,
			PatientParam: t.PatientParam, MaxCount: t.MaxCount, History: t.History})
	}
	return r
}

func (r exchangeRecord) exchange() exchange.Exchange {
	x := exchange.Exchange{
		ID: r.ID, Name: r.Name, BaseURL: r.BaseURL,
		Client:   exchange.Client{ID: r.Client.ID, TokenURL: r.Client.TokenURL, KeyFile: r.Client.KeyFile},
		PageSize: r.PageSize, RatePerSecond: r.RatePerSecond, Concurrency: r.Concurrency,
		Everything: r.Everything, Status: exchange.Status(r.Status),
		CreatedAt: r.CreatedAt.Time().UTC(), UpdatedAt: r.UpdatedAt.Time().UTC(), Version: r.Version,
	}
	if len(r.Client.Scopes) > 0 {
		x.Client.Scopes = r.Client.Scopes
	}
	for _, t := range r.Types {
		x.Types = append(x.Types, exchange.TypeSupport{ResourceType: t.ResourceType, LastUpdated: t.LastUpdated,
			PatientParam: t.PatientParam, MaxCount: t.MaxCount, History: t.History})
	}
	return x
}

// exchangesColl is the exchanges collection, read from the primary whatever the URI
// prefers: an exchange an operator just suspended must not be pulled from.
func (s *Store) exchangesColl() *mongo.Collection {
	return s.db.Collection(exchangesCollection, options.Collection().SetReadPreference(readpref.Primary()))
}

// CreateExchange implements app.ExchangeStore.
func (s *Store) CreateExchange(ctx context.Context, x exchange.Exchange) error {
	_, err := s.exchangesColl().InsertOne(ctx, toExchangeRecord(x))
	return translate("create exchange", err)
}

// Exchange implements app.ExchangeStore.
func (s *Store) Exchange(ctx context.Context, id string) (exchange.Exchange, error) {
	var r exchangeRecord
	if err := s.exchangesColl().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&r); err != nil {
		return exchange.Exchange{}, translate("read exchange", err)
	}
	return r.exchange(), nil
}

// Exchanges implements app.ExchangeStore, sorted on _id. There are few enough to
// read in one go.
func (s *Store) Exchanges(ctx context.Context) ([]exchange.Exchange, error) {
	cur, err := s.exchangesColl().Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, translate("list exchanges", err)
	}
	var records []exchangeRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, translate("list exchanges", err)
	}
	var out []exchange.Exchange
	for _, r := range records {
		out = append(out, r.exchange())
	}
	return out, nil
}

// UpdateExchange implements app.ExchangeStore with compare-and-set on the version:
// the replacement matches only the version this attempt read.
func (s *Store) UpdateExchange(ctx context.Context, id string, update func(*exchange.Exchange) error) (exchange.Exchange, error) {
	read := func() (exchange.Exchange, int64, error) {
		x, err := s.Exchange(ctx, id)
		return x, x.Version, err
	}
	write := func(x *exchange.Exchange, seen int64) (bool, error) {
		x.ID, x.Version = id, seen+1
		record := toExchangeRecord(*x)
		*x = record.exchange() // hand back what a read would: times at the stored precision
		res, err := s.exchangesColl().ReplaceOne(ctx,
			bson.D{{Key: "_id", Value: id}, {Key: "version", Value: seen}}, record)
		if err != nil {
			return false, translate("update exchange", err)
		}
		return res.MatchedCount == 1, nil
	}
	return cas.Update(read, update, write)
}

// optionalTime is t for a field left out when t is zero.
func optionalTime(t time.Time) *bson.DateTime {
	if t.IsZero() {
		return nil
	}
	d := bson.NewDateTimeFromTime(t)
	return &d
}

// fromOptionalTime reads a field optionalTime wrote: absent is the zero time.
func fromOptionalTime(d *bson.DateTime) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time().UTC()
}

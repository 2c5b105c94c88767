package mongo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/exchange"
	"github.com/kith-health/kith/domain/fault"
)

// exchangeLinksCollection is named in migrations/mongo too.
const exchangeLinksCollection = "exchange_links"

// linkRecord is how a link is stored in the exchange_links collection, sharded on
// patient_id like everything a patient owns. exchange_links_by_exchange, unique on
// (patient_id, exchange_id), makes "one link per patient and exchange" a duplicate
// key. Times that may be zero are left out when they are; lease_holder is "" when no
// node holds the link.
type linkRecord struct {
	ID              string         `bson:"_id"`
	PatientID       string         `bson:"patient_id"`
	ExchangeID      string         `bson:"exchange_id"`
	Status          string         `bson:"status"`
	SourcePatient   string         `bson:"source_patient"`
	Cursors         []cursorRecord `bson:"cursors"`
	LastAttemptAt   *bson.DateTime `bson:"last_attempt_at,omitempty"`
	LastSuccessAt   *bson.DateTime `bson:"last_success_at,omitempty"`
	LastError       string         `bson:"last_error"`
	LastErrorReason string         `bson:"last_error_reason"`
	Failures        int            `bson:"failures"`
	NextDueAt       bson.DateTime  `bson:"next_due_at"`
	Pulled          int            `bson:"pulled"`
	SyncRequestedAt *bson.DateTime `bson:"sync_requested_at,omitempty"`
	AlertNewResults bool           `bson:"alert_new_results"`
	LeaseHolder     string         `bson:"lease_holder"`
	LeaseUntil      *bson.DateTime `bson:"lease_until,omitempty"`
	CreatedAt       bson.DateTime  `bson:"created_at"`
	UpdatedAt       bson.DateTime  `bson:"updated_at"`
	Version         int64          `bson:"version"`
}

// cursorRecord is how far one resource type's pull has got.
type cursorRecord struct {
	ResourceType   string         `bson:"resource_type"`
	Since          *bson.DateTime `bson:"since,omitempty"`
	Next           string         `bson:"next,omitempty"`
	SweepStartedAt *bson.DateTime `bson:"sweep_started_at,omitempty"`
}

func toLinkRecord(l exchange.Link) linkRecord {
	r := linkRecord{
		ID: l.ID, PatientID: l.PatientID, ExchangeID: l.ExchangeID, Status: string(l.Status),
		SourcePatient: l.SourcePatient, Cursors: []cursorRecord{},
		LastAttemptAt: optionalTime(l.LastAttemptAt), LastSuccessAt: optionalTime(l.LastSuccessAt),
		LastError: l.LastError, LastErrorReason: l.LastErrorReason, Failures: l.Failures,
		NextDueAt: bson.NewDateTimeFromTime(l.NextDueAt), Pulled: l.Pulled,
		SyncRequestedAt: optionalTime(l.SyncRequestedAt), AlertNewResults: l.AlertNewResults,
		LeaseHolder: l.LeaseHolder, LeaseUntil: optionalTime(l.LeaseUntil),
		CreatedAt: bson.NewDateTimeFromTime(l.CreatedAt), UpdatedAt: bson.NewDateTimeFromTime(l.UpdatedAt),
		Version: l.Version,
	}
	for _, c := range l.Cursors {
		r.Cursors = append(r.Cursors, cursorRecord{ResourceType: c.ResourceType, Since: optionalTime(c.Since),
			Next: c.Next, SweepStartedAt: optionalTime(c.SweepStartedAt)})
	}
	return r
}

func (r linkRecord) link() exchange.Link {
	l := exchange.Link{
		ID: r.ID, PatientID: r.PatientID, ExchangeID: r.ExchangeID, Status: exchange.LinkStatus(r.Status),
		SourcePatient: r.SourcePatient,
		LastAttemptAt: fromOptionalTime(r.LastAttemptAt), LastSuccessAt: fromOptionalTime(r.LastSuccessAt),
		LastError: r.LastError, LastErrorReason: r.LastErrorReason, Failures: r.Failures,
		NextDueAt: r.NextDueAt.Time().UTC(), Pulled: r.Pulled,
		SyncRequestedAt: fromOptionalTime(r.SyncRequestedAt), AlertNewResults: r.AlertNewResults,
		LeaseHolder: r.LeaseHolder, LeaseUntil: fromOptionalTime(r.LeaseUntil),
		CreatedAt: r.CreatedAt.Time().UTC(), UpdatedAt: r.UpdatedAt.Time().UTC(), Version: r.Version,
	}
	for _, c := range r.Cursors {
		l.Cursors = append(l.Cursors, exchange.Cursor{ResourceType: c.ResourceType, Since: fromOptionalTime(c.Since),
			Next: c.Next, SweepStartedAt: fromOptionalTime(c.SweepStartedAt)})
	}
	return l
}

// exchangeLinksColl is the exchange_links collection, read from the primary whatever
// the URI prefers: nodes pick links to pull by their lease, and a secondary may still
// show a link free after another node claimed it.
func (s *Store) exchangeLinksColl() *mongo.Collection {
	return s.db.Collection(exchangeLinksCollection, options.Collection().SetReadPreference(readpref.Primary()))
}

// CreateLink implements app.ExchangeStore in one insert, which the _id and
// exchange_links_by_exchange let only one of racing creations make. A duplicate key
// is then told apart by looking for the patient's link to the exchange: found, it is
// the first of a retried link; not found, the id was taken.
func (s *Store) CreateLink(ctx context.Context, l exchange.Link) (exchange.Link, bool, error) {
	r := toLinkRecord(l)
	_, err := s.exchangeLinksColl().InsertOne(ctx, r)
	if err == nil {
		return r.link(), true, nil // what a read would give: times at the stored precision
	}
	if !mongo.IsDuplicateKeyError(err) {
		return exchange.Link{}, false, translate("create link", err)
	}
	var prior linkRecord
	err = s.exchangeLinksColl().FindOne(ctx, bson.D{
		{Key: "patient_id", Value: l.PatientID}, {Key: "exchange_id", Value: l.ExchangeID},
	}).Decode(&prior)
	switch {
	case err == nil:
		return prior.link(), false, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return exchange.Link{}, false, fmt.Errorf("create link: id taken: %w", fault.ErrConflict)
	}
	return exchange.Link{}, false, translate("create link: find the patient's link", err)
}

// Link implements app.ExchangeStore.
func (s *Store) Link(ctx context.Context, patientID, id string) (exchange.Link, error) {
	var r linkRecord
	err := s.exchangeLinksColl().FindOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}}).Decode(&r)
	if err != nil {
		return exchange.Link{}, translate("read link", err)
	}
	return r.link(), nil
}

// Links implements app.ExchangeStore through exchange_links_by_patient, oldest first
// with _id breaking ties. A patient has a few at most.
func (s *Store) Links(ctx context.Context, patientID string) ([]exchange.Link, error) {
	cur, err := s.exchangeLinksColl().Find(ctx, bson.D{{Key: "patient_id", Value: patientID}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, translate("list links", err)
	}
	var records []linkRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, translate("list links", err)
	}
	var out []exchange.Link
	for _, r := range records {
		out = append(out, r.link())
	}
	return out, nil
}

// UpdateLink implements app.ExchangeStore with compare-and-set on the version: the
// replacement matches only the version this attempt read. The link stays the
// patient's and the exchange's: update cannot move it.
func (s *Store) UpdateLink(ctx context.Context, patientID, id string, update func(*exchange.Link) error) (exchange.Link, error) {
	var exchangeID string
	read := func() (exchange.Link, int64, error) {
		l, err := s.Link(ctx, patientID, id)
		exchangeID = l.ExchangeID
		return l, l.Version, err
	}
	write := func(l *exchange.Link, seen int64) (bool, error) {
		l.ID, l.PatientID, l.ExchangeID, l.Version = id, patientID, exchangeID, seen+1
		record := toLinkRecord(*l)
		*l = record.link() // hand back what a read would: times at the stored precision
		res, err := s.exchangeLinksColl().ReplaceOne(ctx,
			bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}, {Key: "version", Value: seen}}, record)
		if err != nil {
			return false, translate("update link", err)
		}
		return res.MatchedCount == 1, nil
	}
	return cas.Update(read, update, write)
}

// DeleteLink implements app.ExchangeStore.
func (s *Store) DeleteLink(ctx context.Context, patientID, id string) error {
	res, err := s.exchangeLinksColl().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}})
	if err != nil {
		return translate("delete link", err)
	}
	if res.DeletedCount == 0 {
		return fmt.Errorf("delete link: %w", fault.ErrNotFound)
	}
	return nil
}

// linkClaimable is the rule for a link a node may claim at now: due, and not held
// (no holder, no lease time, or a lease that ran out before now). ClaimLinks both
// searches by it and repeats it in each claim's filter, so a claim matches only while
// the rule still holds.
func linkClaimable(now time.Time) bson.D {
	at := bson.NewDateTimeFromTime(now)
	return bson.D{
		{Key: "next_due_at", Value: bson.D{{Key: "$lte", Value: at}}},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "lease_holder", Value: ""}},
			bson.D{{Key: "lease_until", Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: "lease_until", Value: bson.D{{Key: "$lt", Value: at}}}},
		}},
	}
}

// linkCandidate is what a claim needs of a link found claimable: its _id and its
// shard key.
type linkCandidate struct {
	ID        string `bson:"_id"`
	PatientID string `bson:"patient_id"`
}

// ClaimLinks implements app.ExchangeStore as ClaimAlerts does: MongoDB cannot claim
// several documents in one atomic write, so it finds candidates through
// exchange_links_due, most overdue first, and claims each in a findOneAndUpdate whose
// filter repeats the rule (linkClaimable); the server applies filter and update
// atomically per document, so of nodes racing for one link only one matches. A find
// overtaken that way leaves the call short, so it looks again, past the ids it has
// tried, until it holds limit links or a find brings nothing new. The links come
// back most overdue first.
//
// It is the one query that spans patients: the find asks every shard, and each claim
// names the link's patient_id so it goes to one. An error part way leaves the links
// claimed so far with this claimant until their lease runs out.
func (s *Store) ClaimLinks(ctx context.Context, claimant string, now, leaseUntil time.Time, limit int, skip []string) ([]exchange.Link, error) {
	var claimed []exchange.Link
	var tried bson.A // ids won or lost by this call, left out of the next find
	for len(claimed) < limit {
		candidates, err := s.linkCandidates(ctx, now, skip, tried, limit-len(claimed))
		if err != nil {
			return nil, err
		}
		if len(candidates) == 0 {
			break
		}
		for _, c := range candidates {
			tried = append(tried, c.ID)
			l, won, err := s.claimLink(ctx, c, claimant, now, leaseUntil)
			if err != nil {
				return nil, err
			}
			if won {
				claimed = append(claimed, l)
			}
		}
	}
	slices.SortFunc(claimed, func(a, b exchange.Link) int {
		return cmp.Or(a.NextDueAt.Compare(b.NextDueAt), cmp.Compare(a.ID, b.ID))
	})
	return claimed, nil
}

// linkCandidates finds up to limit claimable links, most overdue first with _id
// breaking ties, leaving out links of the exchanges in skip and the ids in tried.
func (s *Store) linkCandidates(ctx context.Context, now time.Time, skip []string, tried bson.A, limit int) ([]linkCandidate, error) {
	filter := linkClaimable(now)
	if len(skip) > 0 {
		filter = append(filter, bson.E{Key: "exchange_id", Value: bson.D{{Key: "$nin", Value: skip}}})
	}
	if len(tried) > 0 {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$nin", Value: tried}}})
	}
	cur, err := s.exchangeLinksColl().Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "next_due_at", Value: 1}, {Key: "_id", Value: 1}}).
		SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "patient_id", Value: 1}}).
		SetLimit(int64(limit)))
	if err != nil {
		return nil, translate("claim links: find", err)
	}
	var candidates []linkCandidate
	if err := cur.All(ctx, &candidates); err != nil {
		return nil, translate("claim links: find", err)
	}
	return candidates, nil
}

// claimLink claims one candidate for claimant if it is still claimable at now, and
// reports whether it did, with the link as claimed.
func (s *Store) claimLink(ctx context.Context, c linkCandidate, claimant string, now, leaseUntil time.Time) (exchange.Link, bool, error) {
	filter := append(bson.D{{Key: "_id", Value: c.ID}, {Key: "patient_id", Value: c.PatientID}}, linkClaimable(now)...)
	update := bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "lease_holder", Value: claimant},
			{Key: "lease_until", Value: bson.NewDateTimeFromTime(leaseUntil)},
		}},
		{Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}},
	}
	var r linkRecord
	err := s.exchangeLinksColl().FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&r)
	switch {
	case err == nil:
		return r.link(), true, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return exchange.Link{}, false, nil // another node got there first
	}
	return exchange.Link{}, false, translate("claim link", err)
}

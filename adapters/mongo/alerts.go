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

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
)

// alertEventsColl is access_events read from the primary whatever the URI prefers:
// dispatchers pick their work by alert state, and a secondary may still show an
// alert as pending after another dispatcher claimed or finished it.
func (s *Store) alertEventsColl() *mongo.Collection {
	return s.db.Collection(accessEventsCollection, options.Collection().SetReadPreference(readpref.Primary()))
}

// claimable is the rule for an alert a dispatcher may take at now: pending and not
// held back past now, or claimed by a dispatcher whose lease ran out. ClaimAlerts both searches by it and repeats it
// in each claim's filter, so a claim matches only while the rule still holds.
func claimable(now time.Time) bson.D {
	return bson.D{{Key: "$or", Value: bson.A{
		bson.D{
			{Key: "alert", Value: string(audit.AlertPending)},
			{Key: "$or", Value: bson.A{
				bson.D{{Key: "alert_not_before", Value: bson.D{{Key: "$exists", Value: false}}}},
				bson.D{{Key: "alert_not_before", Value: bson.D{{Key: "$lte", Value: bson.NewDateTimeFromTime(now)}}}},
			}},
		},
		bson.D{
			{Key: "alert", Value: string(audit.AlertClaimed)},
			{Key: "alert_lease", Value: bson.D{{Key: "$lt", Value: bson.NewDateTimeFromTime(now)}}},
		},
	}}}
}

// alertCandidate is what a claim needs of an event found claimable: its _id and its
// shard key.
type alertCandidate struct {
	ID        string `bson:"_id"`
	PatientID string `bson:"patient_id"`
}

// ClaimAlerts implements app.AlertStore. MongoDB cannot claim several documents in
// one atomic write, so it finds candidates through access_events_alerts, oldest first,
// and then claims each in a findOneAndUpdate whose filter repeats the rule
// (claimable): the server applies filter and update atomically per document, so of
// dispatchers racing for one event only one matches, and the others skip it. A find
// that was overtaken that way leaves the call short, so it looks again, past the ids
// it has already tried, until it holds limit events or a find brings nothing new.
// The events come back as claimed, oldest first.
//
// It is the one write that spans patients: the find asks every shard, and each claim
// names the event's patient_id so it goes to one. An error part way leaves the events
// claimed so far with this claimant until their lease runs out; another dispatcher
// then takes them, as it would after a crash.
func (s *Store) ClaimAlerts(ctx context.Context, claimant string, now, leaseUntil time.Time, limit int) ([]audit.Event, error) {
	var claimed []audit.Event
	var tried bson.A // ids won or lost by this call, left out of the next find
	for len(claimed) < limit {
		candidates, err := s.alertCandidates(ctx, now, tried, limit-len(claimed))
		if err != nil {
			return nil, err
		}
		if len(candidates) == 0 {
			break
		}
		for _, c := range candidates {
			tried = append(tried, c.ID)
			e, won, err := s.claimAlert(ctx, c, claimant, now, leaseUntil)
			if err != nil {
				return nil, err
			}
			if won {
				claimed = append(claimed, e)
			}
		}
	}
	slices.SortFunc(claimed, func(a, b audit.Event) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
	})
	return claimed, nil
}

// alertCandidates finds up to limit claimable events, oldest first with _id breaking
// ties, leaving out the ids in tried.
func (s *Store) alertCandidates(ctx context.Context, now time.Time, tried bson.A, limit int) ([]alertCandidate, error) {
	filter := claimable(now)
	if len(tried) > 0 {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$nin", Value: tried}}})
	}
	cur, err := s.alertEventsColl().Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "at", Value: 1}, {Key: "_id", Value: 1}}).
		SetProjection(bson.D{{Key: "_id", Value: 1}, {Key: "patient_id", Value: 1}}).
		SetLimit(int64(limit)))
	if err != nil {
		return nil, translate("claim alerts: find", err)
	}
	var candidates []alertCandidate
	if err := cur.All(ctx, &candidates); err != nil {
		return nil, translate("claim alerts: find", err)
	}
	return candidates, nil
}

// claimAlert claims one candidate for claimant if it is still claimable at now, and
// reports whether it did, with the event as claimed.
func (s *Store) claimAlert(ctx context.Context, c alertCandidate, claimant string, now, leaseUntil time.Time) (audit.Event, bool, error) {
	filter := append(bson.D{{Key: "_id", Value: c.ID}, {Key: "patient_id", Value: c.PatientID}}, claimable(now)...)
	update := bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "alert", Value: string(audit.AlertClaimed)},
			{Key: "alert_lease", Value: bson.NewDateTimeFromTime(leaseUntil)},
			{Key: "alert_claimant", Value: claimant},
		}},
		{Key: "$inc", Value: bson.D{{Key: "alert_attempts", Value: 1}}},
	}
	var r accessEventRecord
	err := s.alertEventsColl().FindOneAndUpdate(ctx, filter, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&r)
	switch {
	case err == nil:
		return r.event(), true, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return audit.Event{}, false, nil // another dispatcher got there first
	}
	return audit.Event{}, false, translate("claim alert", err)
}

// FinishAlert implements app.AlertStore in one conditional update: it matches only
// while the event is claimed by claimant, so a dispatcher whose lease ran out and
// whose event another took cannot overwrite that one's outcome. The lease and the
// claimant go with the claim; the attempt count stays.
func (s *Store) FinishAlert(ctx context.Context, patientID, eventID, claimant string, state audit.AlertState) error {
	res, err := s.alertEventsColl().UpdateOne(ctx,
		bson.D{
			{Key: "_id", Value: eventID}, {Key: "patient_id", Value: patientID},
			{Key: "alert", Value: string(audit.AlertClaimed)}, {Key: "alert_claimant", Value: claimant},
		},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "alert", Value: string(state)}}},
			{Key: "$unset", Value: bson.D{{Key: "alert_lease", Value: ""}, {Key: "alert_claimant", Value: ""}}},
		})
	if err != nil {
		return translate("finish alert", err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("finish alert: no longer held by this dispatcher: %w", fault.ErrConflict)
	}
	return nil
}

// DeferAlert implements app.AlertStore: like FinishAlert, only while claimant holds
// the event, and back to pending with the time it waits for.
func (s *Store) DeferAlert(ctx context.Context, patientID, eventID, claimant string, notBefore time.Time) error {
	res, err := s.alertEventsColl().UpdateOne(ctx,
		bson.D{
			{Key: "_id", Value: eventID}, {Key: "patient_id", Value: patientID},
			{Key: "alert", Value: string(audit.AlertClaimed)}, {Key: "alert_claimant", Value: claimant},
		},
		bson.D{
			{Key: "$set", Value: bson.D{{Key: "alert", Value: string(audit.AlertPending)},
				{Key: "alert_not_before", Value: bson.NewDateTimeFromTime(notBefore)}}},
			{Key: "$unset", Value: bson.D{{Key: "alert_lease", Value: ""}, {Key: "alert_claimant", Value: ""}}},
		})
	if err != nil {
		return translate("defer alert", err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("defer alert: no longer held by this dispatcher: %w", fault.ErrConflict)
	}
	return nil
}

// ParkedAlerts implements app.AlertStore through access_events_alerts (alert, then
// at, read backwards), newest first with _id breaking ties. Like ClaimAlerts it asks
// every shard; parked alerts are few.
func (s *Store) ParkedAlerts(ctx context.Context, limit int) ([]audit.Event, error) {
	if limit < 1 {
		return nil, nil // as SQLite's LIMIT 0; the driver would read 0 as "no limit"
	}
	cur, err := s.alertEventsColl().Find(ctx, bson.D{{Key: "alert", Value: string(audit.AlertParked)}},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, translate("parked alerts", err)
	}
	var records []accessEventRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, translate("parked alerts", err)
	}
	var events []audit.Event
	for _, r := range records {
		events = append(events, r.event())
	}
	return events, nil
}

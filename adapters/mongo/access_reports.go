package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
)

// ReportAccessEvent implements app.AccessEventStore in one conditional update: the
// filter matches only an event of this patient not reported yet, so the first report
// stays and a repeat writes nothing. Either way the event is then read back, which
// answers ErrNotFound for an event the patient does not have.
func (s *Store) ReportAccessEvent(ctx context.Context, patientID, id string, r audit.Report) (audit.Event, error) {
	_, err := s.accessEvents.UpdateOne(ctx,
		bson.D{
			{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID},
			{Key: "reported_at", Value: bson.D{{Key: "$exists", Value: false}}},
		},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "reported_at", Value: bson.NewDateTimeFromTime(r.At)}, {Key: "report_note", Value: r.Note},
		}}})
	if err != nil {
		return audit.Event{}, translate("report access event", err)
	}
	return s.AccessEvent(ctx, patientID, id)
}

// ReportedAccessEvents implements app.AccessEventStore through access_events_reported,
// a sparse index holding only reported events, most recently reported first with _id
// breaking ties. It is the one query that asks every shard; reports are few, so
// narrowing them to an organisation and ordering the ties are done over them alone.
func (s *Store) ReportedAccessEvents(ctx context.Context, organisation string, limit int) ([]audit.Event, error) {
	if limit < 1 {
		return nil, fmt.Errorf("reported access events: limit %d: %w", limit, fault.ErrInvalid)
	}
	filter := bson.D{{Key: "reported_at", Value: bson.D{{Key: "$exists", Value: true}}}}
	if organisation != "" {
		filter = append(filter, bson.E{Key: "organisation", Value: organisation})
	}
	cur, err := s.accessEvents.Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "reported_at", Value: -1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, translate("reported access events", err)
	}
	var records []accessEventRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, translate("reported access events", err)
	}
	var events []audit.Event
	for _, r := range records {
		events = append(events, r.event())
	}
	return events, nil
}

package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
)

// accessEventRecord is how an access event is stored in the access_events collection.
// patient_id is the shard key; the unique (patient_id, seq) index keeps the chain a
// chain when writers race.
type accessEventRecord struct {
	ID               string        `bson:"_id"`
	PatientID        string        `bson:"patient_id"`
	Seq              int64         `bson:"seq"`
	At               bson.DateTime `bson:"at"`
	ActorKind        string        `bson:"actor_kind"`
	ActorID          string        `bson:"actor_id,omitempty"`
	Organisation     string        `bson:"organisation,omitempty"`
	PractitionerID   string        `bson:"practitioner_id,omitempty"`
	PractitionerName string        `bson:"practitioner_name,omitempty"`
	PractitionerRole string        `bson:"practitioner_role,omitempty"`
	Action           string        `bson:"action"`
	Basis            string        `bson:"basis,omitempty"`
	Categories       []string      `bson:"categories,omitempty"`
	Route            string        `bson:"route,omitempty"`
	Outcome          string        `bson:"outcome,omitempty"`
	PrevHash         string        `bson:"prev_hash,omitempty"`
	Hash             string        `bson:"hash"`
}

func toAccessEventRecord(e audit.Event) accessEventRecord {
	return accessEventRecord{
		ID: e.ID, PatientID: e.PatientID, Seq: e.Seq, At: bson.NewDateTimeFromTime(e.At),
		ActorKind: string(e.Actor.Kind), ActorID: e.Actor.ID, Organisation: e.Actor.Organisation,
		PractitionerID: e.Actor.PractitionerID, PractitionerName: e.Actor.PractitionerName,
		PractitionerRole: e.Actor.PractitionerRole,
		Action:           e.Action, Basis: e.Basis, Categories: e.Categories, Route: e.Route, Outcome: e.Outcome,
		PrevHash: e.PrevHash, Hash: e.Hash,
	}
}

func (r accessEventRecord) event() audit.Event {
	return audit.Event{
		ID: r.ID, PatientID: r.PatientID, Seq: r.Seq, At: r.At.Time().UTC(),
		Actor: audit.Actor{
			Kind: audit.ActorKind(r.ActorKind), ID: r.ActorID, Organisation: r.Organisation,
			PractitionerID: r.PractitionerID, PractitionerName: r.PractitionerName, PractitionerRole: r.PractitionerRole,
		},
		Action: r.Action, Basis: r.Basis, Categories: r.Categories, Route: r.Route, Outcome: r.Outcome,
		PrevHash: r.PrevHash, Hash: r.Hash,
	}
}

// AppendAccessEvent implements app.AccessEventStore; the unique (patient_id, seq)
// index turns a lost race into ErrConflict.
func (s *Store) AppendAccessEvent(ctx context.Context, e audit.Event) error {
	_, err := s.accessEvents.InsertOne(ctx, toAccessEventRecord(e))
	return translate("append access event", err)
}

// LastAccessEvent implements app.AccessEventStore.
func (s *Store) LastAccessEvent(ctx context.Context, patientID string) (audit.Event, error) {
	var r accessEventRecord
	err := s.accessEvents.FindOne(ctx, bson.D{{Key: "patient_id", Value: patientID}},
		options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&r)
	if err != nil {
		return audit.Event{}, translate("last access event", err)
	}
	return r.event(), nil
}

// AccessEvents implements app.AccessEventStore.
func (s *Store) AccessEvents(ctx context.Context, patientID string, before int64, limit int) ([]audit.Event, int64, error) {
	if limit < 1 {
		return nil, 0, fmt.Errorf("list access events: limit %d: %w", limit, fault.ErrInvalid)
	}
	filter := bson.D{{Key: "patient_id", Value: patientID}}
	if before > 0 {
		filter = append(filter, bson.E{Key: "seq", Value: bson.D{{Key: "$lt", Value: before}}})
	}
	// One more than asked tells whether another page exists.
	cur, err := s.accessEvents.Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "seq", Value: -1}}).SetLimit(int64(limit)+1))
	if err != nil {
		return nil, 0, translate("list access events", err)
	}
	var records []accessEventRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, 0, translate("list access events", err)
	}
	events := make([]audit.Event, 0, min(len(records), limit))
	for _, r := range records[:min(len(records), limit)] {
		events = append(events, r.event())
	}
	var next int64
	if len(records) > limit {
		next = events[limit-1].Seq
	}
	return events, next, nil
}

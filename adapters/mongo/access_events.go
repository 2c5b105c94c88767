package mongo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
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
	OrganisationName string        `bson:"organisation_name,omitempty"`
	PractitionerID   string        `bson:"practitioner_id,omitempty"`
	PractitionerName string        `bson:"practitioner_name,omitempty"`
	PractitionerRole string        `bson:"practitioner_role,omitempty"`
	Action           string        `bson:"action"`
	Basis            string        `bson:"basis,omitempty"`
	Categories       []string      `bson:"categories,omitempty"`
	Route            string        `bson:"route,omitempty"`
	Query            string        `bson:"query,omitempty"`
	EntryID          string        `bson:"entry_id,omitempty"`
	GrantIDs         []string      `bson:"grant_ids,omitempty"`
	Reason           string        `bson:"reason,omitempty"`
	Label            string        `bson:"label,omitempty"`
	Outcome          string        `bson:"outcome,omitempty"`
	PrevHash         string        `bson:"prev_hash,omitempty"`
	Hash             string        `bson:"hash"`
	// Outside the hash: they change after the event is sealed. reported_at is absent
	// until the patient reports the event, so access_events_reported (sparse) holds
	// only reported events. alert_lease and alert_claimant are there only while a
	// dispatcher holds the alert (see alerts.go); the claimant is the store's own
	// business, so it has no place in audit.Event and is never read back.
	Alert         string         `bson:"alert,omitempty"`
	AlertAttempts int            `bson:"alert_attempts,omitempty"`
	AlertLease    *bson.DateTime `bson:"alert_lease,omitempty"`
	// AlertNotBefore holds a pending alert back (quiet hours, a daily digest).
	AlertNotBefore *bson.DateTime `bson:"alert_not_before,omitempty"`
	AlertClaimant  string         `bson:"alert_claimant,omitempty"`
	ReportedAt     *bson.DateTime `bson:"reported_at,omitempty"`
	ReportNote     string         `bson:"report_note,omitempty"`
}

func toAccessEventRecord(e audit.Event) accessEventRecord {
	r := accessEventRecord{
		ID: e.ID, PatientID: e.PatientID, Seq: e.Seq, At: bson.NewDateTimeFromTime(e.At),
		ActorKind: string(e.Actor.Kind), ActorID: e.Actor.ID, Organisation: e.Actor.Organisation,
		OrganisationName: e.Actor.OrganisationName, PractitionerID: e.Actor.PractitionerID,
		PractitionerName: e.Actor.PractitionerName, PractitionerRole: e.Actor.PractitionerRole,
		Action: e.Action, Basis: e.Basis, Categories: e.Categories, Route: e.Route,
		Query: e.Query, EntryID: e.EntryID, GrantIDs: e.GrantIDs, Reason: e.Reason, Label: e.Label, Outcome: e.Outcome,
		PrevHash: e.PrevHash, Hash: e.Hash, Alert: string(e.Alert), AlertAttempts: e.AlertAttempts,
	}
	if !e.AlertNotBefore.IsZero() {
		nb := bson.NewDateTimeFromTime(e.AlertNotBefore)
		r.AlertNotBefore = &nb
	}
	if !e.AlertLease.IsZero() {
		lease := bson.NewDateTimeFromTime(e.AlertLease)
		r.AlertLease = &lease
	}
	if !e.Report.At.IsZero() {
		at := bson.NewDateTimeFromTime(e.Report.At)
		r.ReportedAt, r.ReportNote = &at, e.Report.Note
	}
	return r
}

func (r accessEventRecord) event() audit.Event {
	e := audit.Event{
		ID: r.ID, PatientID: r.PatientID, Seq: r.Seq, At: r.At.Time().UTC(),
		Actor: audit.Actor{
			Kind: audit.ActorKind(r.ActorKind), ID: r.ActorID, Organisation: r.Organisation,
			OrganisationName: r.OrganisationName, PractitionerID: r.PractitionerID,
			PractitionerName: r.PractitionerName, PractitionerRole: r.PractitionerRole,
		},
		Action: r.Action, Basis: r.Basis, Categories: r.Categories, Route: r.Route,
		Query: r.Query, EntryID: r.EntryID, GrantIDs: r.GrantIDs, Reason: r.Reason, Label: r.Label, Outcome: r.Outcome,
		PrevHash: r.PrevHash, Hash: r.Hash, Alert: audit.AlertState(r.Alert), AlertAttempts: r.AlertAttempts,
	}
	if r.AlertNotBefore != nil {
		e.AlertNotBefore = r.AlertNotBefore.Time().UTC()
	}
	if r.AlertLease != nil {
		e.AlertLease = r.AlertLease.Time().UTC()
	}
	if r.ReportedAt != nil {
		e.Report = audit.Report{At: r.ReportedAt.Time().UTC(), Note: r.ReportNote}
	}
	return e
}

// maxChainRetries bounds how often AppendAccessEvent re-reads the chain when other
// writers keep appending to the same patient's log; hitting it means heavy
// contention, and the caller gets ErrUnavailable rather than a missing event.
const maxChainRetries = 20

// chainLocks queue one node's appends to the same patient's chain, so they do not
// race each other through the compare-and-set below and burn its retries; nodes
// still race each other, and the unique index settles that.
type chainLocks [64]sync.Mutex

func (l *chainLocks) lock(patientID string) func() {
	h := fnv.New32a()
	h.Write([]byte(patientID))
	m := &l[h.Sum32()%uint32(len(l))]
	m.Lock()
	return m.Unlock
}

// AppendAccessEvent implements app.AccessEventStore with compare-and-set: it seals
// after the newest event it read, and the unique (patient_id, seq) index turns a
// lost race into a duplicate key, after which it reads the chain again.
func (s *Store) AppendAccessEvent(ctx context.Context, e audit.Event) (audit.Event, error) {
	defer s.chains.lock(e.PatientID)()
	for range maxChainRetries {
		var prev *audit.Event
		last, err := s.LastAccessEvent(ctx, e.PatientID)
		switch {
		case err == nil:
			prev = &last
		case !errors.Is(err, fault.ErrNotFound):
			return audit.Event{}, err
		}
		sealed := e.Seal(prev)
		_, err = s.accessEvents.InsertOne(ctx, toAccessEventRecord(sealed))
		if err == nil {
			return sealed, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return audit.Event{}, translate("append access event", err)
		}
		if n, err := s.accessEvents.CountDocuments(ctx, bson.D{{Key: "_id", Value: e.ID}}); err != nil {
			return audit.Event{}, translate("append access event", err)
		} else if n > 0 {
			return audit.Event{}, fmt.Errorf("append access event: id %s taken: %w", e.ID, fault.ErrConflict)
		}
	}
	return audit.Event{}, fmt.Errorf("append access event: the chain kept moving: %w", fault.ErrUnavailable)
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

// AccessEvent implements app.AccessEventStore.
func (s *Store) AccessEvent(ctx context.Context, patientID, id string) (audit.Event, error) {
	var r accessEventRecord
	err := s.accessEvents.FindOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "patient_id", Value: patientID}}).Decode(&r)
	if err != nil {
		return audit.Event{}, translate("read access event", err)
	}
	return r.event(), nil
}

package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
)

// accessEventDoc is how an access event is stored in access_events.doc.
type accessEventDoc struct {
	ID               string   `json:"id"`
	PatientID        string   `json:"patientId"`
	Seq              int64    `json:"seq"`
	At               int64    `json:"at"`
	ActorKind        string   `json:"actorKind"`
	ActorID          string   `json:"actorId,omitempty"`
	Organisation     string   `json:"organisation,omitempty"`
	PractitionerID   string   `json:"practitionerId,omitempty"`
	PractitionerName string   `json:"practitionerName,omitempty"`
	PractitionerRole string   `json:"practitionerRole,omitempty"`
	Action           string   `json:"action"`
	Basis            string   `json:"basis,omitempty"`
	Categories       []string `json:"categories,omitempty"`
	Route            string   `json:"route,omitempty"`
	Outcome          string   `json:"outcome,omitempty"`
	PrevHash         string   `json:"prevHash,omitempty"`
	Hash             string   `json:"hash"`
}

func toAccessEventDoc(e audit.Event) accessEventDoc {
	return accessEventDoc{
		ID: e.ID, PatientID: e.PatientID, Seq: e.Seq, At: e.At.UnixMilli(),
		ActorKind: string(e.Actor.Kind), ActorID: e.Actor.ID, Organisation: e.Actor.Organisation,
		PractitionerID: e.Actor.PractitionerID, PractitionerName: e.Actor.PractitionerName,
		PractitionerRole: e.Actor.PractitionerRole,
		Action:           e.Action, Basis: e.Basis, Categories: e.Categories, Route: e.Route, Outcome: e.Outcome,
		PrevHash: e.PrevHash, Hash: e.Hash,
	}
}

func (d accessEventDoc) event() audit.Event {
	return audit.Event{
		ID: d.ID, PatientID: d.PatientID, Seq: d.Seq, At: time.UnixMilli(d.At).UTC(),
		Actor: audit.Actor{
			Kind: audit.ActorKind(d.ActorKind), ID: d.ActorID, Organisation: d.Organisation,
			PractitionerID: d.PractitionerID, PractitionerName: d.PractitionerName, PractitionerRole: d.PractitionerRole,
		},
		Action: d.Action, Basis: d.Basis, Categories: d.Categories, Route: d.Route, Outcome: d.Outcome,
		PrevHash: d.PrevHash, Hash: d.Hash,
	}
}

// AppendAccessEvent implements app.AccessEventStore; the unique (patient_id, seq)
// index turns a lost race into ErrConflict.
func (s *Store) AppendAccessEvent(ctx context.Context, e audit.Event) error {
	doc, err := json.Marshal(toAccessEventDoc(e))
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO access_events (id, doc) VALUES (?, ?)`, e.ID, string(doc))
	return translate("append access event", err)
}

// LastAccessEvent implements app.AccessEventStore.
func (s *Store) LastAccessEvent(ctx context.Context, patientID string) (audit.Event, error) {
	var raw []byte
	err := s.db.QueryRowContext(ctx,
		`SELECT doc FROM access_events WHERE patient_id = ? ORDER BY seq DESC LIMIT 1`, patientID).Scan(&raw)
	if err != nil {
		return audit.Event{}, translate("last access event", err)
	}
	return decodeEvent(raw)
}

// AccessEvents implements app.AccessEventStore.
func (s *Store) AccessEvents(ctx context.Context, patientID string, before int64, limit int) ([]audit.Event, int64, error) {
	if limit < 1 {
		return nil, 0, fmt.Errorf("list access events: limit %d: %w", limit, fault.ErrInvalid)
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	// One more than asked tells whether another page exists.
	rows, err := s.db.QueryContext(ctx,
		`SELECT doc FROM access_events WHERE patient_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
		patientID, before, limit+1)
	if err != nil {
		return nil, 0, translate("list access events", err)
	}
	defer rows.Close()
	var events []audit.Event
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, 0, translate("list access events", err)
		}
		e, err := decodeEvent(raw)
		if err != nil {
			return nil, 0, err
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, translate("list access events", err)
	}
	var next int64
	if len(events) > limit {
		events = events[:limit]
		next = events[limit-1].Seq
	}
	return events, next, nil
}

func decodeEvent(raw []byte) (audit.Event, error) {
	var d accessEventDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return audit.Event{}, fmt.Errorf("access event: stored document: %w", err)
	}
	return d.event(), nil
}

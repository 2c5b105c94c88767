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
	OrganisationName string   `json:"organisationName,omitempty"`
	PractitionerID   string   `json:"practitionerId,omitempty"`
	PractitionerName string   `json:"practitionerName,omitempty"`
	PractitionerRole string   `json:"practitionerRole,omitempty"`
	Action           string   `json:"action"`
	Basis            string   `json:"basis,omitempty"`
	Categories       []string `json:"categories,omitempty"`
	Route            string   `json:"route,omitempty"`
	Query            string   `json:"query,omitempty"`
	EntryID          string   `json:"entryId,omitempty"`
	GrantIDs         []string `json:"grantIds,omitempty"`
	Reason           string   `json:"reason,omitempty"`
	Label            string   `json:"label,omitempty"`
	Outcome          string   `json:"outcome,omitempty"`
	PrevHash         string   `json:"prevHash,omitempty"`
	Hash             string   `json:"hash"`
	// Outside the hash: they change after the event is sealed.
	Alert          string `json:"alert,omitempty"`
	AlertAttempts  int    `json:"alertAttempts,omitempty"`
	AlertLease     int64  `json:"alertLease,omitempty"`
	AlertClaimant  string `json:"alertClaimant,omitempty"`
	AlertNotBefore int64  `json:"alertNotBefore,omitempty"`
	ReportedAt     *int64 `json:"reportedAt,omitempty"`
	ReportNote     string `json:"reportNote,omitempty"`
}

func toAccessEventDoc(e audit.Event) accessEventDoc {
	d := accessEventDoc{
		ID: e.ID, PatientID: e.PatientID, Seq: e.Seq, At: e.At.UnixMilli(),
		ActorKind: string(e.Actor.Kind), ActorID: e.Actor.ID, Organisation: e.Actor.Organisation,
		OrganisationName: e.Actor.OrganisationName, PractitionerID: e.Actor.PractitionerID, PractitionerName: e.Actor.PractitionerName,
		PractitionerRole: e.Actor.PractitionerRole,
		Action:           e.Action, Basis: e.Basis, Categories: e.Categories, Route: e.Route, Outcome: e.Outcome,
		Query: e.Query, EntryID: e.EntryID, GrantIDs: e.GrantIDs, Reason: e.Reason, Label: e.Label,
		PrevHash: e.PrevHash, Hash: e.Hash, Alert: string(e.Alert), AlertAttempts: e.AlertAttempts,
	}
	if !e.AlertLease.IsZero() {
		d.AlertLease = e.AlertLease.UnixMilli()
	}
	if !e.AlertNotBefore.IsZero() {
		d.AlertNotBefore = e.AlertNotBefore.UnixMilli()
	}
	if !e.Report.At.IsZero() {
		at := e.Report.At.UnixMilli()
		d.ReportedAt, d.ReportNote = &at, e.Report.Note
	}
	return d
}

func (d accessEventDoc) event() audit.Event {
	e := audit.Event{
		ID: d.ID, PatientID: d.PatientID, Seq: d.Seq, At: time.UnixMilli(d.At).UTC(),
		Actor: audit.Actor{
			Kind: audit.ActorKind(d.ActorKind), ID: d.ActorID, Organisation: d.Organisation,
			OrganisationName: d.OrganisationName, PractitionerID: d.PractitionerID, PractitionerName: d.PractitionerName, PractitionerRole: d.PractitionerRole,
		},
		Action: d.Action, Basis: d.Basis, Categories: d.Categories, Route: d.Route, Outcome: d.Outcome,
		Query: d.Query, EntryID: d.EntryID, GrantIDs: d.GrantIDs, Reason: d.Reason, Label: d.Label,
		PrevHash: d.PrevHash, Hash: d.Hash, Alert: audit.AlertState(d.Alert), AlertAttempts: d.AlertAttempts,
	}
	if d.AlertLease != 0 {
		e.AlertLease = time.UnixMilli(d.AlertLease).UTC()
	}
	if d.AlertNotBefore != 0 {
		e.AlertNotBefore = time.UnixMilli(d.AlertNotBefore).UTC()
	}
	if d.ReportedAt != nil {
		e.Report = audit.Report{At: time.UnixMilli(*d.ReportedAt).UTC(), Note: d.ReportNote}
	}
	return e
}

// AppendAccessEvent implements app.AccessEventStore through the group committer.
func (s *Store) AppendAccessEvent(ctx context.Context, e audit.Event) (audit.Event, error) {
	return s.chain.append(ctx, e)
}

// LastAccessEvent implements app.AccessEventStore.
func (s *Store) LastAccessEvent(ctx context.Context, patientID string) (audit.Event, error) {
	var raw []byte
	err := s.queryRow(ctx,
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
	rows, err := s.query(ctx,
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

// AccessEvent implements app.AccessEventStore.
func (s *Store) AccessEvent(ctx context.Context, patientID, id string) (audit.Event, error) {
	var raw []byte
	err := s.queryRow(ctx, `SELECT doc FROM access_events WHERE id = ? AND patient_id = ?`, id, patientID).Scan(&raw)
	if err != nil {
		return audit.Event{}, translate("read access event", err)
	}
	return decodeEvent(raw)
}

// ReportAccessEvent implements app.AccessEventStore: the filter keeps a first report.
func (s *Store) ReportAccessEvent(ctx context.Context, patientID, id string, r audit.Report) (audit.Event, error) {
	_, err := s.w.ExecContext(ctx, `UPDATE access_events
		SET doc = json_set(doc, '$.reportedAt', ?, '$.reportNote', ?)
		WHERE id = ? AND patient_id = ? AND json_extract(doc, '$.reportedAt') IS NULL`,
		r.At.UnixMilli(), r.Note, id, patientID)
	if err != nil {
		return audit.Event{}, translate("report access event", err)
	}
	return s.AccessEvent(ctx, patientID, id)
}

// ReportedAccessEvents implements app.AccessEventStore through access_events_reported.
func (s *Store) ReportedAccessEvents(ctx context.Context, organisation string, limit int) ([]audit.Event, error) {
	if limit < 1 {
		return nil, fmt.Errorf("reported access events: limit %d: %w", limit, fault.ErrInvalid)
	}
	rows, err := s.query(ctx, `SELECT doc FROM access_events
		WHERE json_extract(doc, '$.reportedAt') IS NOT NULL AND (? = '' OR json_extract(doc, '$.organisation') = ?)
		ORDER BY json_extract(doc, '$.reportedAt') DESC, id LIMIT ?`, organisation, organisation, limit)
	if err != nil {
		return nil, translate("reported access events", err)
	}
	defer rows.Close()
	var events []audit.Event
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, translate("reported access events", err)
		}
		e, err := decodeEvent(raw)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, translate("reported access events", rows.Err())
}

func decodeEvent(raw []byte) (audit.Event, error) {
	var d accessEventDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return audit.Event{}, fmt.Errorf("access event: stored document: %w", err)
	}
	return d.event(), nil
}

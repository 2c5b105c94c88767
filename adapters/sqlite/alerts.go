package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
)

// ClaimAlerts implements app.AlertStore in one UPDATE: SQLite runs it under the
// write lock, so no two dispatchers claim one event.
func (s *Store) ClaimAlerts(ctx context.Context, claimant string, now, leaseUntil time.Time, limit int) ([]audit.Event, error) {
	rows, err := s.w.QueryContext(ctx, `UPDATE access_events
		SET doc = json_set(doc, '$.alert', 'claimed', '$.alertLease', ?, '$.alertClaimant', ?,
			'$.alertAttempts', coalesce(json_extract(doc, '$.alertAttempts'), 0) + 1)
		WHERE id IN (SELECT id FROM access_events
			WHERE json_extract(doc, '$.alert') IN ('pending', 'claimed')
			  AND ((json_extract(doc, '$.alert') = 'pending' AND coalesce(json_extract(doc, '$.alertNotBefore'), 0) <= ?)
			    OR json_extract(doc, '$.alertLease') < ?)
			ORDER BY json_extract(doc, '$.at') LIMIT ?)
		RETURNING doc`, leaseUntil.UnixMilli(), claimant, now.UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, translate("claim alerts", err)
	}
	defer rows.Close()
	var events []audit.Event
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, translate("claim alerts", err)
		}
		e, err := decodeEvent(raw)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, translate("claim alerts", rows.Err())
}

// FinishAlert implements app.AlertStore.
func (s *Store) FinishAlert(ctx context.Context, patientID, eventID, claimant string, state audit.AlertState) error {
	res, err := s.w.ExecContext(ctx, `UPDATE access_events
		SET doc = json_remove(json_set(doc, '$.alert', ?), '$.alertLease', '$.alertClaimant')
		WHERE id = ? AND patient_id = ? AND json_extract(doc, '$.alert') = 'claimed' AND json_extract(doc, '$.alertClaimant') = ?`,
		string(state), eventID, patientID, claimant)
	if err != nil {
		return translate("finish alert", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("finish alert: no longer held by this dispatcher: %w", fault.ErrConflict)
	}
	return nil
}

// DeferAlert implements app.AlertStore.
func (s *Store) DeferAlert(ctx context.Context, patientID, eventID, claimant string, notBefore time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE access_events
		SET doc = json_remove(json_set(doc, '$.alert', 'pending', '$.alertNotBefore', ?), '$.alertLease', '$.alertClaimant')
		WHERE id = ? AND patient_id = ? AND json_extract(doc, '$.alert') = 'claimed' AND json_extract(doc, '$.alertClaimant') = ?`,
		notBefore.UnixMilli(), eventID, patientID, claimant)
	if err != nil {
		return translate("defer alert", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("defer alert: no longer held by this dispatcher: %w", fault.ErrConflict)
	}
	return nil
}

// ParkedAlerts implements app.AlertStore through access_events_parked.
func (s *Store) ParkedAlerts(ctx context.Context, limit int) ([]audit.Event, error) {
	rows, err := s.query(ctx, `SELECT doc FROM access_events WHERE json_extract(doc, '$.alert') = 'parked'
		ORDER BY json_extract(doc, '$.at') DESC LIMIT ?`, limit)
	if err != nil {
		return nil, translate("parked alerts", err)
	}
	defer rows.Close()
	var events []audit.Event
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, translate("parked alerts", err)
		}
		e, err := decodeEvent(raw)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, translate("parked alerts", rows.Err())
}

// AlertWindowOpen implements app.AlertStore.
func (s *Store) AlertWindowOpen(ctx context.Context, patientID, key string, now time.Time) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM alert_windows WHERE patient_id = ? AND key = ? AND until > ?`,
		patientID, key, now.UnixMilli()).Scan(&n)
	return n > 0, translate("alert window", err)
}

// OpenAlertWindow implements app.AlertStore; a later end wins.
func (s *Store) OpenAlertWindow(ctx context.Context, patientID, key string, until time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO alert_windows (patient_id, key, until) VALUES (?, ?, ?)
		ON CONFLICT (patient_id, key) DO UPDATE SET until = max(until, excluded.until)`, patientID, key, until.UnixMilli())
	return translate("open alert window", err)
}

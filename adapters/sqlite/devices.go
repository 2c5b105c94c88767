package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/fault"
)

// deviceDoc is how a device is stored in devices.doc.
type deviceDoc struct {
	ID          string `json:"id"`
	PatientID   string `json:"patientId"`
	Token       string `json:"token"`
	Platform    string `json:"platform"`
	AppVersion  string `json:"appVersion,omitempty"`
	Locale      string `json:"locale,omitempty"`
	CreatedAt   int64  `json:"createdAt"`
	RefreshedAt int64  `json:"refreshedAt"`
}

func (d deviceDoc) device() alert.Device {
	return alert.Device{ID: d.ID, PatientID: d.PatientID, Token: d.Token, Platform: d.Platform, AppVersion: d.AppVersion,
		Locale: d.Locale, CreatedAt: fromMilli(d.CreatedAt), RefreshedAt: fromMilli(d.RefreshedAt)}
}

// PutDevice implements app.AlertStore with one upsert that keeps the creation time.
func (s *Store) PutDevice(ctx context.Context, d alert.Device) (alert.Device, bool, error) {
	raw, err := json.Marshal(deviceDoc{ID: d.ID, PatientID: d.PatientID, Token: d.Token, Platform: d.Platform,
		AppVersion: d.AppVersion, Locale: d.Locale, CreatedAt: d.CreatedAt.UnixMilli(), RefreshedAt: d.RefreshedAt.UnixMilli()})
	if err != nil {
		return alert.Device{}, false, err
	}
	var stored []byte
	err = s.w.QueryRowContext(ctx, `INSERT INTO devices (id, doc) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET doc = json_set(excluded.doc, '$.createdAt', json_extract(devices.doc, '$.createdAt'))
		RETURNING doc`, d.ID, string(raw)).Scan(&stored)
	if err != nil {
		return alert.Device{}, false, translate("put device", err)
	}
	var out deviceDoc
	if err := json.Unmarshal(stored, &out); err != nil {
		return alert.Device{}, false, fmt.Errorf("put device: stored document: %w", err)
	}
	return out.device(), out.CreatedAt == d.CreatedAt.UnixMilli(), nil
}

// Devices implements app.AlertStore.
func (s *Store) Devices(ctx context.Context, patientID string) ([]alert.Device, error) {
	rows, err := s.query(ctx, `SELECT doc FROM devices WHERE patient_id = ? ORDER BY json_extract(doc, '$.createdAt'), id`, patientID)
	if err != nil {
		return nil, translate("list devices", err)
	}
	defer rows.Close()
	var out []alert.Device
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, translate("list devices", err)
		}
		var d deviceDoc
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("list devices: stored document: %w", err)
		}
		out = append(out, d.device())
	}
	return out, translate("list devices", rows.Err())
}

// DeleteDevice implements app.AlertStore.
func (s *Store) DeleteDevice(ctx context.Context, patientID, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM devices WHERE id = ? AND patient_id = ?`, id, patientID)
	if err != nil {
		return translate("delete device", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("delete device: %w", fault.ErrNotFound)
	}
	return nil
}

// DeleteStaleDevices implements app.AlertStore through devices_by_refresh.
func (s *Store) DeleteStaleDevices(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM devices WHERE refreshed < ?`, before.UnixMilli())
	if err != nil {
		return 0, translate("delete stale devices", err)
	}
	n, err := res.RowsAffected()
	return n, translate("delete stale devices", err)
}

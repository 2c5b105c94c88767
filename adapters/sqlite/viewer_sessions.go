package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/sharecode"
)

// sessionDoc is how a viewer session is stored in viewer_sessions.doc.
type sessionDoc struct {
	ID           string `json:"id"`
	TokenHash    string `json:"tokenHash"`
	CodeID       string `json:"codeId"`
	PatientID    string `json:"patientId"`
	ViewerName   string `json:"viewerName"`
	ViewerRole   string `json:"viewerRole"`
	Organisation string `json:"organisation,omitempty"`
	Label        string `json:"label,omitempty"`
	CreatedAt    int64  `json:"createdAt"`
	ExpiresAt    int64  `json:"expiresAt"`
	EndedAt      *int64 `json:"endedAt,omitempty"`
}

// CreateViewerSession implements app.ShareCodeStore.
func (s *Store) CreateViewerSession(ctx context.Context, v sharecode.Session) error {
	d := sessionDoc{ID: v.ID, TokenHash: v.TokenHash, CodeID: v.CodeID, PatientID: v.PatientID, ViewerName: v.ViewerName,
		ViewerRole: v.ViewerRole, Organisation: v.Organisation, Label: v.Label,
		CreatedAt: v.CreatedAt.UnixMilli(), ExpiresAt: v.ExpiresAt.UnixMilli()}
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO viewer_sessions (id, doc) VALUES (?, ?)`, v.ID, string(raw))
	return translate("create viewer session", err)
}

// ViewerSession implements app.ShareCodeStore.
func (s *Store) ViewerSession(ctx context.Context, tokenHash string) (sharecode.Session, error) {
	var raw []byte
	if err := s.queryRow(ctx, `SELECT doc FROM viewer_sessions WHERE token_hash = ?`, tokenHash).Scan(&raw); err != nil {
		return sharecode.Session{}, translate("read viewer session", err)
	}
	var d sessionDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return sharecode.Session{}, fmt.Errorf("read viewer session: stored document: %w", err)
	}
	v := sharecode.Session{ID: d.ID, TokenHash: d.TokenHash, CodeID: d.CodeID, PatientID: d.PatientID,
		ViewerName: d.ViewerName, ViewerRole: d.ViewerRole, Organisation: d.Organisation, Label: d.Label,
		CreatedAt: fromMilli(d.CreatedAt), ExpiresAt: fromMilli(d.ExpiresAt)}
	if d.EndedAt != nil {
		v.EndedAt = fromMilli(*d.EndedAt)
	}
	return v, nil
}

// EndViewerSession implements app.ShareCodeStore; the first end is kept.
func (s *Store) EndViewerSession(ctx context.Context, tokenHash string, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE viewer_sessions
		SET doc = json_set(doc, '$.endedAt', coalesce(json_extract(doc, '$.endedAt'), ?)) WHERE token_hash = ?`,
		now.UnixMilli(), tokenHash)
	if err != nil {
		return translate("end viewer session", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("end viewer session: %w", fault.ErrNotFound)
	}
	return nil
}

// CountAttempt implements app.AttemptStore: an upsert that returns the new count,
// and now and then a sweep of expired windows.
func (s *Store) CountAttempt(ctx context.Context, key string, window, keepUntil time.Time) (int, error) {
	var n int
	err := s.w.QueryRowContext(ctx, `INSERT INTO attempts (key, window, count, expires) VALUES (?, ?, 1, ?)
		ON CONFLICT (key, window) DO UPDATE SET count = count + 1 RETURNING count`,
		key, window.UnixMilli(), keepUntil.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, translate("count attempt", err)
	}
	if n == 1 {
		// A new window: forget the expired ones, a cheap indexed delete.
		if _, err := s.w.ExecContext(ctx, `DELETE FROM attempts WHERE expires < ?`, window.UnixMilli()); err != nil {
			return 0, translate("count attempt", err)
		}
	}
	return n, nil
}

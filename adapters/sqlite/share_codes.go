package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/record"
	"github.com/kith-health/kith/domain/sharecode"
)

// shareCodeDoc is how a code is stored in share_codes.doc, times in Unix milliseconds.
type shareCodeDoc struct {
	ID               string   `json:"id"`
	PatientID        string   `json:"patientId"`
	Hash             string   `json:"hash"`
	Label            string   `json:"label,omitempty"`
	Categories       []string `json:"categories"`
	IncludeSensitive bool     `json:"includeSensitive"`
	MaxViews         int      `json:"maxViews"`
	Views            int      `json:"views"`
	Organisation     string   `json:"organisation,omitempty"`
	RequireBirthDate bool     `json:"requireBirthDate,omitempty"`
	IssuedBy         string   `json:"issuedBy,omitempty"`
	CreatedAt        int64    `json:"createdAt"`
	ExpiresAt        int64    `json:"expiresAt"`
	RevokedAt        *int64   `json:"revokedAt,omitempty"`
	Version          int64    `json:"version"`
}

func toShareCodeDoc(c sharecode.ShareCode) shareCodeDoc {
	d := shareCodeDoc{ID: c.ID, PatientID: c.PatientID, Hash: c.Hash, Label: c.Label, IncludeSensitive: c.IncludeSensitive,
		MaxViews: c.MaxViews, Views: c.Views, Organisation: c.Organisation, RequireBirthDate: c.RequireBirthDate,
		IssuedBy: c.IssuedBy, CreatedAt: c.CreatedAt.UnixMilli(), ExpiresAt: c.ExpiresAt.UnixMilli(), Version: c.Version}
	for _, cat := range c.Categories {
		d.Categories = append(d.Categories, string(cat))
	}
	if !c.RevokedAt.IsZero() {
		ms := c.RevokedAt.UnixMilli()
		d.RevokedAt = &ms
	}
	return d
}

func (d shareCodeDoc) shareCode() sharecode.ShareCode {
	c := sharecode.ShareCode{ID: d.ID, PatientID: d.PatientID, Hash: d.Hash, Label: d.Label, IncludeSensitive: d.IncludeSensitive,
		MaxViews: d.MaxViews, Views: d.Views, Organisation: d.Organisation, RequireBirthDate: d.RequireBirthDate,
		IssuedBy: d.IssuedBy, CreatedAt: fromMilli(d.CreatedAt), ExpiresAt: fromMilli(d.ExpiresAt), Version: d.Version}
	for _, cat := range d.Categories {
		c.Categories = append(c.Categories, record.Category(cat))
	}
	if d.RevokedAt != nil {
		c.RevokedAt = fromMilli(*d.RevokedAt)
	}
	return c
}

func decodeShareCode(op string, raw []byte) (sharecode.ShareCode, error) {
	var d shareCodeDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return sharecode.ShareCode{}, fmt.Errorf("%s: stored document: %w", op, err)
	}
	return d.shareCode(), nil
}

// CreateShareCode implements app.ShareCodeStore.
func (s *Store) CreateShareCode(ctx context.Context, c sharecode.ShareCode) error {
	raw, err := json.Marshal(toShareCodeDoc(c))
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO share_codes (id, doc) VALUES (?, ?)`, c.ID, string(raw))
	return translate("create share code", err)
}

// ShareCode implements app.ShareCodeStore.
func (s *Store) ShareCode(ctx context.Context, patientID, id string) (sharecode.ShareCode, error) {
	var raw []byte
	err := s.queryRow(ctx, `SELECT doc FROM share_codes WHERE id = ? AND patient_id = ?`, id, patientID).Scan(&raw)
	if err != nil {
		return sharecode.ShareCode{}, translate("read share code", err)
	}
	return decodeShareCode("read share code", raw)
}

// ShareCodes implements app.ShareCodeStore through share_codes_by_patient.
func (s *Store) ShareCodes(ctx context.Context, patientID string) ([]sharecode.ShareCode, error) {
	rows, err := s.query(ctx, `SELECT doc FROM share_codes WHERE patient_id = ? ORDER BY created_at DESC, id DESC`, patientID)
	if err != nil {
		return nil, translate("list share codes", err)
	}
	defer rows.Close()
	var out []sharecode.ShareCode
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, translate("list share codes", err)
		}
		c, err := decodeShareCode("list share codes", raw)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, translate("list share codes", rows.Err())
}

// ShareCodeByHash implements app.ShareCodeStore through share_codes_by_hash.
func (s *Store) ShareCodeByHash(ctx context.Context, hash string) (sharecode.ShareCode, error) {
	var raw []byte
	if err := s.queryRow(ctx, `SELECT doc FROM share_codes WHERE code_hash = ?`, hash).Scan(&raw); err != nil {
		return sharecode.ShareCode{}, translate("find share code", err)
	}
	return decodeShareCode("find share code", raw)
}

// UseShareCode implements app.ShareCodeStore: one UPDATE whose WHERE is the rule,
// so of racing redeemers of the last view only one matches a row.
func (s *Store) UseShareCode(ctx context.Context, hash string, now time.Time) (sharecode.ShareCode, error) {
	var raw []byte
	err := s.w.QueryRowContext(ctx, `UPDATE share_codes
		SET doc = json_set(doc, '$.views', views + 1, '$.version', version + 1)
		WHERE code_hash = ? AND revoked_at IS NULL AND expires_at > ? AND (max_views = 0 OR views < max_views)
		RETURNING doc`, hash, now.UnixMilli()).Scan(&raw)
	if err != nil {
		return sharecode.ShareCode{}, translate("use share code", err)
	}
	return decodeShareCode("use share code", raw)
}

// UpdateShareCode implements app.ShareCodeStore with compare-and-set on the version.
func (s *Store) UpdateShareCode(ctx context.Context, patientID, id string, update func(*sharecode.ShareCode) error) (sharecode.ShareCode, error) {
	read := func() (sharecode.ShareCode, int64, error) {
		c, err := s.ShareCode(ctx, patientID, id)
		return c, c.Version, err
	}
	write := func(c *sharecode.ShareCode, seen int64) (bool, error) {
		c.ID, c.PatientID, c.Version = id, patientID, seen+1
		doc := toShareCodeDoc(*c)
		*c = doc.shareCode()
		raw, err := json.Marshal(doc)
		if err != nil {
			return false, err
		}
		res, err := s.w.ExecContext(ctx, `UPDATE share_codes SET doc = ? WHERE id = ? AND patient_id = ? AND version = ?`,
			string(raw), id, patientID, seen)
		if err != nil {
			return false, translate("update share code", err)
		}
		n, err := res.RowsAffected()
		return n == 1, translate("update share code", err)
	}
	return cas.Update(read, update, write)
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// grantDoc is how a grant is stored in grants.doc, times in Unix milliseconds.
type grantDoc struct {
	ID               string   `json:"id"`
	PatientID        string   `json:"patientId"`
	Organisation     string   `json:"organisation"`
	Basis            string   `json:"basis"`
	Categories       []string `json:"categories"`
	IncludeSensitive bool     `json:"includeSensitive"`
	Purpose          string   `json:"purpose"`
	Start            int64    `json:"start"`
	End              int64    `json:"end"`
	Reason           string   `json:"reason,omitempty"`
	CreatedBy        string   `json:"createdBy"`
	CreatedAt        int64    `json:"createdAt"`
	RevokedAt        int64    `json:"revokedAt,omitempty"`
	RevokedBy        string   `json:"revokedBy,omitempty"`
	IdempotencyKey   string   `json:"idempotencyKey,omitempty"`
	Version          int64    `json:"version"`
}

func toGrantDoc(g access.Grant) grantDoc {
	d := grantDoc{
		ID: g.ID, PatientID: g.PatientID, Organisation: g.Organisation, Basis: string(g.Basis),
		IncludeSensitive: g.IncludeSensitive, Purpose: g.Purpose, Start: g.Start.UnixMilli(), End: g.End.UnixMilli(),
		Reason: g.Reason, CreatedBy: g.CreatedBy, CreatedAt: g.CreatedAt.UnixMilli(), RevokedBy: g.RevokedBy,
		IdempotencyKey: g.IdempotencyKey, Version: g.Version,
	}
	for _, c := range g.Categories {
		d.Categories = append(d.Categories, string(c))
	}
	if !g.RevokedAt.IsZero() {
		d.RevokedAt = g.RevokedAt.UnixMilli()
	}
	return d
}

func (d grantDoc) grant() access.Grant {
	g := access.Grant{
		ID: d.ID, PatientID: d.PatientID, Organisation: d.Organisation, Basis: access.Basis(d.Basis),
		IncludeSensitive: d.IncludeSensitive, Purpose: d.Purpose, Start: fromMilli(d.Start), End: fromMilli(d.End),
		Reason: d.Reason, CreatedBy: d.CreatedBy, CreatedAt: fromMilli(d.CreatedAt), RevokedBy: d.RevokedBy,
		IdempotencyKey: d.IdempotencyKey, Version: d.Version,
	}
	for _, c := range d.Categories {
		g.Categories = append(g.Categories, record.Category(c))
	}
	if d.RevokedAt != 0 {
		g.RevokedAt = fromMilli(d.RevokedAt)
	}
	return g
}

// CreateGrant implements app.GrantStore. The insert does nothing on any uniqueness
// conflict; a grant found under the idempotency key then tells a retry from an id
// collision.
func (s *Store) CreateGrant(ctx context.Context, g access.Grant) (access.Grant, bool, error) {
	doc := toGrantDoc(g)
	raw, err := json.Marshal(doc)
	if err != nil {
		return access.Grant{}, false, err
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO grants (id, doc) VALUES (?, ?) ON CONFLICT DO NOTHING`, g.ID, string(raw))
	if err != nil {
		return access.Grant{}, false, translate("create grant", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return doc.grant(), err == nil, translate("create grant", err)
	}
	if g.IdempotencyKey != "" {
		var prior []byte
		err := s.queryRow(ctx, `SELECT doc FROM grants WHERE patient_id = ? AND idem_key = ?`,
			g.PatientID, g.IdempotencyKey).Scan(&prior)
		switch {
		case err == nil:
			found, err := decodeGrant(prior)
			return found, false, err
		case !errors.Is(err, sql.ErrNoRows):
			return access.Grant{}, false, translate("create grant", err)
		}
	}
	return access.Grant{}, false, fmt.Errorf("create grant: id taken: %w", fault.ErrConflict)
}

// Grant implements app.GrantStore.
func (s *Store) Grant(ctx context.Context, patientID, id string) (access.Grant, error) {
	var raw []byte
	err := s.queryRow(ctx, `SELECT doc FROM grants WHERE id = ? AND patient_id = ?`, id, patientID).Scan(&raw)
	if err != nil {
		return access.Grant{}, translate("read grant", err)
	}
	return decodeGrant(raw)
}

// Grants implements app.GrantStore through grants_by_patient.
func (s *Store) Grants(ctx context.Context, patientID string) ([]access.Grant, error) {
	rows, err := s.query(ctx, `SELECT doc FROM grants WHERE patient_id = ? ORDER BY created_at DESC, id DESC`, patientID)
	if err != nil {
		return nil, translate("list grants", err)
	}
	defer rows.Close()
	var out []access.Grant
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, translate("list grants", err)
		}
		g, err := decodeGrant(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, translate("list grants", rows.Err())
}

// UpdateGrant implements app.GrantStore with compare-and-set on the version.
func (s *Store) UpdateGrant(ctx context.Context, patientID, id string, update func(*access.Grant) error) (access.Grant, error) {
	read := func() (access.Grant, int64, error) {
		g, err := s.Grant(ctx, patientID, id)
		return g, g.Version, err
	}
	write := func(g *access.Grant, seen int64) (bool, error) {
		g.ID, g.PatientID, g.Version = id, patientID, seen+1
		doc := toGrantDoc(*g)
		*g = doc.grant()
		raw, err := json.Marshal(doc)
		if err != nil {
			return false, err
		}
		res, err := s.w.ExecContext(ctx, `UPDATE grants SET doc = ? WHERE id = ? AND patient_id = ? AND version = ?`,
			string(raw), id, patientID, seen)
		if err != nil {
			return false, translate("update grant", err)
		}
		n, err := res.RowsAffected()
		return n == 1, translate("update grant", err)
	}
	return cas.Update(read, update, write)
}

func decodeGrant(raw []byte) (access.Grant, error) {
	var d grantDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return access.Grant{}, fmt.Errorf("grant: stored document: %w", err)
	}
	return d.grant(), nil
}

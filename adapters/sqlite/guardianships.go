package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/adapters/internal/guardiandoc"
	"github.com/kith-health/kith/domain/guardianship"
)

// CreateGuardianship implements app.GuardianshipStore; the primary key lets one of
// racing creations with one id insert.
func (s *Store) CreateGuardianship(ctx context.Context, g guardianship.Guardianship) error {
	raw, err := json.Marshal(guardiandoc.FromGuardianship(g))
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO guardianships (id, doc) VALUES (?, ?)`, g.ID, string(raw))
	return translate("create guardianship", err)
}

// Guardianship implements app.GuardianshipStore.
func (s *Store) Guardianship(ctx context.Context, childID, id string) (guardianship.Guardianship, error) {
	var raw []byte
	err := s.queryRow(ctx, `SELECT doc FROM guardianships WHERE id = ? AND child_id = ?`, id, childID).Scan(&raw)
	if err != nil {
		return guardianship.Guardianship{}, translate("read guardianship", err)
	}
	return decodeGuardianship(raw)
}

// GuardianshipsOfChild implements app.GuardianshipStore through guardianships_by_child.
func (s *Store) GuardianshipsOfChild(ctx context.Context, childID string) ([]guardianship.Guardianship, error) {
	return s.guardianships(ctx, `SELECT doc FROM guardianships WHERE child_id = ? ORDER BY created_at, id`, childID)
}

// GuardianshipsOfGuardian implements app.GuardianshipStore through guardianships_by_guardian.
func (s *Store) GuardianshipsOfGuardian(ctx context.Context, guardianID string) ([]guardianship.Guardianship, error) {
	return s.guardianships(ctx, `SELECT doc FROM guardianships WHERE guardian_id = ? ORDER BY created_at, id`, guardianID)
}

func (s *Store) guardianships(ctx context.Context, query, arg string) ([]guardianship.Guardianship, error) {
	rows, err := s.query(ctx, query, arg)
	if err != nil {
		return nil, translate("list guardianships", err)
	}
	defer rows.Close()
	var out []guardianship.Guardianship
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, translate("list guardianships", err)
		}
		g, err := decodeGuardianship(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, translate("list guardianships", rows.Err())
}

// UpdateGuardianship implements app.GuardianshipStore with compare-and-set on the version.
func (s *Store) UpdateGuardianship(ctx context.Context, childID, id string, update func(*guardianship.Guardianship) error) (guardianship.Guardianship, error) {
	read := func() (guardianship.Guardianship, int64, error) {
		g, err := s.Guardianship(ctx, childID, id)
		return g, g.Version, err
	}
	write := func(g *guardianship.Guardianship, seen int64) (bool, error) {
		g.ID, g.ChildID, g.Version = id, childID, seen+1
		doc := guardiandoc.FromGuardianship(*g)
		*g = doc.Guardianship()
		raw, err := json.Marshal(doc)
		if err != nil {
			return false, err
		}
		res, err := s.w.ExecContext(ctx, `UPDATE guardianships SET doc = ? WHERE id = ? AND child_id = ? AND version = ?`,
			string(raw), id, childID, seen)
		if err != nil {
			return false, translate("update guardianship", err)
		}
		n, err := res.RowsAffected()
		return n == 1, translate("update guardianship", err)
	}
	return cas.Update(read, update, write)
}

// Screen implements app.GuardianshipStore.
func (s *Store) Screen(ctx context.Context, childID string) (guardianship.Screen, error) {
	var raw []byte
	err := s.queryRow(ctx, `SELECT doc FROM guardian_screens WHERE child_id = ?`, childID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return guardianship.Screen{ChildID: childID}, nil
	}
	if err != nil {
		return guardianship.Screen{}, translate("read screen", err)
	}
	var d guardiandoc.Screen
	if err := json.Unmarshal(raw, &d); err != nil {
		return guardianship.Screen{}, fmt.Errorf("screen: stored document: %w", err)
	}
	return d.Screen(), nil
}

// UpdateScreen implements app.GuardianshipStore: version 0 is a screen never
// stored, which the first write inserts (the primary key lets one racer do so).
func (s *Store) UpdateScreen(ctx context.Context, childID string, update func(*guardianship.Screen) error) (guardianship.Screen, error) {
	read := func() (guardianship.Screen, int64, error) {
		sc, err := s.Screen(ctx, childID)
		return sc, sc.Version, err
	}
	write := func(sc *guardianship.Screen, seen int64) (bool, error) {
		sc.ChildID, sc.Version = childID, seen+1
		doc := guardiandoc.FromScreen(*sc)
		*sc = doc.Screen()
		raw, err := json.Marshal(doc)
		if err != nil {
			return false, err
		}
		var res sql.Result
		if seen == 0 {
			res, err = s.w.ExecContext(ctx, `INSERT INTO guardian_screens (child_id, doc) VALUES (?, ?) ON CONFLICT DO NOTHING`, childID, string(raw))
		} else {
			res, err = s.w.ExecContext(ctx, `UPDATE guardian_screens SET doc = ? WHERE child_id = ? AND version = ?`, string(raw), childID, seen)
		}
		if err != nil {
			return false, translate("update screen", err)
		}
		n, err := res.RowsAffected()
		return n == 1, translate("update screen", err)
	}
	return cas.Update(read, update, write)
}

func decodeGuardianship(raw []byte) (guardianship.Guardianship, error) {
	var d guardiandoc.Guardianship
	if err := json.Unmarshal(raw, &d); err != nil {
		return guardianship.Guardianship{}, fmt.Errorf("guardianship: stored document: %w", err)
	}
	return d.Guardianship(), nil
}

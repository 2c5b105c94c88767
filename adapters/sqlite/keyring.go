package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/keyring"
)

// keyringID is the id of the keyring table's only row.
const keyringID = "kith"

// keyringDoc is how the keyring is stored in keyring.doc. Private keys are []byte,
// written as base64, so they come back byte for byte.
type keyringDoc struct {
	Keys    []keyDoc `json:"keys"`
	Version int64    `json:"version"`
}

type keyDoc struct {
	ID         string `json:"id"`
	PrivateJWK []byte `json:"privateJwk"`
	CreatedAt  int64  `json:"createdAt"`
}

func toKeyringDoc(k keyring.Keyring) keyringDoc {
	d := keyringDoc{Keys: make([]keyDoc, len(k.Keys)), Version: k.Version}
	for i, key := range k.Keys {
		d.Keys[i] = keyDoc{ID: key.ID, PrivateJWK: key.PrivateJWK, CreatedAt: key.CreatedAt.UnixMilli()}
	}
	return d
}

func (d keyringDoc) keyring() keyring.Keyring {
	k := keyring.Keyring{Version: d.Version}
	for _, key := range d.Keys {
		k.Keys = append(k.Keys, keyring.Key{ID: key.ID, PrivateJWK: key.PrivateJWK, CreatedAt: time.UnixMilli(key.CreatedAt).UTC()})
	}
	return k
}

// Keyring implements app.KeyringStore.
func (s *Store) Keyring(ctx context.Context) (keyring.Keyring, error) {
	var raw []byte
	if err := s.queryRow(ctx, `SELECT doc FROM keyring WHERE id = ?`, keyringID).Scan(&raw); err != nil {
		return keyring.Keyring{}, translate("read keyring", err)
	}
	var d keyringDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return keyring.Keyring{}, fmt.Errorf("read keyring: stored document: %w", err)
	}
	return d.keyring(), nil
}

// SaveKeyring implements app.KeyringStore in one conditional write: the first save is
// an INSERT that the primary key lets only one node make, later ones an UPDATE that
// matches only the version the caller read.
func (s *Store) SaveKeyring(ctx context.Context, k keyring.Keyring) (keyring.Keyring, error) {
	seen := k.Version
	k.Version = seen + 1
	doc := toKeyringDoc(k)
	raw, err := json.Marshal(doc)
	if err != nil {
		return keyring.Keyring{}, fmt.Errorf("save keyring: %w", err)
	}
	if seen == 0 {
		_, err := s.w.ExecContext(ctx, `INSERT INTO keyring (id, doc) VALUES (?, ?)`, keyringID, string(raw))
		if err != nil {
			return keyring.Keyring{}, translate("save keyring", err)
		}
		return doc.keyring(), nil
	}
	res, err := s.w.ExecContext(ctx, `UPDATE keyring SET doc = ? WHERE id = ? AND version = ?`, string(raw), keyringID, seen)
	if err != nil {
		return keyring.Keyring{}, translate("save keyring", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return keyring.Keyring{}, translate("save keyring", err)
	}
	if n == 0 {
		return keyring.Keyring{}, fmt.Errorf("save keyring: the stored keyring is not at version %d: %w", seen, fault.ErrConflict)
	}
	return doc.keyring(), nil // what a read would give: times at the stored precision
}

package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// assertionDoc is how a used client assertion is stored in assertions.doc. Only the
// expiry is ever queried; the client and jti are the primary key.
type assertionDoc struct {
	ClientID  string `json:"clientId"`
	JTI       string `json:"jti"`
	ExpiresAt int64  `json:"expiresAt"`
}

// UseAssertion implements app.AssertionStore; the (client_id, jti) primary key turns
// a replay, or the loser of two concurrent uses, into ErrConflict.
func (s *Store) UseAssertion(ctx context.Context, clientID, jti string, expiresAt time.Time) error {
	// Milliseconds, truncated: PurgeAssertions compares truncated milliseconds too, and
	// floor(exp) < floor(t) implies exp < t, so nothing is purged before it expires.
	doc, err := json.Marshal(assertionDoc{ClientID: clientID, JTI: jti, ExpiresAt: expiresAt.UnixMilli()})
	if err != nil {
		return fmt.Errorf("use assertion: %w", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO assertions (client_id, jti, doc) VALUES (?, ?, ?)`,
		clientID, jti, string(doc))
	return translate("use assertion", err)
}

// PurgeAssertions implements app.AssertionStore, deleting through assertions_by_expiry.
func (s *Store) PurgeAssertions(ctx context.Context, expiredBefore time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM assertions WHERE expires_at < ?`, expiredBefore.UnixMilli())
	if err != nil {
		return 0, translate("purge assertions", err)
	}
	n, err := res.RowsAffected()
	return n, translate("purge assertions", err)
}

package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

// AcquireLease implements app.ExchangeStore in one upsert: the insert takes a name
// never taken (or released), and on the primary key conflict the update's WHERE
// takes it only from its own holder or from a lease that ran out before now. A row
// changed means the lease is holder's; none means another holds it.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) error {
	res, err := s.w.ExecContext(ctx, `INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.holder = excluded.holder OR leases.until < ?`,
		name, holder, until.UnixMilli(), now.UnixMilli())
	if err != nil {
		return translate("acquire lease", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate("acquire lease", err)
	}
	if n == 0 {
		return fmt.Errorf("acquire lease: held by another: %w", fault.ErrConflict)
	}
	return nil
}

// ReleaseLease implements app.ExchangeStore: the row goes if holder has it, so the
// next acquisition is a plain insert. Releasing what is not held changes nothing.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
	return translate("release lease", err)
}

package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/exchange"
	"github.com/kith-health/kith/domain/fault"
)

// cursorDoc is how one Cursor is stored in exchange_links.cursors, a JSON array;
// times are Unix milliseconds, left out when zero.
type cursorDoc struct {
	ResourceType   string `json:"resourceType"`
	Since          *int64 `json:"since,omitempty"`
	Next           string `json:"next,omitempty"`
	SweepStartedAt *int64 `json:"sweepStartedAt,omitempty"`
}

func optMilli(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

func fromOptMilli(ms *int64) time.Time {
	if ms == nil {
		return time.Time{}
	}
	return fromMilli(*ms)
}

// linkColumns are the exchange_links columns in the order scanLink reads them.
const linkColumns = `id, patient_id, exchange_id, status, source_patient, cursors, last_attempt_at,
	last_success_at, last_error, last_error_reason, failures, next_due_at, pulled, sync_requested_at,
	alert_new_results, lease_holder, lease_until, created_at, updated_at, version`

// linkArgs are l's column values in linkColumns order.
func linkArgs(l exchange.Link) ([]any, error) {
	cursors := make([]cursorDoc, 0, len(l.Cursors))
	for _, c := range l.Cursors {
		cursors = append(cursors, cursorDoc{ResourceType: c.ResourceType, Since: optMilli(c.Since), Next: c.Next,
			SweepStartedAt: optMilli(c.SweepStartedAt)})
	}
	raw, err := json.Marshal(cursors)
	if err != nil {
		return nil, err
	}
	return []any{l.ID, l.PatientID, l.ExchangeID, string(l.Status), l.SourcePatient, string(raw),
		nullMilli(l.LastAttemptAt), nullMilli(l.LastSuccessAt), l.LastError, l.LastErrorReason, l.Failures,
		l.NextDueAt.UnixMilli(), l.Pulled, nullMilli(l.SyncRequestedAt), l.AlertNewResults, l.LeaseHolder,
		nullMilli(l.LeaseUntil), l.CreatedAt.UnixMilli(), l.UpdatedAt.UnixMilli(), l.Version}, nil
}

// scanLink reads one row of linkColumns.
func scanLink(row interface{ Scan(...any) error }) (exchange.Link, error) {
	var l exchange.Link
	var status string
	var cursors []byte
	var attempt, success, syncRequested, leaseUntil sql.NullInt64
	var due, created, updated int64
	if err := row.Scan(&l.ID, &l.PatientID, &l.ExchangeID, &status, &l.SourcePatient, &cursors, &attempt,
		&success, &l.LastError, &l.LastErrorReason, &l.Failures, &due, &l.Pulled, &syncRequested,
		&l.AlertNewResults, &l.LeaseHolder, &leaseUntil, &created, &updated, &l.Version); err != nil {
		return exchange.Link{}, err
	}
	var docs []cursorDoc
	if err := json.Unmarshal(cursors, &docs); err != nil {
		return exchange.Link{}, fmt.Errorf("stored cursors: %w", err)
	}
	for _, d := range docs {
		l.Cursors = append(l.Cursors, exchange.Cursor{ResourceType: d.ResourceType, Since: fromOptMilli(d.Since),
			Next: d.Next, SweepStartedAt: fromOptMilli(d.SweepStartedAt)})
	}
	l.Status = exchange.LinkStatus(status)
	l.LastAttemptAt, l.LastSuccessAt = fromNullMilli(attempt), fromNullMilli(success)
	l.SyncRequestedAt, l.LeaseUntil = fromNullMilli(syncRequested), fromNullMilli(leaseUntil)
	l.NextDueAt, l.CreatedAt, l.UpdatedAt = fromMilli(due), fromMilli(created), fromMilli(updated)
	return l, nil
}

// normaliseLink makes l what reading it back gives.
func normaliseLink(l *exchange.Link) {
	for _, t := range []*time.Time{&l.LastAttemptAt, &l.LastSuccessAt, &l.NextDueAt, &l.SyncRequestedAt,
		&l.LeaseUntil, &l.CreatedAt, &l.UpdatedAt} {
		*t = utcMilli(*t)
	}
	if len(l.Cursors) == 0 {
		l.Cursors = nil
	}
	for i := range l.Cursors {
		c := &l.Cursors[i]
		c.Since, c.SweepStartedAt = utcMilli(c.Since), utcMilli(c.SweepStartedAt)
	}
}

// CreateLink implements app.ExchangeStore. The insert does nothing on any
// uniqueness conflict; the patient's link to the exchange, found then, tells a
// retried link from an id collision.
func (s *Store) CreateLink(ctx context.Context, l exchange.Link) (exchange.Link, bool, error) {
	args, err := linkArgs(l)
	if err != nil {
		return exchange.Link{}, false, fmt.Errorf("create link: %w", err)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO exchange_links (`+linkColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return exchange.Link{}, false, translate("create link", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		normaliseLink(&l)
		return l, err == nil, translate("create link", err)
	}
	prior, err := scanLink(s.queryRow(ctx, `SELECT `+linkColumns+` FROM exchange_links
		WHERE patient_id = ? AND exchange_id = ?`, l.PatientID, l.ExchangeID))
	switch {
	case err == nil:
		return prior, false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return exchange.Link{}, false, translate("create link", err)
	}
	return exchange.Link{}, false, fmt.Errorf("create link: id taken: %w", fault.ErrConflict)
}

// Link implements app.ExchangeStore.
func (s *Store) Link(ctx context.Context, patientID, id string) (exchange.Link, error) {
	l, err := scanLink(s.queryRow(ctx, `SELECT `+linkColumns+` FROM exchange_links
		WHERE id = ? AND patient_id = ?`, id, patientID))
	return l, translate("read link", err)
}

// Links implements app.ExchangeStore through the (patient_id, exchange_id) index; a
// patient's few links are sorted in memory.
func (s *Store) Links(ctx context.Context, patientID string) ([]exchange.Link, error) {
	rows, err := s.query(ctx, `SELECT `+linkColumns+` FROM exchange_links
		WHERE patient_id = ? ORDER BY created_at, id`, patientID)
	if err != nil {
		return nil, translate("list links", err)
	}
	defer rows.Close()
	var out []exchange.Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, translate("list links", err)
		}
		out = append(out, l)
	}
	return out, translate("list links", rows.Err())
}

// UpdateLink implements app.ExchangeStore with compare-and-set on the version. The
// link stays the patient's and the exchange's: update cannot move it.
func (s *Store) UpdateLink(ctx context.Context, patientID, id string, update func(*exchange.Link) error) (exchange.Link, error) {
	var exchangeID string
	read := func() (exchange.Link, int64, error) {
		l, err := s.Link(ctx, patientID, id)
		exchangeID = l.ExchangeID
		return l, l.Version, err
	}
	write := func(l *exchange.Link, seen int64) (bool, error) {
		l.ID, l.PatientID, l.ExchangeID, l.Version = id, patientID, exchangeID, seen+1
		normaliseLink(l)
		args, err := linkArgs(*l)
		if err != nil {
			return false, fmt.Errorf("update link: %w", err)
		}
		res, err := s.w.ExecContext(ctx, `UPDATE exchange_links SET status = ?, source_patient = ?, cursors = ?,
			last_attempt_at = ?, last_success_at = ?, last_error = ?, last_error_reason = ?, failures = ?,
			next_due_at = ?, pulled = ?, sync_requested_at = ?, alert_new_results = ?, lease_holder = ?,
			lease_until = ?, created_at = ?, updated_at = ?, version = ?
			WHERE id = ? AND patient_id = ? AND version = ?`, append(args[3:], id, patientID, seen)...)
		if err != nil {
			return false, translate("update link", err)
		}
		n, err := res.RowsAffected()
		return n == 1, translate("update link", err)
	}
	return cas.Update(read, update, write)
}

// DeleteLink implements app.ExchangeStore.
func (s *Store) DeleteLink(ctx context.Context, patientID, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM exchange_links WHERE id = ? AND patient_id = ?`, id, patientID)
	if err != nil {
		return translate("delete link", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("delete link: %w", fault.ErrNotFound)
	}
	return nil
}

// linkClaimable is the rule for a link a node may claim at now (the first argument
// twice over): due, and either not held or held by a lease that ran out before now.
const linkClaimable = `next_due_at <= ? AND (lease_holder = '' OR coalesce(lease_until, 0) < ?)`

// ClaimLinks implements app.ExchangeStore. It finds candidates through
// exchange_links_due, most overdue first, and claims each in one UPDATE whose WHERE
// repeats the rule (linkClaimable), so of nodes racing for one link only one
// changes the row and the others pass it by. A find overtaken that way leaves the
// call short, so it looks again, past the ids it has tried, until it holds limit
// links or a find brings nothing new. The links come back most overdue first.
//
// Each claim is a statement of its own rather than one UPDATE of them all, so that a
// claim is the same conditional single-row write as in the MongoDB store.
func (s *Store) ClaimLinks(ctx context.Context, claimant string, now, leaseUntil time.Time, limit int, skip []string) ([]exchange.Link, error) {
	var claimed []exchange.Link
	var tried []string
	for len(claimed) < limit {
		ids, err := s.linkCandidates(ctx, now, skip, tried, limit-len(claimed))
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			break
		}
		for _, id := range ids {
			tried = append(tried, id)
			l, err := scanLink(s.w.QueryRowContext(ctx, `UPDATE exchange_links
				SET lease_holder = ?, lease_until = ?, version = version + 1
				WHERE id = ? AND `+linkClaimable+` RETURNING `+linkColumns,
				claimant, leaseUntil.UnixMilli(), id, now.UnixMilli(), now.UnixMilli()))
			switch {
			case err == nil:
				claimed = append(claimed, l)
			case errors.Is(err, sql.ErrNoRows): // another node got there first
			default:
				return nil, translate("claim link", err)
			}
		}
	}
	slices.SortFunc(claimed, func(a, b exchange.Link) int {
		return cmp.Or(a.NextDueAt.Compare(b.NextDueAt), cmp.Compare(a.ID, b.ID))
	})
	return claimed, nil
}

// linkCandidates finds the ids of up to limit claimable links, most overdue first
// with id breaking ties, leaving out links of the exchanges in skip and the links in
// tried.
func (s *Store) linkCandidates(ctx context.Context, now time.Time, skip, tried []string, limit int) ([]string, error) {
	query := `SELECT id FROM exchange_links WHERE ` + linkClaimable
	args := []any{now.UnixMilli(), now.UnixMilli()}
	for _, not := range []struct {
		column string
		values []string
	}{{"exchange_id", skip}, {"id", tried}} {
		if len(not.values) == 0 {
			continue
		}
		query += ` AND ` + not.column + ` NOT IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(not.values)), ", ") + `)`
		for _, v := range not.values {
			args = append(args, v)
		}
	}
	query += ` ORDER BY next_due_at, id LIMIT ?`
	args = append(args, limit)
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, translate("claim links: find", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate("claim links: find", err)
		}
		ids = append(ids, id)
	}
	return ids, translate("claim links: find", rows.Err())
}

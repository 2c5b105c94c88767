package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kith-health/kith/adapters/internal/entries"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/record"
)

// ChangesForDisclosure implements app.RecordStore through entries_by_change. PutEntry
// takes a number and stores its entry in one transaction, and transactions commit in
// the order they took the write lock, so every statement sees all numbers up to some
// point and none beyond: there is never a number still being written below one that
// is visible. A missing number is one whose entry was written again since (it now
// holds a later number) or erased, and is safe to pass over.
//
// The epoch is read after the entries: an erasure between the two reads then shows as
// a new epoch, and a device starting again from the beginning reads only what came
// after the erasure.
func (s *Store) ChangesForDisclosure(ctx context.Context, patientID string, after int64, limit int) ([]record.Entry, int64, error) {
	if err := entries.CheckLimit("list changes", limit); err != nil {
		return nil, 0, err
	}
	rows, err := s.query(ctx, `SELECT doc, resource FROM entries
		WHERE patient_id = ? AND change_seq > ? ORDER BY change_seq LIMIT ?`, patientID, max(after, 0), limit)
	if err != nil {
		return nil, 0, translate("list changes", err)
	}
	defer rows.Close()
	var changes []record.Entry
	for rows.Next() {
		var raw, resource []byte
		if err := rows.Scan(&raw, &resource); err != nil {
			return nil, 0, translate("list changes", err)
		}
		e, err := decodeEntry("list changes", raw, resource)
		if err != nil {
			return nil, 0, err
		}
		changes = append(changes, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, translate("list changes", err)
	}
	rows.Close()
	var epoch int64
	err = s.queryRow(ctx, `SELECT epoch FROM record_state WHERE patient_id = ?`, patientID).Scan(&epoch)
	if err != nil && !errors.Is(err, sql.ErrNoRows) { // no row: no record yet, epoch 0
		return nil, 0, translate("list changes: epoch", err)
	}
	return changes, epoch, nil
}

// EraseRecord implements app.RecordStore in one transaction: the entries and
// summary docs go and the epoch moves on together. The record_state row stays, so change numbers
// keep rising across the erasure.
func (s *Store) EraseRecord(ctx context.Context, patientID string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return translate("erase record", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM entries WHERE patient_id = ?`, patientID); err != nil {
		return translate("erase record: entries", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM summary_docs WHERE patient_id = ?`, patientID); err != nil {
		return translate("erase record: summary docs", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO record_state (patient_id, last_seq, epoch, updated) VALUES (?, 0, 1, ?)
		ON CONFLICT (patient_id) DO UPDATE SET epoch = epoch + 1, updated = excluded.updated`,
		patientID, time.Now().UnixMilli()); err != nil {
		return translate("erase record: epoch", err)
	}
	return translate("erase record: commit", tx.Commit())
}

// RecordMark implements app.RecordStore from record_state: a write takes its number
// and stores its entry in one transaction, so every mark read is settled.
func (s *Store) RecordMark(ctx context.Context, patientID string) (app.RecordMark, error) {
	m := app.RecordMark{Settled: true}
	err := s.queryRow(ctx, `SELECT epoch, last_seq FROM record_state WHERE patient_id = ?`, patientID).Scan(&m.Epoch, &m.LastSeq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return app.RecordMark{}, translate("record mark", err)
	}
	return m, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kith-health/kith/adapters/internal/entries"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// PutEntry implements app.RecordStore. The next ChangeSeq is taken and the entry
// written in one immediate transaction, so a write that loses its compare-and-set
// gives its number back, and the change feed, reading committed rows, never sees a
// number before its entry: SQLite's feed has no gaps to wait on.
func (s *Store) PutEntry(ctx context.Context, e record.Entry, expect int64) (record.Entry, error) {
	if err := entries.CheckPut(e, expect); err != nil {
		return record.Entry{}, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return record.Entry{}, translate("put entry", err)
	}
	defer tx.Rollback()
	st, err := prepareEntryWrites(ctx, tx)
	if err != nil {
		return record.Entry{}, err
	}
	stored, err := putEntryTx(ctx, st, e, expect)
	if err != nil {
		return record.Entry{}, err
	}
	if err := tx.Commit(); err != nil {
		return record.Entry{}, translate("put entry: commit", err)
	}
	return stored, nil
}

// PutEntries implements app.RecordStore: every write in one transaction, which
// costs one commit instead of one per entry. Any lost compare-and-set rolls the
// whole batch back, so it writes all or none.
func (s *Store) PutEntries(ctx context.Context, puts []app.EntryPut) (int, error) {
	for _, p := range puts {
		if err := entries.CheckPut(p.Entry, p.Expect); err != nil {
			return 0, err
		}
	}
	if len(puts) == 0 {
		return 0, nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, translate("put entries", err)
	}
	defer tx.Rollback()
	st, err := prepareEntryWrites(ctx, tx)
	if err != nil {
		return 0, err
	}
	for _, p := range puts {
		if _, err := putEntryTx(ctx, st, p.Entry, p.Expect); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, translate("put entries: commit", err)
	}
	return len(puts), nil
}

// The statements of one entry write. A batch prepares them once: SQLite would
// otherwise parse the same SQL again for every entry.
const (
	nextChangeSQL = `INSERT INTO record_state (patient_id, last_seq, epoch, updated) VALUES (?, 1, 0, ?)
		ON CONFLICT (patient_id) DO UPDATE SET last_seq = last_seq + 1, updated = excluded.updated
		RETURNING last_seq`
	insertEntrySQL = `INSERT INTO entries (id, doc, resource, patient_id, date, category, resource_type,
			change_seq, deleted, revision, section, current, sensitive, source, updated)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateEntrySQL = `UPDATE entries SET doc = ?, resource = ?, patient_id = ?, date = ?, category = ?,
			resource_type = ?, change_seq = ?, deleted = ?, revision = ?, section = ?, current = ?, sensitive = ?,
			source = ?, updated = ? WHERE id = ? AND patient_id = ? AND revision = ?`
)

type entryStatements struct{ nextChange, insert, update *sql.Stmt }

func prepareEntryWrites(ctx context.Context, tx *sql.Tx) (*entryStatements, error) {
	var st entryStatements
	var err error
	if st.nextChange, err = tx.PrepareContext(ctx, nextChangeSQL); err != nil {
		return nil, translate("put entries", err)
	}
	if st.insert, err = tx.PrepareContext(ctx, insertEntrySQL); err != nil {
		return nil, translate("put entries", err)
	}
	if st.update, err = tx.PrepareContext(ctx, updateEntrySQL); err != nil {
		return nil, translate("put entries", err)
	}
	return &st, nil
}

// putEntryTx takes the patient's next ChangeSeq and writes e with st, within one
// transaction.
func putEntryTx(ctx context.Context, st *entryStatements, e record.Entry, expect int64) (record.Entry, error) {
	if err := st.nextChange.QueryRowContext(ctx, e.PatientID, time.Now().UnixMilli()).Scan(&e.ChangeSeq); err != nil {
		return record.Entry{}, translate("put entry: next change", err)
	}
	e.Revision = expect + 1
	doc := toEntryDoc(e)
	raw, err := json.Marshal(doc)
	if err != nil {
		return record.Entry{}, fmt.Errorf("put entry: %w", err)
	}
	resource := keptResource(e)
	columns := []any{string(raw), resource, doc.PatientID, doc.Date, doc.Category, doc.ResourceType, doc.ChangeSeq,
		doc.Deleted, doc.Revision, doc.Section, doc.Current, doc.Sensitive, e.Source(), doc.UpdatedAt}
	if expect == 0 {
		// The primary key turns a second creation into ErrConflict.
		_, err := st.insert.ExecContext(ctx, append([]any{e.ID}, columns...)...)
		if err != nil {
			return record.Entry{}, translate("put entry", err)
		}
	} else {
		res, err := st.update.ExecContext(ctx, append(columns, e.ID, e.PatientID, expect)...)
		if err != nil {
			return record.Entry{}, translate("put entry", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return record.Entry{}, translate("put entry", err)
		}
		if n == 0 {
			return record.Entry{}, fmt.Errorf("put entry: the stored entry is not at revision %d: %w", expect, fault.ErrConflict)
		}
	}
	return doc.entry(resource), nil // what a read would give: times at the stored precision
}

// EntryForDisclosure implements app.RecordStore.
func (s *Store) EntryForDisclosure(ctx context.Context, patientID, id string) (record.Entry, error) {
	var raw, resource []byte
	err := s.queryRow(ctx, `SELECT doc, resource FROM entries WHERE id = ? AND patient_id = ? AND deleted = 0`,
		id, patientID).Scan(&raw, &resource)
	if err != nil {
		return record.Entry{}, translate("read entry", err)
	}
	return decodeEntry("read entry", raw, resource)
}

// EntryState implements app.RecordStore.
// EntryStates implements app.RecordStore, in one query.
func (s *Store) EntryStates(ctx context.Context, patientID string, ids []string) (map[string]record.Entry, error) {
	out := make(map[string]record.Entry, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)] // well within SQLite's limit on parameters
		ids = ids[len(chunk):]
		args := []any{patientID}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.query(ctx, `SELECT doc, resource FROM entries WHERE patient_id = ? AND id IN (?`+
			strings.Repeat(",?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, translate("read entry states", err)
		}
		for rows.Next() {
			var raw, resource []byte
			if err := rows.Scan(&raw, &resource); err != nil {
				rows.Close()
				return nil, translate("read entry states", err)
			}
			e, err := decodeEntry("read entry states", raw, resource)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[e.ID] = e
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, translate("read entry states", err)
		}
	}
	return out, nil
}

func (s *Store) EntryState(ctx context.Context, patientID, id string) (record.Entry, error) {
	var raw, resource []byte
	err := s.queryRow(ctx, `SELECT doc, resource FROM entries WHERE id = ? AND patient_id = ?`, id, patientID).Scan(&raw, &resource)
	if err != nil {
		return record.Entry{}, translate("read entry state", err)
	}
	return decodeEntry("read entry state", raw, resource)
}

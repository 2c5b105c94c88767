package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unsafe"

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
	seq, err := takeChangeBlock(ctx, st, e.PatientID, 1)
	if err != nil {
		return record.Entry{}, err
	}
	doc, err := putEntryTx(ctx, st, &e, expect, seq)
	if err != nil {
		return record.Entry{}, err
	}
	if err := tx.Commit(); err != nil {
		return record.Entry{}, translate("put entry: commit", err)
	}
	return doc.entry(keptResource(&e)), nil // what a read would give: times at the stored precision
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
	seqs, err := takeChanges(ctx, st, puts)
	if err != nil {
		return 0, err
	}
	for i := range puts {
		if _, err := putEntryTx(ctx, st, &puts[i].Entry, puts[i].Expect, seqs[i]); err != nil {
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
	nextChangeSQL = `INSERT INTO record_state (patient_id, last_seq, epoch, updated) VALUES (?, ?, 0, ?)
		ON CONFLICT (patient_id) DO UPDATE SET last_seq = last_seq + excluded.last_seq, updated = excluded.updated
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

// takeChanges takes the next ChangeSeqs of a batch, in order: one block per
// patient in one statement, not a statement per entry.
func takeChanges(ctx context.Context, st *entryStatements, puts []app.EntryPut) ([]int64, error) {
	count := map[string]int64{}
	for _, p := range puts {
		count[p.Entry.PatientID]++
	}
	next := make(map[string]int64, len(count))
	for patientID, n := range count {
		last, err := takeChangeBlock(ctx, st, patientID, n)
		if err != nil {
			return nil, err
		}
		next[patientID] = last - n + 1
	}
	seqs := make([]int64, len(puts))
	for i, p := range puts {
		seqs[i] = next[p.Entry.PatientID]
		next[p.Entry.PatientID]++
	}
	return seqs, nil
}

// takeChangeBlock takes the patient's next n ChangeSeqs, answering the last.
func takeChangeBlock(ctx context.Context, st *entryStatements, patientID string, n int64) (int64, error) {
	var last int64
	if err := st.nextChange.QueryRowContext(ctx, patientID, n, time.Now().UnixMilli()).Scan(&last); err != nil {
		return 0, translate("put entry: next change", err)
	}
	return last, nil
}

// putEntryTx writes e as change seq with st, within one transaction, answering
// the document it stored. It takes e by pointer and keeps no copy: a batch
// writes thousands of entries, each a few hundred bytes of struct.
func putEntryTx(ctx context.Context, st *entryStatements, e *record.Entry, expect, seq int64) (entryDoc, error) {
	doc := toEntryDoc(e)
	doc.ChangeSeq, doc.Revision = seq, expect+1
	raw, err := json.Marshal(doc)
	if err != nil {
		return entryDoc{}, fmt.Errorf("put entry: %w", err)
	}
	// The document is bound as text (the column is STRICT TEXT) without a second
	// copy: raw is not touched again, and the driver copies it into SQLite.
	text := unsafe.String(unsafe.SliceData(raw), len(raw))
	resource := keptResource(e)
	if expect == 0 {
		// The unique (patient_id, id) turns a second creation into ErrConflict.
		_, err := st.insert.ExecContext(ctx, e.ID, text, resource, doc.PatientID, doc.Date, doc.Category,
			doc.ResourceType, doc.ChangeSeq, doc.Deleted, doc.Revision, doc.Section, doc.Current, doc.Sensitive,
			e.Source(), doc.UpdatedAt)
		if err != nil {
			return entryDoc{}, translate("put entry", err)
		}
		return doc, nil
	}
	res, err := st.update.ExecContext(ctx, text, resource, doc.PatientID, doc.Date, doc.Category,
		doc.ResourceType, doc.ChangeSeq, doc.Deleted, doc.Revision, doc.Section, doc.Current, doc.Sensitive,
		e.Source(), doc.UpdatedAt, e.ID, e.PatientID, expect)
	if err != nil {
		return entryDoc{}, translate("put entry", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return entryDoc{}, translate("put entry", err)
	}
	if n == 0 {
		return entryDoc{}, fmt.Errorf("put entry: the stored entry is not at revision %d: %w", expect, fault.ErrConflict)
	}
	return doc, nil
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

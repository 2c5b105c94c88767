package sqlite

import (
	"context"
	"strings"

	"github.com/kith-health/kith/adapters/internal/entries"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/record"
)

// eachBatch is how many entries EachEntryForDisclosure reads at a time: enough to keep
// round trips few, few enough that a batch of large resources stays small in memory.
const eachBatch = 100

// EntryHeads implements app.RecordStore through entries_by_date (entries_by_category
// when filtering by category, entries_by_section by section): newest first, ties broken by id descending, and the
// cursor is the (date, id) of the page's last entry, so the next page starts strictly
// below it and entries sharing a date are neither repeated nor skipped.
func (s *Store) EntryHeads(ctx context.Context, patientID string, q app.EntryQuery) ([]record.Entry, string, error) {
	if err := entries.CheckLimit("list entries", q.Limit); err != nil {
		return nil, "", err
	}
	// Only fixed fragments go into the statement; every value is a parameter.
	where := []string{"patient_id = ?", "deleted = 0"}
	args := []any{patientID}
	if q.Category != "" {
		where, args = append(where, "category = ?"), append(args, string(q.Category))
	}
	if q.Section != "" {
		where, args = append(where, "section = ?"), append(args, string(q.Section))
	}
	switch q.State {
	case app.StateCurrent:
		where = append(where, "current = 1")
	case app.StatePast:
		where = append(where, "current = 0")
	}
	if q.Within != nil {
		clause, scopeArgs := withinScope(q.Within)
		where, args = append(where, clause), append(args, scopeArgs...)
	}
	if q.ResourceType != "" {
		where, args = append(where, "resource_type = ?"), append(args, q.ResourceType)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "date >= ?"), append(args, entries.CeilMilli(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "date < ?"), append(args, entries.CeilMilli(q.Until))
	}
	if q.Cursor != "" {
		c, err := entries.DecodeCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "(date, id) < (?, ?)"), append(args, c.DateMs, c.ID)
	}
	// One more than asked tells whether another page exists.
	args = append(args, q.Limit+1)
	rows, err := s.query(ctx, `SELECT doc FROM entries WHERE `+strings.Join(where, " AND ")+
		` ORDER BY date DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", translate("list entries", err)
	}
	defer rows.Close()
	var heads []record.Entry
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, "", translate("list entries", err)
		}
		e, err := decodeEntry("list entries", raw, nil)
		if err != nil {
			return nil, "", err
		}
		heads = append(heads, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", translate("list entries", err)
	}
	if len(heads) <= q.Limit {
		return heads, "", nil
	}
	heads = heads[:q.Limit]
	last := heads[q.Limit-1]
	return heads, entries.Cursor{DateMs: last.Display.Date.UnixMilli(), ID: last.ID}.Encode(), nil
}

// EachEntryForDisclosure implements app.RecordStore, reading eachBatch entries at a
// time through entries_by_patient. Each batch is read whole and its statement closed
// before fn runs, so a slow fn holds no read transaction open.
func (s *Store) EachEntryForDisclosure(ctx context.Context, patientID string, fn func(record.Entry) error) error {
	after := ""
	for {
		batch, err := s.entryBatch(ctx, patientID, after)
		if err != nil {
			return err
		}
		for _, e := range batch {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(batch) < eachBatch {
			return nil
		}
		after = batch[len(batch)-1].ID
	}
}

// entryBatch reads the next live entries with ids above after.
func (s *Store) entryBatch(ctx context.Context, patientID, after string) ([]record.Entry, error) {
	rows, err := s.query(ctx, `SELECT doc, resource FROM entries
		WHERE patient_id = ? AND deleted = 0 AND id > ? ORDER BY id LIMIT ?`, patientID, after, eachBatch)
	if err != nil {
		return nil, translate("read entries", err)
	}
	defer rows.Close()
	var batch []record.Entry
	for rows.Next() {
		var raw, resource []byte
		if err := rows.Scan(&raw, &resource); err != nil {
			return nil, translate("read entries", err)
		}
		e, err := decodeEntry("read entries", raw, resource)
		if err != nil {
			return nil, err
		}
		batch = append(batch, e)
	}
	return batch, translate("read entries", rows.Err())
}

// withinScope is the filter for an access decision's scope: a category seen whole,
// or one seen without its sensitive entries. An empty scope matches nothing.
func withinScope(scope access.Scope) (string, []any) {
	var whole, plain []string
	var wholeArgs, plainArgs []any
	for c, sensitive := range scope {
		if sensitive {
			whole, wholeArgs = append(whole, "?"), append(wholeArgs, string(c))
		} else {
			plain, plainArgs = append(plain, "?"), append(plainArgs, string(c))
		}
	}
	clauses := []string{"0"}
	if len(whole) > 0 {
		clauses = append(clauses, "category IN ("+strings.Join(whole, ",")+")")
	}
	if len(plain) > 0 {
		clauses = append(clauses, "(category IN ("+strings.Join(plain, ",")+") AND sensitive = 0)")
	}
	return "(" + strings.Join(clauses, " OR ") + ")", append(wholeArgs, plainArgs...)
}

package sqlite

import (
	"context"
	"time"

	"github.com/kith-health/kith/domain/record"
)

// RecordTally implements app.RecordStore with two grouped reads that the
// entries_tally and entries_by_source indexes answer without opening a document.
func (s *Store) RecordTally(ctx context.Context, patientID string) (record.Tally, error) {
	t := record.Tally{LastSync: map[string]time.Time{}}
	rows, err := s.db.QueryContext(ctx, `SELECT category, section, current, sensitive, count(*) FROM entries
		WHERE patient_id = ? AND deleted = 0 GROUP BY category, section, current, sensitive`, patientID)
	if err != nil {
		return record.Tally{}, translate("tally record", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r record.TallyRow
		if err := rows.Scan(&r.Category, &r.Section, &r.Current, &r.Sensitive, &r.Entries); err != nil {
			return record.Tally{}, translate("tally record", err)
		}
		t.Rows = append(t.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return record.Tally{}, translate("tally record", err)
	}
	rows.Close()

	sources, err := s.db.QueryContext(ctx, `SELECT source, max(updated) FROM entries
		WHERE patient_id = ? AND deleted = 0 AND source != '' GROUP BY source`, patientID)
	if err != nil {
		return record.Tally{}, translate("tally record: sources", err)
	}
	defer sources.Close()
	for sources.Next() {
		var source string
		var ms int64
		if err := sources.Scan(&source, &ms); err != nil {
			return record.Tally{}, translate("tally record: sources", err)
		}
		t.LastSync[source] = fromMilli(ms)
	}
	return t, translate("tally record: sources", sources.Err())
}

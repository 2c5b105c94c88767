package sqlite

import (
	"context"
	"time"

	"github.com/kith-health/kith/domain/record"
)

// RecordTally implements app.RecordStore in one grouped read that entries_tally
// answers from the index alone, never opening a document: the count per kind of
// entry and source, and each group's newest change, folded into the tally's rows
// and each source's last change.
func (s *Store) RecordTally(ctx context.Context, patientID string) (record.Tally, error) {
	rows, err := s.query(ctx, `SELECT category, section, current, sensitive, source, count(*), max(updated)
		FROM entries WHERE patient_id = ? AND deleted = 0
		GROUP BY category, section, current, sensitive, source`, patientID)
	if err != nil {
		return record.Tally{}, translate("tally record", err)
	}
	defer rows.Close()
	t := record.Tally{LastSync: map[string]time.Time{}}
	counts := map[record.TallyRow]int{}
	var order []record.TallyRow
	for rows.Next() {
		var r record.TallyRow
		var source string
		var n int
		var newest int64
		if err := rows.Scan(&r.Category, &r.Section, &r.Current, &r.Sensitive, &source, &n, &newest); err != nil {
			return record.Tally{}, translate("tally record", err)
		}
		if _, seen := counts[r]; !seen {
			order = append(order, r)
		}
		counts[r] += n
		if at := fromMilli(newest); source != "" && at.After(t.LastSync[source]) {
			t.LastSync[source] = at
		}
	}
	if err := rows.Err(); err != nil {
		return record.Tally{}, translate("tally record", err)
	}
	for _, r := range order {
		r.Entries = counts[r]
		t.Rows = append(t.Rows, r)
	}
	return t, nil
}

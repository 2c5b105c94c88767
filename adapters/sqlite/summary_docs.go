package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/kith-health/kith/app"
)

// SummaryDoc implements app.SummaryDocStore.
func (s *Store) SummaryDoc(ctx context.Context, patientID, slot string) (app.SummaryDoc, error) {
	d := app.SummaryDoc{Slot: slot}
	err := s.queryRow(ctx, `SELECT version, epoch, doc FROM summary_docs WHERE patient_id = ? AND slot = ?`, patientID, slot).
		Scan(&d.Version, &d.Epoch, &d.Doc)
	if errors.Is(err, sql.ErrNoRows) {
		return app.SummaryDoc{}, nil
	}
	if err != nil {
		return app.SummaryDoc{}, translate("summary doc", err)
	}
	return d, nil
}

// KeepSummaryDoc implements app.SummaryDocStore in one statement, so the epoch it
// checks is the one an erasure moves in its own transaction.
func (s *Store) KeepSummaryDoc(ctx context.Context, patientID string, d app.SummaryDoc) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO summary_docs (patient_id, slot, version, epoch, doc)
		SELECT ?, ?, ?, ?, ? WHERE coalesce((SELECT epoch FROM record_state WHERE patient_id = ?), 0) = ?
		ON CONFLICT (patient_id, slot) DO UPDATE SET version = excluded.version, epoch = excluded.epoch, doc = excluded.doc`,
		patientID, d.Slot, d.Version, d.Epoch, d.Doc, patientID, d.Epoch)
	return translate("keep summary doc", err)
}

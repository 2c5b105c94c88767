package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// summaryDoc is how a summary is stored in summaries.doc, times in Unix milliseconds.
type summaryDoc struct {
	PatientID string                      `json:"patientId"`
	Counts    map[string]int              `json:"counts,omitempty"`
	Sensitive map[string]int              `json:"sensitiveCounts,omitempty"`
	Latest    map[string][]summaryItemDoc `json:"latest,omitempty"`
	LastSync  map[string]int64            `json:"lastSync,omitempty"`
	Revision  int64                       `json:"revision"`
}

type summaryItemDoc struct {
	EntryID      string `json:"entryId"`
	ResourceType string `json:"resourceType"`
	Text         string `json:"text,omitempty"`
	Status       string `json:"status,omitempty"`
	Date         int64  `json:"date"`
	Sensitive    bool   `json:"sensitive,omitempty"`
	Source       string `json:"source,omitempty"`
	UpdatedAt    int64  `json:"updatedAt,omitempty"`
}

func toSummaryDoc(s record.Summary) summaryDoc {
	d := summaryDoc{PatientID: s.PatientID, Revision: s.Revision}
	for c, n := range s.Counts {
		if d.Counts == nil {
			d.Counts = map[string]int{}
		}
		d.Counts[string(c)] = n
	}
	for c, n := range s.SensitiveCounts {
		if d.Sensitive == nil {
			d.Sensitive = map[string]int{}
		}
		d.Sensitive[string(c)] = n
	}
	for c, items := range s.Latest {
		if d.Latest == nil {
			d.Latest = map[string][]summaryItemDoc{}
		}
		docs := make([]summaryItemDoc, len(items))
		for i, it := range items {
			docs[i] = summaryItemDoc{
				EntryID: it.EntryID, ResourceType: it.ResourceType, Text: it.Display.Text, Status: it.Display.Status,
				Date: it.Display.Date.UnixMilli(), Sensitive: it.Sensitive,
				Source: it.Source, UpdatedAt: it.UpdatedAt.UnixMilli(),
			}
		}
		d.Latest[string(c)] = docs
	}
	for source, at := range s.LastSync {
		if d.LastSync == nil {
			d.LastSync = map[string]int64{}
		}
		d.LastSync[source] = at.UnixMilli()
	}
	return d
}

func (d summaryDoc) summary() record.Summary {
	s := record.Summary{PatientID: d.PatientID, Revision: d.Revision}
	for c, n := range d.Counts {
		if s.Counts == nil {
			s.Counts = map[record.Category]int{}
		}
		s.Counts[record.Category(c)] = n
	}
	for c, n := range d.Sensitive {
		if s.SensitiveCounts == nil {
			s.SensitiveCounts = map[record.Category]int{}
		}
		s.SensitiveCounts[record.Category(c)] = n
	}
	for c, docs := range d.Latest {
		if s.Latest == nil {
			s.Latest = map[record.Category][]record.SummaryItem{}
		}
		items := make([]record.SummaryItem, len(docs))
		for i, it := range docs {
			items[i] = record.SummaryItem{
				EntryID: it.EntryID, ResourceType: it.ResourceType, Sensitive: it.Sensitive,
				Display: record.Display{Text: it.Text, Status: it.Status, Date: fromMilli(it.Date)},
				Source:  it.Source, UpdatedAt: fromMilli(it.UpdatedAt),
			}
		}
		s.Latest[record.Category(c)] = items
	}
	for source, ms := range d.LastSync {
		if s.LastSync == nil {
			s.LastSync = map[string]time.Time{}
		}
		s.LastSync[source] = fromMilli(ms)
	}
	return s
}

// Summary implements app.RecordStore; a patient without one gets the empty summary.
func (s *Store) Summary(ctx context.Context, patientID string) (record.Summary, error) {
	var raw []byte
	err := s.db.QueryRowContext(ctx, `SELECT doc FROM summaries WHERE patient_id = ?`, patientID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return record.Summary{PatientID: patientID}, nil
	}
	if err != nil {
		return record.Summary{}, translate("read summary", err)
	}
	var d summaryDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return record.Summary{}, fmt.Errorf("read summary: stored document: %w", err)
	}
	return d.summary(), nil
}

// SaveSummary implements app.RecordStore in one conditional write: an INSERT that the
// primary key lets only one writer make for revision 0, an UPDATE matching only the
// revision read otherwise.
func (s *Store) SaveSummary(ctx context.Context, sum record.Summary) (record.Summary, error) {
	if sum.PatientID == "" {
		return record.Summary{}, fmt.Errorf("save summary: %w", fault.Invalid("patientId", "required"))
	}
	if sum.Revision < 0 {
		return record.Summary{}, fmt.Errorf("save summary: revision %d: %w", sum.Revision, fault.ErrInvalid)
	}
	seen := sum.Revision
	sum.Revision = seen + 1
	doc := toSummaryDoc(sum)
	raw, err := json.Marshal(doc)
	if err != nil {
		return record.Summary{}, fmt.Errorf("save summary: %w", err)
	}
	if seen == 0 {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO summaries (patient_id, doc) VALUES (?, ?)`, sum.PatientID, string(raw)); err != nil {
			return record.Summary{}, translate("save summary", err)
		}
		return doc.summary(), nil
	}
	res, err := s.db.ExecContext(ctx, `UPDATE summaries SET doc = ? WHERE patient_id = ? AND revision = ?`, string(raw), sum.PatientID, seen)
	if err != nil {
		return record.Summary{}, translate("save summary", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return record.Summary{}, translate("save summary", err)
	}
	if n == 0 {
		return record.Summary{}, fmt.Errorf("save summary: the stored summary is not at revision %d: %w", seen, fault.ErrConflict)
	}
	return doc.summary(), nil // what a read would give: times at the stored precision
}

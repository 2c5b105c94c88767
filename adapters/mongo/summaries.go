package mongo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// summariesCollection is named in migrations/mongo too.
const summariesCollection = "summaries"

// summaryRecord is how a summary is stored in the summaries collection, _id the
// patient id. The maps are stored as arrays, sorted by key: source names are free
// text, and a "." or a leading "$" in a field name is trouble in MongoDB.
type summaryRecord struct {
	PatientID string           `bson:"_id"`
	Counts    []countRecord    `bson:"counts,omitempty"`
	Sensitive []countRecord    `bson:"sensitive_counts,omitempty"`
	Latest    []latestRecord   `bson:"latest,omitempty"`
	LastSync  []lastSyncRecord `bson:"last_sync,omitempty"`
	Revision  int64            `bson:"revision"`
}

type countRecord struct {
	Category string `bson:"category"`
	Count    int    `bson:"count"`
}

type latestRecord struct {
	Category string              `bson:"category"`
	Items    []summaryItemRecord `bson:"items"`
}

type summaryItemRecord struct {
	EntryID      string        `bson:"entry_id"`
	ResourceType string        `bson:"resource_type"`
	Text         string        `bson:"text,omitempty"`
	Status       string        `bson:"status,omitempty"`
	Date         bson.DateTime `bson:"date"`
	Sensitive    bool          `bson:"sensitive,omitempty"`
	Source       string        `bson:"source,omitempty"`
	UpdatedAt    bson.DateTime `bson:"updated_at"`
}

type lastSyncRecord struct {
	Source string        `bson:"source"`
	At     bson.DateTime `bson:"at"`
}

func toSummaryRecord(s record.Summary) summaryRecord {
	r := summaryRecord{PatientID: s.PatientID, Revision: s.Revision}
	for _, c := range sortedKeys(s.Counts) {
		r.Counts = append(r.Counts, countRecord{Category: string(c), Count: s.Counts[c]})
	}
	for _, c := range sortedKeys(s.SensitiveCounts) {
		r.Sensitive = append(r.Sensitive, countRecord{Category: string(c), Count: s.SensitiveCounts[c]})
	}
	for _, c := range sortedKeys(s.Latest) {
		items := make([]summaryItemRecord, len(s.Latest[c]))
		for i, it := range s.Latest[c] {
			items[i] = summaryItemRecord{
				EntryID: it.EntryID, ResourceType: it.ResourceType, Text: it.Display.Text, Status: it.Display.Status,
				Date: bson.NewDateTimeFromTime(it.Display.Date), Sensitive: it.Sensitive,
				Source: it.Source, UpdatedAt: bson.NewDateTimeFromTime(it.UpdatedAt),
			}
		}
		r.Latest = append(r.Latest, latestRecord{Category: string(c), Items: items})
	}
	for _, source := range sortedKeys(s.LastSync) {
		r.LastSync = append(r.LastSync, lastSyncRecord{Source: source, At: bson.NewDateTimeFromTime(s.LastSync[source])})
	}
	return r
}

func (r summaryRecord) summary() record.Summary {
	s := record.Summary{PatientID: r.PatientID, Revision: r.Revision}
	for _, c := range r.Counts {
		if s.Counts == nil {
			s.Counts = map[record.Category]int{}
		}
		s.Counts[record.Category(c.Category)] = c.Count
	}
	for _, c := range r.Sensitive {
		if s.SensitiveCounts == nil {
			s.SensitiveCounts = map[record.Category]int{}
		}
		s.SensitiveCounts[record.Category(c.Category)] = c.Count
	}
	for _, l := range r.Latest {
		if s.Latest == nil {
			s.Latest = map[record.Category][]record.SummaryItem{}
		}
		items := make([]record.SummaryItem, len(l.Items))
		for i, it := range l.Items {
			items[i] = record.SummaryItem{
				EntryID: it.EntryID, ResourceType: it.ResourceType, Sensitive: it.Sensitive,
				Display: record.Display{Text: it.Text, Status: it.Status, Date: it.Date.Time().UTC()},
				Source:  it.Source, UpdatedAt: it.UpdatedAt.Time().UTC(),
			}
		}
		s.Latest[record.Category(l.Category)] = items
	}
	for _, l := range r.LastSync {
		if s.LastSync == nil {
			s.LastSync = map[string]time.Time{}
		}
		s.LastSync[l.Source] = l.At.Time().UTC()
	}
	return s
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

func (s *Store) summariesColl() *mongo.Collection {
	return s.db.Collection(summariesCollection)
}

// Summary implements app.RecordStore; a patient without one gets the empty summary.
func (s *Store) Summary(ctx context.Context, patientID string) (record.Summary, error) {
	var r summaryRecord
	err := s.summariesColl().FindOne(ctx, bson.D{{Key: "_id", Value: patientID}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return record.Summary{PatientID: patientID}, nil
	}
	if err != nil {
		return record.Summary{}, translate("read summary", err)
	}
	return r.summary(), nil
}

// SaveSummary implements app.RecordStore in one conditional write: an insert that the
// _id lets only one writer make for revision 0, a replacement matching only the
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
	r := toSummaryRecord(sum)
	if seen == 0 {
		if _, err := s.summariesColl().InsertOne(ctx, r); err != nil {
			return record.Summary{}, translate("save summary", err)
		}
		return r.summary(), nil
	}
	res, err := s.summariesColl().ReplaceOne(ctx, bson.D{{Key: "_id", Value: sum.PatientID}, {Key: "revision", Value: seen}}, r)
	if err != nil {
		return record.Summary{}, translate("save summary", err)
	}
	if res.MatchedCount == 0 {
		return record.Summary{}, fmt.Errorf("save summary: the stored summary is not at revision %d: %w", seen, fault.ErrConflict)
	}
	return r.summary(), nil // what a read would give: times at the stored precision
}

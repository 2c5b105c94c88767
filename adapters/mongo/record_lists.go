package mongo

import (
	"context"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/adapters/internal/entries"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/record"
)

// eachBatch is how many entries EachEntryForDisclosure reads at a time: enough to keep
// round trips few, few enough that a batch of large resources stays small in memory.
const eachBatch = 100

// EntryHeads implements app.RecordStore through entries_by_date (entries_by_category
// when filtering by category, entries_by_section by section): newest first, ties broken by _id descending, and the
// cursor is the (date, _id) of the page's last entry, so the next page starts strictly
// below it and entries sharing a date are neither repeated nor skipped.
func (s *Store) EntryHeads(ctx context.Context, patientID string, q app.EntryQuery) ([]record.Entry, string, error) {
	if err := entries.CheckLimit("list entries", q.Limit); err != nil {
		return nil, "", err
	}
	filter := bson.D{{Key: "patient_id", Value: patientID}, {Key: "deleted", Value: false}}
	// Conditions of their own ($or) go under one $and: a filter document holds each
	// key once.
	var and bson.A
	if q.Category != "" {
		filter = append(filter, bson.E{Key: "category", Value: string(q.Category)})
	}
	if q.Section != "" {
		filter = append(filter, bson.E{Key: "section", Value: string(q.Section)})
	}
	switch q.State {
	case app.StateCurrent:
		filter = append(filter, bson.E{Key: "current", Value: true})
	case app.StatePast:
		filter = append(filter, bson.E{Key: "current", Value: false})
	}
	if q.Within != nil {
		and = append(and, withinScope(q.Within))
	}
	if q.ResourceType != "" {
		filter = append(filter, bson.E{Key: "resource_type", Value: q.ResourceType})
	}
	var dates bson.D
	if !q.Since.IsZero() {
		dates = append(dates, bson.E{Key: "$gte", Value: bson.DateTime(entries.CeilMilli(q.Since))})
	}
	if !q.Until.IsZero() {
		dates = append(dates, bson.E{Key: "$lt", Value: bson.DateTime(entries.CeilMilli(q.Until))})
	}
	if len(dates) > 0 {
		filter = append(filter, bson.E{Key: "date", Value: dates})
	}
	if q.Cursor != "" {
		c, err := entries.DecodeCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		date := bson.DateTime(c.DateMs)
		and = append(and, bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "date", Value: bson.D{{Key: "$lt", Value: date}}}},
			bson.D{{Key: "date", Value: date}, {Key: "_id", Value: bson.D{{Key: "$lt", Value: c.ID}}}},
		}}})
	}
	if len(and) > 0 {
		filter = append(filter, bson.E{Key: "$and", Value: and})
	}
	// One more than asked tells whether another page exists.
	cur, err := s.entriesColl().Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "date", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(q.Limit)+1).
		SetProjection(withoutResource))
	if err != nil {
		return nil, "", translate("list entries", err)
	}
	var records []entryRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, "", translate("list entries", err)
	}
	heads := make([]record.Entry, 0, min(len(records), q.Limit))
	for _, r := range records[:min(len(records), q.Limit)] {
		heads = append(heads, r.entry())
	}
	if len(records) <= q.Limit {
		return heads, "", nil
	}
	last := records[q.Limit-1]
	return heads, entries.Cursor{DateMs: int64(last.Date), ID: last.ID}.Encode(), nil
}

// EachEntryForDisclosure implements app.RecordStore, reading eachBatch entries at a
// time through entries_by_patient. Each batch is read whole before fn runs, so a slow
// fn holds no server cursor open.
func (s *Store) EachEntryForDisclosure(ctx context.Context, patientID string, fn func(record.Entry) error) error {
	after := ""
	for {
		cur, err := s.entriesColl().Find(ctx,
			bson.D{{Key: "patient_id", Value: patientID}, {Key: "deleted", Value: false}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}}},
			options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(eachBatch))
		if err != nil {
			return translate("read entries", err)
		}
		var batch []entryRecord
		if err := cur.All(ctx, &batch); err != nil {
			return translate("read entries", err)
		}
		for _, r := range batch {
			if err := fn(r.entry()); err != nil {
				return err
			}
		}
		if len(batch) < eachBatch {
			return nil
		}
		after = batch[len(batch)-1].ID
	}
}

// withinScope is the filter for an access decision's scope: a category seen whole, or
// one seen without its sensitive entries. Both lists are always there, so an empty
// scope is two empty $in lists, which match nothing.
func withinScope(scope access.Scope) bson.D {
	whole, plain := bson.A{}, bson.A{}
	for _, c := range sortedKeys(scope) {
		if scope[c] {
			whole = append(whole, string(c))
		} else {
			plain = append(plain, string(c))
		}
	}
	return bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "category", Value: bson.D{{Key: "$in", Value: whole}}}},
		bson.D{{Key: "category", Value: bson.D{{Key: "$in", Value: plain}}}, {Key: "sensitive", Value: false}},
	}}}
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

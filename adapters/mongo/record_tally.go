package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/domain/record"
)

// tallyGroup is one $group result of RecordTally's count.
type tallyGroup struct {
	ID struct {
		Category  string `bson:"category"`
		Section   string `bson:"section"`
		Current   bool   `bson:"current"`
		Sensitive bool   `bson:"sensitive"`
	} `bson:"_id"`
	Entries int `bson:"entries"`
}

// RecordTally implements app.RecordStore with one aggregation grouping the live
// entries (entries_tally serves its match), then, per source it found, the
// newest change from that source (entries_by_source). Sources per record are few.
func (s *Store) RecordTally(ctx context.Context, patientID string) (record.Tally, error) {
	live := bson.D{{Key: "patient_id", Value: patientID}, {Key: "deleted", Value: false}}
	cur, err := s.entriesColl().Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: live}},
		bson.D{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: bson.D{{Key: "category", Value: "$category"}, {Key: "section", Value: "$section"},
				{Key: "current", Value: "$current"}, {Key: "sensitive", Value: "$sensitive"}}},
			{Key: "entries", Value: bson.D{{Key: "$sum", Value: 1}}},
		}}},
	})
	if err != nil {
		return record.Tally{}, translate("tally record", err)
	}
	var groups []tallyGroup
	if err := cur.All(ctx, &groups); err != nil {
		return record.Tally{}, translate("tally record", err)
	}
	t := record.Tally{LastSync: map[string]time.Time{}}
	for _, g := range groups {
		t.Rows = append(t.Rows, record.TallyRow{Category: record.Category(g.ID.Category), Section: record.Section(g.ID.Section),
			Current: g.ID.Current, Sensitive: g.ID.Sensitive, Entries: g.Entries})
	}

	cur, err = s.entriesColl().Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: live}},
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$source"}}}},
	})
	if err != nil {
		return record.Tally{}, translate("tally record: sources", err)
	}
	var sources []struct {
		Source string `bson:"_id"`
	}
	if err := cur.All(ctx, &sources); err != nil {
		return record.Tally{}, translate("tally record: sources", err)
	}
	for _, src := range sources {
		source := src.Source
		if source == "" {
			continue
		}
		var newest entryRecord
		err := s.entriesColl().FindOne(ctx, append(live, bson.E{Key: "source", Value: source}),
			options.FindOne().SetSort(bson.D{{Key: "updated_at", Value: -1}}).SetProjection(bson.D{{Key: "updated_at", Value: 1}})).
			Decode(&newest)
		if err != nil {
			return record.Tally{}, translate("tally record: sources", err)
		}
		t.LastSync[source] = newest.UpdatedAt.Time().UTC()
	}
	return t, nil
}

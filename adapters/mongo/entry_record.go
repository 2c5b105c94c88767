package mongo

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kith-health/kith/adapters/internal/entries"
	"github.com/kith-health/kith/domain/record"
)

// entryRecord is how an entry is stored in the entries collection. The resource is
// BSON binary, so it comes back byte for byte; reads that do not disclose it leave it
// out with a projection. deleted is always written, so "deleted: false" finds every
// live entry.
type entryRecord struct {
	ID           string             `bson:"_id"`
	PatientID    string             `bson:"patient_id"`
	ResourceType string             `bson:"resource_type"`
	Provenances  []provenanceRecord `bson:"provenances,omitempty"`
	// Source is the first provenance's source, kept apart so RecordTally can
	// group and sort by it through an index.
	Source         string        `bson:"source"`
	IdentifierKey  string        `bson:"identifier_key,omitempty"`
	VersionID      string        `bson:"version_id,omitempty"`
	LastUpdated    bson.DateTime `bson:"last_updated"`
	Category       string        `bson:"category"`
	Sensitive      bool          `bson:"sensitive"`
	SecurityLabels []string      `bson:"security_labels,omitempty"`
	Hash           string        `bson:"hash"`
	Resource       []byte        `bson:"resource,omitempty"`
	Text           string        `bson:"text,omitempty"`
	Status         string        `bson:"status,omitempty"`
	Date           bson.DateTime `bson:"date"`
	DatePrecision  string        `bson:"date_precision,omitempty"`
	// Section and current are always written: the summary's indexes match on them.
	Section   string          `bson:"section"`
	Current   bool            `bson:"current"`
	Rank      int             `bson:"rank,omitempty"`
	Detail    *entries.Detail `bson:"detail,omitempty"`
	Flags     []string        `bson:"flags,omitempty"`
	Deleted   bool            `bson:"deleted"`
	ChangeSeq int64           `bson:"change_seq"`
	CreatedAt bson.DateTime   `bson:"created_at"`
	UpdatedAt bson.DateTime   `bson:"updated_at"`
	Revision  int64           `bson:"revision"`
}

type provenanceRecord struct {
	Source     string        `bson:"source"`
	SourceID   string        `bson:"source_id,omitempty"`
	FullURL    string        `bson:"full_url,omitempty"`
	ReceivedAt bson.DateTime `bson:"received_at"`
}

// withoutResource is the projection for reads that must not disclose the resource.
var withoutResource = bson.D{{Key: "resource", Value: 0}}

// toEntryRecord keeps no resource for a tombstone, which stays only to tell devices to
// drop the entry, so an erased resource does not linger.
func toEntryRecord(e record.Entry) entryRecord {
	r := entryRecord{
		ID: e.ID, PatientID: e.PatientID, ResourceType: e.ResourceType, IdentifierKey: e.IdentifierKey,
		Source:    e.Source(),
		VersionID: e.Version.VersionID, LastUpdated: bson.NewDateTimeFromTime(e.Version.LastUpdated),
		Category: string(e.Category), Sensitive: e.Sensitive, SecurityLabels: e.SecurityLabels, Hash: e.Hash,
		Text: e.Display.Text, Status: e.Display.Status, Date: bson.NewDateTimeFromTime(e.Display.Date),
		DatePrecision: string(e.Display.DatePrecision),
		Section:       string(e.Clinical.Section), Current: e.Clinical.Current, Rank: e.Clinical.Rank,
		Detail: entries.DetailOf(e.Clinical.Detail),
		Flags:  e.Flags, Deleted: e.Deleted, ChangeSeq: e.ChangeSeq,
		CreatedAt: bson.NewDateTimeFromTime(e.CreatedAt), UpdatedAt: bson.NewDateTimeFromTime(e.UpdatedAt),
		Revision: e.Revision,
	}
	if !e.Deleted {
		r.Resource = e.Resource
	}
	for _, p := range e.Provenances {
		r.Provenances = append(r.Provenances, provenanceRecord{
			Source: p.Source, SourceID: p.SourceID, FullURL: p.FullURL, ReceivedAt: bson.NewDateTimeFromTime(p.ReceivedAt),
		})
	}
	return r
}

func (r entryRecord) entry() record.Entry {
	e := record.Entry{
		ID: r.ID, PatientID: r.PatientID, ResourceType: r.ResourceType, IdentifierKey: r.IdentifierKey,
		Version:  record.Version{VersionID: r.VersionID, LastUpdated: r.LastUpdated.Time().UTC()},
		Category: record.Category(r.Category), Sensitive: r.Sensitive, SecurityLabels: r.SecurityLabels, Hash: r.Hash,
		Resource: r.Resource,
		Display: record.Display{Text: r.Text, Status: r.Status, Date: r.Date.Time().UTC(),
			DatePrecision: record.DatePrecision(r.DatePrecision)},
		Clinical: record.Clinical{Section: record.Section(r.Section), Current: r.Current, Rank: r.Rank,
			Detail: r.Detail.Detail()},
		Flags: r.Flags, Deleted: r.Deleted, ChangeSeq: r.ChangeSeq,
		CreatedAt: r.CreatedAt.Time().UTC(), UpdatedAt: r.UpdatedAt.Time().UTC(), Revision: r.Revision,
	}
	for _, p := range r.Provenances {
		e.Provenances = append(e.Provenances, record.Provenance{Source: p.Source, SourceID: p.SourceID, FullURL: p.FullURL, ReceivedAt: p.ReceivedAt.Time().UTC()})
	}
	return e
}

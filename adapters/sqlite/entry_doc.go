package sqlite

import (
	"fmt"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/kith-health/kith/adapters/internal/entries"
	"github.com/kith-health/kith/domain/record"
)

// entryDoc is how an entry is stored in entries.doc: everything but the resource,
// which has a column of its own, so listing never reads clinical payloads. Times are
// Unix milliseconds; the zero time is stored as its own (very negative) millisecond
// count and comes back as the zero time, so an undated entry sorts oldest.
type entryDoc struct {
	ID             string          `json:"id"`
	PatientID      string          `json:"patientId"`
	ResourceType   string          `json:"resourceType"`
	Provenances    []provenanceDoc `json:"provenances,omitempty"`
	IdentifierKey  string          `json:"identifierKey,omitempty"`
	VersionID      string          `json:"versionId,omitempty"`
	LastUpdated    int64           `json:"lastUpdated"`
	Category       string          `json:"category"`
	Sensitive      bool            `json:"sensitive"`
	SecurityLabels []string        `json:"securityLabels,omitempty"`
	Hash           string          `json:"hash"`
	Text           string          `json:"text,omitempty"`
	Status         string          `json:"status,omitempty"`
	Date           int64           `json:"date"`
	DatePrecision  string          `json:"datePrecision,omitempty"`
	// Section and Current are always written: the summary's indexes match on them.
	Section   string          `json:"section"`
	Current   bool            `json:"current"`
	Rank      int             `json:"rank,omitempty"`
	Detail    *entries.Detail `json:"detail,omitempty"`
	Flags     []string        `json:"flags,omitempty"`
	Deleted   bool            `json:"deleted"`
	ChangeSeq int64           `json:"changeSeq"`
	CreatedAt int64           `json:"createdAt"`
	UpdatedAt int64           `json:"updatedAt"`
	Revision  int64           `json:"revision"`
}

type provenanceDoc struct {
	Source     string `json:"source"`
	SourceID   string `json:"sourceId,omitempty"`
	FullURL    string `json:"fullUrl,omitempty"`
	ReceivedAt int64  `json:"receivedAt"`
}

func toEntryDoc(e *record.Entry) entryDoc {
	d := entryDoc{
		ID: e.ID, PatientID: e.PatientID, ResourceType: e.ResourceType, IdentifierKey: e.IdentifierKey,
		VersionID: e.Version.VersionID, LastUpdated: e.Version.LastUpdated.UnixMilli(),
		Category: string(e.Category), Sensitive: e.Sensitive, SecurityLabels: e.SecurityLabels, Hash: e.Hash,
		Text: e.Display.Text, Status: e.Display.Status, Date: e.Display.Date.UnixMilli(),
		DatePrecision: string(e.Display.DatePrecision),
		Section:       string(e.Clinical.Section), Current: e.Clinical.Current, Rank: e.Clinical.Rank,
		Detail: entries.DetailOf(e.Clinical.Detail),
		Flags:  e.Flags, Deleted: e.Deleted, ChangeSeq: e.ChangeSeq,
		CreatedAt: e.CreatedAt.UnixMilli(), UpdatedAt: e.UpdatedAt.UnixMilli(), Revision: e.Revision,
	}
	for _, p := range e.Provenances {
		d.Provenances = append(d.Provenances, provenanceDoc{Source: p.Source, SourceID: p.SourceID, FullURL: p.FullURL, ReceivedAt: p.ReceivedAt.UnixMilli()})
	}
	return d
}

// entry rebuilds the entry; resource is nil for reads that do not disclose it.
func (d entryDoc) entry(resource []byte) record.Entry {
	e := record.Entry{
		ID: d.ID, PatientID: d.PatientID, ResourceType: d.ResourceType, IdentifierKey: d.IdentifierKey,
		Version:  record.Version{VersionID: d.VersionID, LastUpdated: fromMilli(d.LastUpdated)},
		Category: record.Category(d.Category), Sensitive: d.Sensitive, SecurityLabels: d.SecurityLabels, Hash: d.Hash,
		Resource: resource,
		Display: record.Display{Text: d.Text, Status: d.Status, Date: fromMilli(d.Date),
			DatePrecision: record.DatePrecision(d.DatePrecision)},
		Clinical: record.Clinical{Section: record.Section(d.Section), Current: d.Current, Rank: d.Rank,
			Detail: d.Detail.Detail()},
		Flags: d.Flags, Deleted: d.Deleted, ChangeSeq: d.ChangeSeq,
		CreatedAt: fromMilli(d.CreatedAt), UpdatedAt: fromMilli(d.UpdatedAt), Revision: d.Revision,
	}
	for _, p := range d.Provenances {
		e.Provenances = append(e.Provenances, record.Provenance{Source: p.Source, SourceID: p.SourceID, FullURL: p.FullURL, ReceivedAt: fromMilli(p.ReceivedAt)})
	}
	return e
}

// keptResource is what is stored of e's resource: nothing for a tombstone, which stays
// only to tell devices to drop the entry, so an erased resource does not linger.
func keptResource(e *record.Entry) []byte {
	if e.Deleted {
		return nil
	}
	return e.Resource
}

func fromMilli(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// decodeEntry reports a malformed document without quoting it.
//
// It decodes with github.com/goccy/go-json, already in the build through jwx:
// decoding entry documents was a third of a summary read's time with
// encoding/json, and the documents are ours, written by toEntryDoc.
func decodeEntry(op string, raw, resource []byte) (record.Entry, error) {
	var d entryDoc
	if err := gojson.Unmarshal(raw, &d); err != nil {
		return record.Entry{}, fmt.Errorf("%s: stored document: %w", op, err)
	}
	return d.entry(resource), nil
}

// Package record models the aggregated health record: FHIR R4 resources from many
// sources, each kept exactly as it came, classified into the categories patients
// grant and share by, and merged when two sources deliver the same clinical fact.
package record

import "time"

// Category is the patient-facing grouping that consents and share codes are scoped by.
type Category string

const (
	Demographics   Category = "demographics"
	Allergies      Category = "allergies"
	Medications    Category = "medications"
	Conditions     Category = "conditions"
	Immunizations  Category = "immunizations"
	Results        Category = "results"
	Vitals         Category = "vitals"
	Encounters     Category = "encounters"
	Procedures     Category = "procedures"
	Documents      Category = "documents"
	CarePlans      Category = "care-plans"
	Administrative Category = "administrative"
)

// Categories lists every category in the order the app shows them.
var Categories = []Category{Demographics, Allergies, Medications, Conditions, Immunizations,
	Results, Vitals, Encounters, Procedures, Documents, CarePlans, Administrative}

// PatientSource is the source of what patients upload themselves.
const PatientSource = "patient"

// Provenance is one delivery of an entry: which source sent it under which id.
type Provenance struct {
	Source   string
	SourceID string
	// FullURL is the bundle entry's fullUrl it came with (often urn:uuid:...), kept so
	// the references other resources make to it still resolve in an export.
	FullURL    string
	ReceivedAt time.Time
}

// Version orders deliveries of one resource: meta.lastUpdated first, then
// meta.versionId. Either may be absent.
type Version struct {
	VersionID   string
	LastUpdated time.Time
}

// Display is what a list or summary shows of an entry without opening the resource.
type Display struct {
	Text   string    // the code's display text, or a readable label of its type when there is none
	Status string    // clinicalStatus, status...
	Date   time.Time // the clinically relevant date: effective, onset, occurrence, period start...
	// DatePrecision is how much of Date the source gave ("2004" is a year), so it
	// is shown as given and never as 1 Jan 2004.
	DatePrecision DatePrecision
}

// DatePrecision is how precise a FHIR date was: year, month, day or time. The zero
// value is unknown and shows as a day.
type DatePrecision string

const (
	PrecisionYear  DatePrecision = "year"
	PrecisionMonth DatePrecision = "month"
	PrecisionDay   DatePrecision = "day"
	PrecisionTime  DatePrecision = "time"
)

// Entry is one resource in a patient's record.
type Entry struct {
	// ID is Kith's id, derived from the patient and the resource's identity (see
	// EntryID), so the same fact always lands on the same entry.
	ID           string
	PatientID    string
	ResourceType string
	// Provenances lists every delivery; the first is the source whose copy is kept.
	Provenances []Provenance
	// IdentifierKey is the business identifier ("system|value") two sources share for
	// one fact, or "" when the resource has none.
	IdentifierKey string
	Version       Version
	Category      Category
	Sensitive     bool
	// SecurityLabels are the meta.security codes the resource carried.
	SecurityLabels []string
	// Hash is the SHA-256 of Resource, hex.
	Hash string
	// Resource is the FHIR JSON exactly as received.
	Resource []byte
	Display  Display
	// Clinical is what the summary needs of the resource, derived from it on every
	// write, so the summary is always what the stored entries say.
	Clinical Clinical
	// Flags note what a reader should know ("identity-mismatch" on an uploaded
	// Patient whose NHS number or birth date differs from the account's).
	Flags []string
	// Deleted marks a tombstone: the entry was erased or withdrawn, and stays only so
	// the change feed can tell devices to drop it.
	Deleted bool
	// ChangeSeq orders the patient's changes for the change feed; assigned by the
	// store on every write.
	ChangeSeq int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// Revision increases by one on every stored change; stores compare-and-set on it.
	Revision int64
}

// Source is the primary provenance's source.
func (e Entry) Source() string {
	if len(e.Provenances) == 0 {
		return ""
	}
	return e.Provenances[0].Source
}

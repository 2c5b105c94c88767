package entries

import (
	"reflect"

	"github.com/kith-health/kith/domain/record"
)

// Detail is record.Detail as both stores keep it inside an entry's document: JSON
// for SQLite, BSON for MongoDB. An entry without detail stores none (DetailOf nil).
type Detail struct {
	Criticality    string     `json:"criticality,omitempty" bson:"criticality,omitempty"`
	Verification   string     `json:"verification,omitempty" bson:"verification,omitempty"`
	Reactions      []Reaction `json:"reactions,omitempty" bson:"reactions,omitempty"`
	Dosage         string     `json:"dosage,omitempty" bson:"dosage,omitempty"`
	MedicationRef  string     `json:"medicationRef,omitempty" bson:"medication_ref,omitempty"`
	Value          string     `json:"value,omitempty" bson:"value,omitempty"`
	ReferenceRange string     `json:"referenceRange,omitempty" bson:"reference_range,omitempty"`
	Interpretation string     `json:"interpretation,omitempty" bson:"interpretation,omitempty"`
}

// Reaction is record.Reaction as stored.
type Reaction struct {
	Manifestations []string `json:"manifestations,omitempty" bson:"manifestations,omitempty"`
	Severity       string   `json:"severity,omitempty" bson:"severity,omitempty"`
}

// DetailOf is d as stored; nil when it says nothing.
func DetailOf(d record.Detail) *Detail {
	out := &Detail{Criticality: d.Criticality, Verification: d.Verification, Dosage: d.Dosage,
		MedicationRef: d.MedicationRef, Value: d.Value, ReferenceRange: d.ReferenceRange, Interpretation: d.Interpretation}
	for _, r := range d.Reactions {
		out.Reactions = append(out.Reactions, Reaction{Manifestations: r.Manifestations, Severity: r.Severity})
	}
	if reflect.ValueOf(*out).IsZero() {
		return nil
	}
	return out
}

// Detail rebuilds the record.Detail; a nil stored detail is the zero one.
func (d *Detail) Detail() record.Detail {
	if d == nil {
		return record.Detail{}
	}
	out := record.Detail{Criticality: d.Criticality, Verification: d.Verification, Dosage: d.Dosage,
		MedicationRef: d.MedicationRef, Value: d.Value, ReferenceRange: d.ReferenceRange, Interpretation: d.Interpretation}
	for _, r := range d.Reactions {
		out.Reactions = append(out.Reactions, record.Reaction{Manifestations: r.Manifestations, Severity: r.Severity})
	}
	return out
}

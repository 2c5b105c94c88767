package record

import (
	"encoding/json"
	"strings"

	"github.com/kith-health/kith/domain/fault"
)

// SubjectConflicts checks that every resource of a delivery pulled for one
// patient is about that patient: where its subject, patient or beneficiary
// references a Patient, that Patient is patientID as the source names it. An
// exchange that put another person's result on this patient's page must not have
// it stored here. The error is like IdentityConflicts': Problem identity-mismatch,
// naming the entry and field, never the reference.
func SubjectConflicts(ins []Incoming, patientID string) error {
	problems := &fault.ValidationError{Problem: IdentityMismatch}
	for _, in := range ins {
		var refs struct {
			Subject     *struct{ Reference string } `json:"subject"`
			Patient     *struct{ Reference string } `json:"patient"`
			Beneficiary *struct{ Reference string } `json:"beneficiary"`
		}
		if json.Unmarshal(in.Raw, &refs) != nil {
			continue // ParseInput took it as an object: nothing here to compare
		}
		for field, r := range map[string]*struct{ Reference string }{"subject": refs.Subject, "patient": refs.Patient, "beneficiary": refs.Beneficiary} {
			if r == nil {
				continue
			}
			if id, isPatient := patientRefID(r.Reference); isPatient && id != patientID {
				problems.Fields = append(problems.Fields, fault.FieldError{Field: in.Field() + "." + field, Rule: "patient"})
			}
		}
	}
	if len(problems.Fields) > 0 {
		return problems
	}
	return nil
}

// patientRefID reads the Patient id a reference names: "Patient/123",
// "https://host/fhir/Patient/123" or either with "/_history/4" after it.
func patientRefID(ref string) (string, bool) {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	parts := strings.Split(ref, "/")
	if len(parts) < 2 || parts[len(parts)-2] != "Patient" || parts[len(parts)-1] == "" {
		return "", false
	}
	return parts[len(parts)-1], true
}

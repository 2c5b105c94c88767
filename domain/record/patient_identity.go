package record

import (
	"encoding/json"
	"strings"

	"github.com/kith-health/kith/domain/fault"
)

// IdentityMismatch is the flag on every resource of a delivery that was kept
// although its Patient's NHS number or birth date contradicts the account's: shown
// with a warning, never in the summary, never trusted as the patient's.
const IdentityMismatch = "identity-mismatch"

// NHSNumberSystem is the FHIR identifier system for NHS numbers.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// PatientIdentity reads the NHS number (without the spaces it is often written
// with) and birth date a Patient resource states ("" for either when absent).
func PatientIdentity(raw []byte) (nhsNumber, birthDate string) {
	var p struct {
		Identifier []struct {
			System string `json:"system"`
			Value  string `json:"value"`
		} `json:"identifier"`
		BirthDate string `json:"birthDate"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return "", ""
	}
	for _, id := range p.Identifier {
		if id.System == NHSNumberSystem {
			nhsNumber = strings.ReplaceAll(id.Value, " ", "")
		}
	}
	return nhsNumber, p.BirthDate
}

// DeliveryIdentity is what the delivery's first Patient states (PatientIdentity),
// "" for both when it has none: the person a delivery is about.
func DeliveryIdentity(ins []Incoming) (nhsNumber, birthDate string) {
	for _, in := range ins {
		if in.ResourceType == "Patient" {
			return PatientIdentity(in.Raw)
		}
	}
	return "", ""
}

// IdentityConflicts checks every Patient of a delivery against the account's NHS
// number and birth date. A Patient that states neither contradicts nothing. The
// error (a ValidationError with Problem identity-mismatch) names the entry and
// the field that differs, never either value, so it can be shown and logged.
func IdentityConflicts(ins []Incoming, nhsNumber, birthDate string) error {
	problems := &fault.ValidationError{Problem: IdentityMismatch}
	for _, in := range ins {
		if in.ResourceType != "Patient" {
			continue
		}
		nhs, dob := PatientIdentity(in.Raw)
		if nhs != "" && nhs != nhsNumber {
			problems.Fields = append(problems.Fields, fault.FieldError{Field: in.Field() + ".nhsNumber", Rule: "account"})
		}
		if dob != "" && dob != birthDate {
			problems.Fields = append(problems.Fields, fault.FieldError{Field: in.Field() + ".birthDate", Rule: "account"})
		}
	}
	if len(problems.Fields) > 0 {
		return problems
	}
	return nil
}

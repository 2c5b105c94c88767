package record

import "encoding/json"

// IdentityMismatch is the flag on an uploaded Patient resource whose NHS number or
// birth date differs from the account's: kept, shown, never trusted as identity.
const IdentityMismatch = "identity-mismatch"

// NHSNumberSystem is the FHIR identifier system for NHS numbers.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// PatientIdentity reads the NHS number and birth date a Patient resource states
// ("" for either when absent).
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
			nhsNumber = id.Value
		}
	}
	return nhsNumber, p.BirthDate
}

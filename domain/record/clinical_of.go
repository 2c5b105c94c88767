package record

// ClinicalOf is what the summary needs of a resource: its section, whether it
// counts as current there, its rank and the detail a list shows beside it. A
// resource no section shows, or one that is not JSON, gives the zero Clinical.
func ClinicalOf(resourceType string, raw []byte) Clinical {
	if _, ok := clinicalReaders[resourceType]; !ok {
		return Clinical{} // not parsed: most of a record (claims, patients) is in no section
	}
	return withObject(raw, func(res object) Clinical { return clinicalOf(resourceType, res) })
}

func clinicalOf(resourceType string, res object) Clinical {
	read, ok := clinicalReaders[resourceType]
	if !ok || res == nil {
		return Clinical{}
	}
	return read(res)
}

// clinicalReaders read each type a section shows; every other type is in none
// (Medication, which its prescriptions name; FamilyMemberHistory, Goal,
// CareTeam, ServiceRequest; claims and administration).
var clinicalReaders = map[string]func(res object) Clinical{
	"AllergyIntolerance":       allergyClinical,
	"MedicationRequest":        medicationClinical("MedicationRequest"),
	"MedicationStatement":      medicationClinical("MedicationStatement"),
	"MedicationAdministration": medicationClinical("MedicationAdministration"),
	"MedicationDispense":       medicationClinical("MedicationDispense"),
	"Condition":                problemClinical,
	"CarePlan":                 carePlanClinical,
	"Observation":              observationClinical,
	"DiagnosticReport":         reportClinical,
	"Immunization":             historyClinical(SectionImmunizations),
	"Procedure":                historyClinical(SectionProcedures),
	"Encounter":                historyClinical(SectionEncounters),
	"DocumentReference":        historyClinical(SectionDocuments),
	"Composition":              historyClinical(SectionDocuments),
}

func carePlanClinical(res object) Clinical {
	status := jsonStr(res, "status")
	return Clinical{Section: SectionCarePlans, Current: status == "active" || status == "on-hold"}
}

// voidStatuses are the statuses saying an event of history did not happen or
// was recorded by mistake, across the types that have them (Immunization and
// Procedure not-done, Encounter cancelled, any entered-in-error).
var voidStatuses = map[string]bool{"entered-in-error": true, "cancelled": true, "not-done": true}

// historyClinical reads the items of a section of history that need nothing
// more of their content: every item counts unless its status voids it.
func historyClinical(s Section) func(res object) Clinical {
	return func(res object) Clinical { return historyItem(s, res) }
}

func historyItem(s Section, res object) Clinical {
	return Clinical{Section: s, Current: !voidStatuses[jsonStr(res, "status")]}
}

// conceptCode is a CodeableConcept's first code: the statuses R4 makes
// CodeableConcepts (clinicalStatus, verificationStatus) carry one code from
// one code system.
func conceptCode(cc object) string {
	for _, c := range codingsOf(cc) {
		if c.Code != "" {
			return c.Code
		}
	}
	return ""
}

// unverified is a verification status worth showing: present and not
// confirmed ("unconfirmed", "refuted"...).
func unverified(res object) string {
	if v := conceptCode(jsonObj(res, "verificationStatus")); v != "confirmed" {
		return v
	}
	return ""
}

// voidVerification says a verification status withdraws the fact: it was
// refuted, or recorded by mistake.
func voidVerification(v string) bool { return v == "refuted" || v == "entered-in-error" }

package record_test

import (
	"testing"

	"github.com/kith-health/kith/domain/record"
)

const labReport = `"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0074","code":"LAB"}]}]`

// obsCategory is an Observation's category element of one R4 category code.
func obsCategory(code string) string {
	return `"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"` + code + `"}]}]`
}

func TestClinicalOfSectionAndCurrent(t *testing.T) {
	cases := []struct {
		name         string
		resourceType string
		raw          string
		section      record.Section
		current      bool
	}{
		// Allergies.
		{"an active confirmed allergy is current", "AllergyIntolerance",
			`{"clinicalStatus":{"coding":[{"code":"active"}]},"verificationStatus":{"coding":[{"code":"confirmed"}]}}`,
			record.SectionAllergies, true},
		{"an allergy without clinical status is current", "AllergyIntolerance", `{}`, record.SectionAllergies, true},
		{"a resolved allergy is not", "AllergyIntolerance", `{"clinicalStatus":{"coding":[{"code":"resolved"}]}}`,
			record.SectionAllergies, false},
		{"an inactive allergy is not", "AllergyIntolerance", `{"clinicalStatus":{"coding":[{"code":"inactive"}]}}`,
			record.SectionAllergies, false},
		{"a refuted allergy is not", "AllergyIntolerance",
			`{"clinicalStatus":{"coding":[{"code":"active"}]},"verificationStatus":{"coding":[{"code":"refuted"}]}}`,
			record.SectionAllergies, false},
		{"an allergy entered in error is not", "AllergyIntolerance",
			`{"verificationStatus":{"coding":[{"code":"entered-in-error"}]}}`, record.SectionAllergies, false},
		{"an unconfirmed allergy still is", "AllergyIntolerance",
			`{"verificationStatus":{"coding":[{"code":"unconfirmed"}]}}`, record.SectionAllergies, true},

		// Medicines.
		{"an active prescription is current", "MedicationRequest", `{"status":"active"}`, record.SectionMedications, true},
		{"a prescription on hold is current", "MedicationRequest", `{"status":"on-hold"}`, record.SectionMedications, true},
		{"a stopped prescription is not", "MedicationRequest", `{"status":"stopped"}`, record.SectionMedications, false},
		{"a prescription without status is not", "MedicationRequest", `{}`, record.SectionMedications, false},
		{"a medicine the patient intends to take is current", "MedicationStatement", `{"status":"intended"}`,
			record.SectionMedications, true},
		{"a completed medication statement is not", "MedicationStatement", `{"status":"completed"}`,
			record.SectionMedications, false},
		{"an administration is history, never current", "MedicationAdministration", `{"status":"in-progress"}`,
			record.SectionMedications, false},
		{"a dispense is history, never current", "MedicationDispense", `{"status":"completed"}`,
			record.SectionMedications, false},
		{"a medication itself is in no section", "Medication", `{"code":{"text":"Aspirin"}}`, "", false},

		// Problems.
		{"an active problem is current", "Condition", `{"clinicalStatus":{"coding":[{"code":"active"}]}}`,
			record.SectionProblems, true},
		{"a recurring problem is current", "Condition", `{"clinicalStatus":{"coding":[{"code":"recurrence"}]}}`,
			record.SectionProblems, true},
		{"a relapsed problem is current", "Condition", `{"clinicalStatus":{"coding":[{"code":"relapse"}]}}`,
			record.SectionProblems, true},
		{"a resolved problem is not", "Condition", `{"clinicalStatus":{"coding":[{"code":"resolved"}]}}`,
			record.SectionProblems, false},
		{"a refuted active problem is not", "Condition",
			`{"clinicalStatus":{"coding":[{"code":"active"}]},"verificationStatus":{"coding":[{"code":"refuted"}]}}`,
			record.SectionProblems, false},
		{"a problem without clinical status is not", "Condition", `{}`, record.SectionProblems, false},
		{"a family member's history is in no section", "FamilyMemberHistory", `{"status":"completed"}`, "", false},

		// Care plans.
		{"an active care plan is current", "CarePlan", `{"status":"active"}`, record.SectionCarePlans, true},
		{"a care plan on hold is current", "CarePlan", `{"status":"on-hold"}`, record.SectionCarePlans, true},
		{"a completed care plan is not", "CarePlan", `{"status":"completed"}`, record.SectionCarePlans, false},
		{"a goal is in no section", "Goal", `{"lifecycleStatus":"active"}`, "", false},
		{"a care team is in no section", "CareTeam", `{"status":"active"}`, "", false},

		// Observations by category.
		{"a vital sign", "Observation", `{"status":"final",` + obsCategory("vital-signs") + `}`,
			record.SectionVitalSigns, true},
		{"a laboratory result", "Observation", `{"status":"final",` + obsCategory("laboratory") + `}`,
			record.SectionResults, true},
		{"a survey is an observation, not a result", "Observation", `{` + obsCategory("survey") + `}`,
			record.SectionObservations, true},
		{"social history is an observation", "Observation", `{` + obsCategory("social-history") + `}`,
			record.SectionObservations, true},
		{"an observation without category", "Observation", `{"status":"final"}`, record.SectionObservations, true},
		{"the STU3 category system still counts", "Observation",
			`{"category":[{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"vital-signs"}]}]}`,
			record.SectionVitalSigns, true},
		{"a laboratory code from another system does not", "Observation",
			`{"category":[{"coding":[{"system":"http://example.org","code":"laboratory"}]}]}`,
			record.SectionObservations, true},
		{"a cancelled observation is not current", "Observation", `{"status":"cancelled",` + obsCategory("laboratory") + `}`,
			record.SectionResults, false},
		{"an observation entered in error is not current", "Observation", `{"status":"entered-in-error"}`,
			record.SectionObservations, false},

		// Diagnostic reports.
		{"a laboratory report is a result", "DiagnosticReport", `{"status":"final",` + labReport + `}`,
			record.SectionResults, true},
		{"a report of laboratory category is a result", "DiagnosticReport", `{` + obsCategory("laboratory") + `}`,
			record.SectionResults, true},
		{"a report without category is a result", "DiagnosticReport", `{"status":"final"}`, record.SectionResults, true},
		{"an imaging report is a result", "DiagnosticReport",
			`{"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0074","code":"RAD"}]}]}`,
			record.SectionResults, true},
		{"a clinical note is a document", "DiagnosticReport",
			`{"status":"final","category":[{"coding":[{"system":"http://loinc.org","code":"34117-2","display":"History and physical note"}]}]}`,
			record.SectionDocuments, true},
		{"a cancelled report is not current", "DiagnosticReport", `{"status":"cancelled"}`, record.SectionResults, false},

		// Other history.
		{"a completed immunization", "Immunization", `{"status":"completed"}`, record.SectionImmunizations, true},
		{"an immunization not done is not current", "Immunization", `{"status":"not-done"}`, record.SectionImmunizations, false},
		{"a completed procedure", "Procedure", `{"status":"completed"}`, record.SectionProcedures, true},
		{"a procedure not done is not current", "Procedure", `{"status":"not-done"}`, record.SectionProcedures, false},
		{"a finished encounter", "Encounter", `{"status":"finished"}`, record.SectionEncounters, true},
		{"a cancelled encounter is not current", "Encounter", `{"status":"cancelled"}`, record.SectionEncounters, false},
		{"a superseded document still counts", "DocumentReference", `{"status":"superseded"}`, record.SectionDocuments, true},
		{"a document entered in error does not", "DocumentReference", `{"status":"entered-in-error"}`, record.SectionDocuments, false},
		{"a composition is a document", "Composition", `{"status":"final"}`, record.SectionDocuments, true},

		// Nothing to show.
		{"a patient is in no section", "Patient", `{"name":[{"family":"Smith"}]}`, "", false},
		{"a claim is in no section", "Claim", `{"status":"active"}`, "", false},
		{"not JSON is in no section", "AllergyIntolerance", `{`, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := record.ClinicalOf(tc.resourceType, []byte(tc.raw))
			if got.Section != tc.section || got.Current != tc.current {
				t.Fatalf("ClinicalOf = section %q current %v; want %q %v", got.Section, got.Current, tc.section, tc.current)
			}
			if got.Section != "" && !record.KnownSection(got.Section) {
				t.Fatalf("unknown section %q", got.Section)
			}
		})
	}
}

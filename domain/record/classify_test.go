package record_test

import (
	"slices"
	"testing"

	"github.com/kith-health/kith/domain/record"
)

func TestCategoryOf(t *testing.T) {
	const obsCat = "http://terminology.hl7.org/CodeSystem/observation-category"
	observation := func(categories string) string {
		return `{"resourceType":"Observation","category":[` + categories + `]}`
	}
	cases := []struct {
		name         string
		resourceType string
		raw          string
		want         record.Category
	}{
		{"a patient is demographics", "Patient", `{}`, record.Demographics},
		{"a related person is demographics", "RelatedPerson", `{}`, record.Demographics},
		{"an allergy", "AllergyIntolerance", `{}`, record.Allergies},
		{"a prescription", "MedicationRequest", `{}`, record.Medications},
		{"a medication statement", "MedicationStatement", `{}`, record.Medications},
		{"a medication administration", "MedicationAdministration", `{}`, record.Medications},
		{"a dispense", "MedicationDispense", `{}`, record.Medications},
		{"a medication", "Medication", `{}`, record.Medications},
		{"a condition", "Condition", `{}`, record.Conditions},
		{"a family history", "FamilyMemberHistory", `{}`, record.Conditions},
		{"an immunization", "Immunization", `{}`, record.Immunizations},
		{"an immunization recommendation", "ImmunizationRecommendation", `{}`, record.Immunizations},
		{"an immunization evaluation", "ImmunizationEvaluation", `{}`, record.Immunizations},
		{"a vital-signs observation is vitals", "Observation",
			observation(`{"coding":[{"system":"` + obsCat + `","code":"vital-signs"}]}`), record.Vitals},
		{"vital-signs among several categories is vitals", "Observation",
			observation(`{"coding":[{"system":"` + obsCat + `","code":"survey"}]},{"coding":[{"system":"` + obsCat + `","code":"vital-signs"}]}`), record.Vitals},
		{"vital-signs under the STU3 system is vitals", "Observation",
			observation(`{"coding":[{"system":"http://hl7.org/fhir/observation-category","code":"vital-signs"}]}`), record.Vitals},
		{"vital-signs from another system is a result", "Observation",
			observation(`{"coding":[{"system":"http://example.org/local","code":"vital-signs"}]}`), record.Results},
		{"a laboratory observation is a result", "Observation",
			observation(`{"coding":[{"system":"` + obsCat + `","code":"laboratory"}]}`), record.Results},
		{"an imaging observation is a result", "Observation",
			observation(`{"coding":[{"system":"` + obsCat + `","code":"imaging"}]}`), record.Results},
		{"an observation without category is a result", "Observation", `{"resourceType":"Observation"}`, record.Results},
		{"an observation that is not JSON is a result", "Observation", `{`, record.Results},
		{"a miscased category key is not read", "Observation",
			`{"Category":[{"coding":[{"system":"` + obsCat + `","code":"vital-signs"}]}]}`, record.Results},
		{"a diagnostic report", "DiagnosticReport", `{}`, record.Results},
		{"an imaging study", "ImagingStudy", `{}`, record.Results},
		{"a specimen", "Specimen", `{}`, record.Results},
		{"a questionnaire response", "QuestionnaireResponse", `{}`, record.Results},
		{"a molecular sequence", "MolecularSequence", `{}`, record.Results},
		{"an encounter", "Encounter", `{}`, record.Encounters},
		{"an episode of care", "EpisodeOfCare", `{}`, record.Encounters},
		{"a procedure", "Procedure", `{}`, record.Procedures},
		{"a document reference", "DocumentReference", `{}`, record.Documents},
		{"a document manifest", "DocumentManifest", `{}`, record.Documents},
		{"a composition", "Composition", `{}`, record.Documents},
		{"a binary", "Binary", `{}`, record.Documents},
		{"a media", "Media", `{}`, record.Documents},
		{"a care plan", "CarePlan", `{}`, record.CarePlans},
		{"a care team", "CareTeam", `{}`, record.CarePlans},
		{"a goal", "Goal", `{}`, record.CarePlans},
		{"a service request", "ServiceRequest", `{}`, record.CarePlans},
		{"a claim is administrative", "Claim", `{}`, record.Administrative},
		{"an explanation of benefit", "ExplanationOfBenefit", `{}`, record.Administrative},
		{"a coverage", "Coverage", `{}`, record.Administrative},
		{"an organization", "Organization", `{}`, record.Administrative},
		{"a practitioner", "Practitioner", `{}`, record.Administrative},
		{"a provenance", "Provenance", `{}`, record.Administrative},
		{"a device", "Device", `{}`, record.Administrative},
		{"a supply delivery", "SupplyDelivery", `{}`, record.Administrative},
		{"an operation outcome", "OperationOutcome", `{}`, record.Administrative},
		{"a nested bundle", "Bundle", `{}`, record.Administrative},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := record.CategoryOf(tc.resourceType, []byte(tc.raw)); got != tc.want {
				t.Fatalf("CategoryOf(%s) = %s, want %s", tc.resourceType, got, tc.want)
			}
		})
	}
}

func TestCategoryOfIsAlwaysKnown(t *testing.T) {
	for _, rt := range []string{"Patient", "Observation", "Account", "Unknown"} {
		if c := record.CategoryOf(rt, []byte(`{}`)); !slices.Contains(record.Categories, c) {
			t.Errorf("CategoryOf(%s) = %q, not a category", rt, c)
		}
	}
}

package record_test

import (
	"testing"

	"github.com/kith-health/kith/domain/record"
)

func TestClinicalOfDosage(t *testing.T) {
	cases := []struct {
		name         string
		resourceType string
		raw          string
		want         string
	}{
		{"the prescriber's text wins", "MedicationRequest",
			`{"dosageInstruction":[{"text":"Take at regular intervals.\n","timing":{"repeat":{"frequency":3,"period":1,"periodUnit":"d"}}}]}`,
			"Take at regular intervals."},
		{"dose, route, timing and need", "MedicationRequest",
			`{"dosageInstruction":[{"doseAndRate":[{"doseQuantity":{"value":1,"unit":"tablet"}}],"route":{"text":"Oral"},"timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d"}},"asNeededBoolean":true}]}`,
			"1 tablet, Oral, twice a day, as needed"},
		{"a dose without unit, once a day", "MedicationRequest",
			`{"dosageInstruction":[{"timing":{"repeat":{"frequency":1,"period":1,"periodUnit":"d"}},"asNeededBoolean":false,"doseAndRate":[{"doseQuantity":{"value":1}}]}]}`,
			"1, once a day"},
		{"three times a day", "MedicationRequest",
			`{"dosageInstruction":[{"doseAndRate":[{"doseQuantity":{"value":250,"unit":"mg"}}],"timing":{"repeat":{"frequency":3,"period":1,"periodUnit":"d"}}}]}`,
			"250 mg, 3 times a day"},
		{"every eight hours", "MedicationRequest",
			`{"dosageInstruction":[{"timing":{"repeat":{"frequency":1,"period":8,"periodUnit":"h"}}}]}`,
			"every 8 hours"},
		{"a repeat without frequency is once a period", "MedicationRequest",
			`{"dosageInstruction":[{"timing":{"repeat":{"period":1,"periodUnit":"wk"}}}]}`,
			"once a week"},
		{"anything else counts and periods", "MedicationRequest",
			`{"dosageInstruction":[{"timing":{"repeat":{"frequency":2,"period":3,"periodUnit":"d"}}}]}`,
			"2 times every 3 days"},
		{"a timing code's words", "MedicationRequest",
			`{"dosageInstruction":[{"timing":{"code":{"text":"At bedtime"},"repeat":{"frequency":1,"period":1,"periodUnit":"d"}}}]}`,
			"At bedtime"},
		{"as needed for a reason", "MedicationStatement",
			`{"dosage":[{"doseAndRate":[{"doseRange":{"low":{"value":1,"unit":"TAB"},"high":{"value":2,"unit":"TAB"}}}],"asNeededCodeableConcept":{"coding":[{"display":"Restless Legs"}]}}]}`,
			"1–2 TAB, as needed for Restless Legs"},
		{"as needed only", "MedicationRequest", `{"dosageInstruction":[{"sequence":1,"asNeededBoolean":true}]}`, "as needed"},
		{"several instructions", "MedicationRequest",
			`{"dosageInstruction":[{"text":"2 puffs in the morning"},{"text":"1 puff at night"}]}`,
			"2 puffs in the morning; 1 puff at night"},
		{"an administration's single dosage", "MedicationAdministration",
			`{"dosage":{"dose":{"value":4.5,"unit":"g"},"route":{"text":"Intravenous"}}}`, "4.5 g, Intravenous"},
		{"a dispense's instructions", "MedicationDispense", `{"dosageInstruction":[{"text":"One daily"}]}`, "One daily"},
		{"no dosage", "MedicationRequest", `{"status":"active"}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := record.ClinicalOf(tc.resourceType, []byte(tc.raw)).Detail.Dosage; got != tc.want {
				t.Fatalf("Dosage = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestClinicalOfMedicationRef(t *testing.T) {
	cases := []struct {
		name, raw, want string
	}{
		{"a reference outside the resource is left to resolve", `{"medicationReference":{"reference":"Medication/12"}}`,
			"Medication/12"},
		{"a contained medication is resolved here",
			`{"contained":[{"resourceType":"Medication","id":"m","code":{"text":"Tylenol PM"}}],"medicationReference":{"reference":"#m"}}`,
			""},
		{"a medicine named by code needs none", `{"medicationCodeableConcept":{"text":"Aspirin"}}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := record.ClinicalOf("MedicationRequest", []byte(tc.raw)).Detail.MedicationRef; got != tc.want {
				t.Fatalf("MedicationRef = %q, want %q", got, tc.want)
			}
		})
	}
}

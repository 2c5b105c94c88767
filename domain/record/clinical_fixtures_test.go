package record_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kith-health/kith/domain/record"
)

func TestFixturesClinical(t *testing.T) {
	cases := []struct {
		file, resourceType string
		want               record.Clinical
		display            string
	}{
		{"hl7-r4-examples/AllergyIntolerance-example.json", "AllergyIntolerance", record.Clinical{
			Section: record.SectionAllergies, Current: true, Rank: 0,
			Detail: record.Detail{Criticality: "high", Reactions: []record.Reaction{
				{Manifestations: []string{"Anaphylactic reaction"}, Severity: "severe"},
				{Manifestations: []string{"Urticaria"}, Severity: "moderate"}}},
		}, "Cashew nuts"},
		{"hl7-r4-examples/MedicationStatement-example001.json", "MedicationStatement", record.Clinical{
			Section: record.SectionMedications, Current: true,
			Detail: record.Detail{Dosage: "1-2 tablets once daily at bedtime as needed for restless legs"},
		}, "Tylenol PM"},
		{"hl7-r4-examples/Observation-blood-pressure.json", "Observation", record.Clinical{
			Section: record.SectionVitalSigns, Current: true,
			Detail: record.Detail{Value: "107/60 mmHg", Interpretation: "Below low normal"},
		}, "Blood pressure systolic & diastolic"},
		{"ukcore/UKCore-Observation-Lab-WhiteCellCount-Example.json", "Observation", record.Clinical{
			Section: record.SectionResults, Current: true,
			Detail: record.Detail{Value: "11.2 10*9/L", ReferenceRange: "4–17"},
		}, "White blood cell count in fluid"},
		{"ukcore/UKCore-AllergyIntolerance-Amoxicillin-Example.json", "AllergyIntolerance", record.Clinical{
			Section: record.SectionAllergies, Current: true, Rank: 2,
			Detail: record.Detail{Reactions: []record.Reaction{
				{Manifestations: []string{"Urticarial rash"}, Severity: "mild"}}},
		}, "Amoxicillin"},
		{"ukcore/UKCore-MedicationStatement-Amoxicillin-Example.json", "MedicationStatement", record.Clinical{
			Section: record.SectionMedications, Current: true,
			Detail: record.Detail{Dosage: "2 capsules 4 times a day."},
		}, "Amoxicillin 250mg capsules"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			raw := readFixture(t, tc.file)
			if got := record.ClinicalOf(tc.resourceType, raw); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ClinicalOf =\n %+v\nwant\n %+v", got, tc.want)
			}
			if got := record.DisplayOf(tc.resourceType, raw).Text; got != tc.display {
				t.Fatalf("display %q, want %q", got, tc.display)
			}
		})
	}
}

// TestFixturesSyntheaClinical: in every Synthea bundle, each laboratory
// Observation is a result with a value to show (unless its value is absent or
// it has only components), and each prescription with dosage instructions
// says the dosage.
func TestFixturesSyntheaClinical(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixturesDir(t), "synthea", "*.json"))
	labs, prescriptions := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var bundle struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(data, &bundle); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		for i, e := range bundle.Entry {
			// Only a resource that says one of these can be checked here; the
			// rest need no second decode.
			if !bytes.Contains(e.Resource, []byte(`"laboratory"`)) && !bytes.Contains(e.Resource, []byte(`"dosageInstruction"`)) {
				continue
			}
			var res struct {
				ResourceType      string
				Category          json.RawMessage // a list of strings in some types
				DataAbsentReason  json.RawMessage
				Component         json.RawMessage
				DosageInstruction json.RawMessage
			}
			if err := json.Unmarshal(e.Resource, &res); err != nil {
				t.Fatalf("%s entry %d: %v", filepath.Base(f), i, err)
			}
			got := record.ClinicalOf(res.ResourceType, e.Resource)
			switch {
			case res.ResourceType == "Observation" && isLaboratory(t, res.Category):
				labs++
				if got.Section != record.SectionResults {
					t.Errorf("%s entry %d: laboratory observation in section %q", filepath.Base(f), i, got.Section)
				}
				if got.Detail.Value == "" && res.DataAbsentReason == nil && res.Component == nil {
					t.Errorf("%s entry %d: laboratory observation without value", filepath.Base(f), i)
				}
			case res.ResourceType == "MedicationRequest" && res.DosageInstruction != nil:
				prescriptions++
				if got.Detail.Dosage == "" {
					t.Errorf("%s entry %d: prescription without dosage: %s", filepath.Base(f), i, res.DosageInstruction)
				}
			}
		}
	}
	if labs == 0 || prescriptions == 0 {
		t.Fatalf("%d laboratory observations and %d prescriptions with dosage: fixtures changed?", labs, prescriptions)
	}
}

func isLaboratory(t *testing.T, raw json.RawMessage) bool {
	var categories []struct {
		Coding []struct{ System, Code string }
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &categories); err != nil {
			t.Fatal(err)
		}
	}
	for _, cat := range categories {
		for _, c := range cat.Coding {
			if c.Code == "laboratory" && c.System == "http://terminology.hl7.org/CodeSystem/observation-category" {
				return true
			}
		}
	}
	return false
}

package record_test

import (
	"reflect"
	"testing"

	"github.com/kith-health/kith/domain/record"
)

func TestSensitivityClassify(t *testing.T) {
	const (
		actCode = `"http://terminology.hl7.org/CodeSystem/v3-ActCode"`
		conf    = `"http://terminology.hl7.org/CodeSystem/v3-Confidentiality"`
		snomed  = `"http://snomed.info/sct"`
		icd10   = `"http://hl7.org/fhir/sid/icd-10"`
	)
	coded := func(element, system, code string) string {
		return `{"resourceType":"Condition","` + element + `":{"coding":[{"system":` + system + `,"code":"` + code + `"}]}}`
	}
	cases := []struct {
		name          string
		raw           string
		wantSensitive bool
		wantLabels    []string
	}{
		{"an ordinary condition", coded("code", snomed, "26322001"), false, nil},
		{"an HIV policy label", `{"meta":{"security":[{"system":` + actCode + `,"code":"HIV"}]}}`, true, []string{"HIV"}},
		{"a psychotherapy note label", `{"meta":{"security":[{"system":` + actCode + `,"code":"PSYTHPN"}]}}`, true, []string{"PSYTHPN"}},
		{"restricted confidentiality", `{"meta":{"security":[{"system":` + conf + `,"code":"R"}]}}`, true, []string{"R"}},
		{"very restricted confidentiality", `{"meta":{"security":[{"system":` + conf + `,"code":"V"}]}}`, true, []string{"V"}},
		{"normal confidentiality is reported, not sensitive", `{"meta":{"security":[{"system":` + conf + `,"code":"N"}]}}`, false, []string{"N"}},
		{"a label without system is matched on its code", `{"meta":{"security":[{"code":"SDV"}]}}`, true, []string{"SDV"}},
		{"a sensitive code in another label system is not", `{"meta":{"security":[{"system":"http://example.org/labels","code":"PSY"}]}}`, false, []string{"PSY"}},
		{"labels are listed once, in order", `{"meta":{"security":[{"system":` + conf + `,"code":"N"},{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"HTEST"},{"code":"N"}]}}`,
			false, []string{"N", "HTEST"}},
		{"HIV infection in SNOMED", coded("code", snomed, "86406008"), true, nil},
		{"a SNOMED number under another system is not", coded("code", `"http://read.info/ctv3"`, "86406008"), false, nil},
		{"depression as ICD-10 with a dot", coded("code", icd10, "F32.9"), true, nil},
		{"alcohol dependence in ICD-10-CM, lower case", coded("code", `"http://hl7.org/fhir/sid/icd-10-cm"`, "f10.20"), true, nil},
		{"HIV disease in ICD-10", coded("code", icd10, "B20"), true, nil},
		{"asymptomatic HIV status in ICD-10", coded("code", icd10, "Z21"), true, nil},
		{"an STI in the UK ICD-10", coded("code", `"http://hl7.org/fhir/sid/icd-10-uk"`, "A63.0"), true, nil},
		{"dementia is not in the default list", coded("code", icd10, "F03"), false, nil},
		{"asthma in ICD-10 is not sensitive", coded("code", icd10, "J45.9"), false, nil},
		{"sexual orientation asked in LOINC", coded("code", `"http://loinc.org"`, "76690-7"), true, nil},
		{"HIV positive as an observation value", coded("valueCodeableConcept", snomed, "165816005"), true, nil},
		{"a prescription whose reason is depression",
			`{"resourceType":"MedicationRequest","reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"26322001"}]},{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}]}]}`,
			true, nil},
		{"a contained condition travels with its resource",
			`{"resourceType":"MedicationRequest","contained":[{"resourceType":"Condition","code":{"coding":[{"system":"http://snomed.info/sct","code":"62479008"}]}}]}`,
			true, nil},
		{"a claim's diagnosis",
			`{"resourceType":"Claim","diagnosis":[{"sequence":1,"diagnosisCodeableConcept":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"B24"}]}}]}`,
			true, nil},
		{"an explanation of benefit's service",
			`{"resourceType":"ExplanationOfBenefit","item":[{"productOrService":{"coding":[{"system":"http://snomed.info/sct","code":"706893006"}]}}]}`,
			true, nil},
		{"a miscased code element is not read", `{"resourceType":"Condition","Code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`, false, nil},
		{"a code in an element that is not read (bodySite)", coded("bodySite", snomed, "86406008"), false, nil},
		{"not JSON", `{`, false, nil},
	}
	rules := record.DefaultSensitivity()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sensitive, labels := rules.Classify([]byte(tc.raw))
			if sensitive != tc.wantSensitive || !reflect.DeepEqual(labels, tc.wantLabels) {
				t.Fatalf("Classify = %v, %q; want %v, %q", sensitive, labels, tc.wantSensitive, tc.wantLabels)
			}
		})
	}
}

func TestSensitivityRulesAreConfigurable(t *testing.T) {
	rules := record.SensitivityRules{
		Labels:       map[string][]string{"http://example.org/labels": {"SECRET"}},
		Codes:        map[string][]string{"https://dmd.nhs.uk": {"39732311000001104"}},
		CodePrefixes: map[string][]string{"http://hl7.org/fhir/sid/icd-10": {"J45.1"}},
	}
	cases := []struct {
		name string
		raw  string
		want bool
	}{
		{"a local label", `{"meta":{"security":[{"system":"http://example.org/labels","code":"SECRET"}]}}`, true},
		{"a default label no longer counts", `{"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"}]}}`, false},
		{"a dm+d medication", `{"medicationCodeableConcept":{"coding":[{"system":"https://dmd.nhs.uk","code":"39732311000001104"}]}}`, true},
		{"a vaccine code is read", `{"vaccineCode":{"coding":[{"system":"https://dmd.nhs.uk","code":"39732311000001104"}]}}`, true},
		{"a prefix written with a dot matches codes with or without it", `{"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"J451"}]}}`, true},
		{"a sibling of the prefix does not", `{"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"J45.0"}]}}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := rules.Classify([]byte(tc.raw)); got != tc.want {
				t.Fatalf("sensitive = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEmptySensitivityRulesFlagNothing(t *testing.T) {
	sensitive, labels := record.SensitivityRules{}.Classify([]byte(`{"meta":{"security":[{"code":"HIV"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"86406008"}]}}`))
	if sensitive || !reflect.DeepEqual(labels, []string{"HIV"}) {
		t.Fatalf("Classify = %v, %q; want false, [HIV]", sensitive, labels)
	}
}

package record_test

import (
	"testing"

	"github.com/kith-health/kith/domain/record"
)

func TestClinicalOfObservationDetail(t *testing.T) {
	cases := []struct {
		name                            string
		raw                             string
		value, refRange, interpretation string
	}{
		{"a quantity keeps its number as written", `{"valueQuantity":{"value":5.40,"unit":"mmol/L"}}`, "5.4 mmol/L", "", ""},
		{"a large number is not in exponent form", `{"valueQuantity":{"value":250000,"unit":"/uL"}}`, "250000 /uL", "", ""},
		{"a quantity's code when it has no unit", `{"valueQuantity":{"value":98,"code":"%"}}`, "98 %", "", ""},
		{"a comparator", `{"valueQuantity":{"value":0.5,"comparator":"<","unit":"mg/L"}}`, "<0.5 mg/L", "", ""},
		{"a score's annotation unit is left out", `{"valueQuantity":{"value":3,"unit":"{score}","code":"{score}"}}`, "3", "", ""},
		{"so is a unit whose code is an annotation", `{"valueQuantity":{"value":6,"unit":"ScoreOf","code":"{ScoreOf}"}}`, "6", "", ""},
		{"an annotation inside a unit stays", `{"valueQuantity":{"value":21,"unit":"{Breaths}/min"}}`, "21 {Breaths}/min", "", ""},
		{"a coded value", `{"valueCodeableConcept":{"coding":[{"display":"Never smoked tobacco"}]}}`, "Never smoked tobacco", "", ""},
		{"a string value", `{"valueString":"Lives alone"}`, "Lives alone", "", ""},
		{"a boolean value", `{"valueBoolean":true}`, "Yes", "", ""},
		{"an integer value", `{"valueInteger":7}`, "7", "", ""},
		{"a range value", `{"valueRange":{"low":{"value":1,"unit":"mg"},"high":{"value":3,"unit":"mg"}}}`, "1–3 mg", "", ""},
		{"a ratio value", `{"valueRatio":{"numerator":{"value":1},"denominator":{"value":128}}}`, "1/128", "", ""},
		{"a date and time value", `{"valueDateTime":"2020-01-02"}`, "2020-01-02", "", ""},
		{"a period value", `{"valuePeriod":{"start":"2020-01-02","end":"2020-01-09"}}`, "2020-01-02–2020-01-09", "", ""},
		{"an absent value shows none", `{"dataAbsentReason":{"text":"Not performed"}}`, "", "", ""},
		{"a blood pressure, diastolic first as Synthea sends it",
			`{"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"unit":"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mm[Hg]"}}]}`,
			"120/80 mm[Hg]", "", ""},
		{"a blood pressure missing one side lists what it has",
			`{"component":[{"code":{"text":"Systolic","coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mmHg"}},{"code":{"text":"Diastolic","coding":[{"system":"http://loinc.org","code":"8462-4"}]},"dataAbsentReason":{"text":"error"}}]}`,
			"Systolic: 120 mmHg", "", ""},
		{"other components as labels and values",
			`{"component":[{"code":{"text":"Score"},"valueInteger":4},{"code":{"text":"Risk"},"valueCodeableConcept":{"text":"Low"}}]}`,
			"Score: 4; Risk: Low", "", ""},
		{"a range with both bounds", `{"referenceRange":[{"low":{"value":3.5,"unit":"mmol/L"},"high":{"value":5.3,"unit":"mmol/L"}}]}`,
			"", "3.5–5.3 mmol/L", ""},
		{"a range's own text wins", `{"referenceRange":[{"text":"under 5","high":{"value":5}}]}`, "", "under 5", ""},
		{"a lower bound only", `{"referenceRange":[{"low":{"value":3.5,"unit":"mmol/L"}}]}`, "", "≥ 3.5 mmol/L", ""},
		{"an upper bound only", `{"referenceRange":[{"high":{"value":5.3,"unit":"mmol/L"}}]}`, "", "≤ 5.3 mmol/L", ""},
		{"the first range only", `{"referenceRange":[{"text":"adult"},{"text":"child"}]}`, "", "adult", ""},
		{"an interpretation's text", `{"interpretation":[{"text":"Below low normal","coding":[{"code":"L"}]}]}`, "", "", "Below low normal"},
		{"a bare high code in words",
			`{"interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"H"}]}]}`,
			"", "", "High"},
		{"a bare critically low code in words", `{"interpretation":[{"coding":[{"code":"LL"}]}]}`, "", "", "Critically low"},
		{"a code of another system is not guessed", `{"interpretation":[{"coding":[{"system":"http://example.org","code":"H"}]}]}`,
			"", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := record.ClinicalOf("Observation", []byte(tc.raw)).Detail
			if d.Value != tc.value || d.ReferenceRange != tc.refRange || d.Interpretation != tc.interpretation {
				t.Fatalf("Detail = %q, %q, %q; want %q, %q, %q", d.Value, d.ReferenceRange, d.Interpretation,
					tc.value, tc.refRange, tc.interpretation)
			}
		})
	}
}

func TestClinicalOfReportConclusion(t *testing.T) {
	cases := []struct {
		name, raw, want string
	}{
		{"the conclusion", `{"conclusion":"Normal blood count","conclusionCode":[{"text":"Normal"}]}`, "Normal blood count"},
		{"else the coded conclusions", `{"conclusionCode":[{"text":"Anaemia"},{"coding":[{"display":"Iron deficiency"}]}]}`,
			"Anaemia; Iron deficiency"},
		{"a report without conclusion", `{"status":"final"}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := record.ClinicalOf("DiagnosticReport", []byte(tc.raw)).Detail.Value; got != tc.want {
				t.Fatalf("Value = %q, want %q", got, tc.want)
			}
		})
	}
}

package record_test

import (
	"testing"
	"time"

	"github.com/kith-health/kith/domain/record"
)

func TestDisplayOf(t *testing.T) {
	utc := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t.UTC()
	}
	cases := []struct {
		name         string
		resourceType string
		raw          string
		want         record.Display
	}{
		{"code text first, clinical status over status", "Condition",
			`{"clinicalStatus":{"coding":[{"code":"active"}]},"status":"x","code":{"text":"Asthma","coding":[{"display":"Asthma (disorder)"}]},"onsetDateTime":"2019-03-04T10:00:00+01:00"}`,
			record.Display{Text: "Asthma", Status: "active", Date: utc("2019-03-04T09:00:00Z"), DatePrecision: record.PrecisionTime}},
		{"else the first coding with a display", "Condition",
			`{"code":{"coding":[{"code":"1"},{"display":"Bleeding from ear"}]}}`,
			record.Display{Text: "Bleeding from ear"}},
		{"a medication statement names its medicine", "MedicationStatement",
			`{"status":"active","medicationCodeableConcept":{"coding":[{"display":"Amoxicillin 250mg capsules"}]},"effectivePeriod":{"start":"2021-02-15T13:50:00+00:00"}}`,
			record.Display{Text: "Amoxicillin 250mg capsules", Status: "active", Date: utc("2021-02-15T13:50:00Z"), DatePrecision: record.PrecisionTime}},
		{"an immunization names its vaccine, date only", "Immunization",
			`{"status":"completed","vaccineCode":{"text":"Influenza"},"occurrenceDateTime":"2013-01-10"}`,
			record.Display{Text: "Influenza", Status: "completed", Date: utc("2013-01-10T00:00:00Z"), DatePrecision: record.PrecisionDay}},
		{"an encounter's first type", "Encounter",
			`{"status":"finished","class":{"display":"inpatient encounter"},"type":[{"text":"Encounter for problem"}],"period":{"start":"1988-04-30T01:24:38+10:00"}}`,
			record.Display{Text: "Encounter for problem", Status: "finished", Date: utc("1988-04-29T15:24:38Z"), DatePrecision: record.PrecisionTime}},
		{"an encounter without type shows its class", "Encounter",
			`{"status":"finished","class":{"code":"IMP","display":"inpatient encounter"}}`,
			record.Display{Text: "inpatient encounter", Status: "finished"}},
		{"a document reference's single type", "DocumentReference",
			`{"status":"current","type":{"coding":[{"display":"History and physical note"}]},"date":"2020-01-02T03:04:05.678Z"}`,
			record.Display{Text: "History and physical note", Status: "current", Date: utc("2020-01-02T03:04:05.678Z"), DatePrecision: record.PrecisionTime}},
		{"a goal's description", "Goal",
			`{"lifecycleStatus":"active","description":{"text":"Reduce weight"}}`,
			record.Display{Text: "Reduce weight"}},
		{"a composition's title", "Composition", `{"status":"final","title":"Discharge summary"}`,
			record.Display{Text: "Discharge summary", Status: "final"}},
		{"an organization's name", "Organization", `{"name":"Leeds Teaching Hospitals"}`,
			record.Display{Text: "Leeds Teaching Hospitals"}},
		{"a patient's official name and birth date", "Patient",
			`{"name":[{"use":"usual","given":["Dick"],"family":"Smith"},{"use":"official","given":["Richard","Kenneth"],"family":"Smith"}],"birthDate":"1974-12-25"}`,
			record.Display{Text: "Richard Kenneth Smith", Date: utc("1974-12-25T00:00:00Z"), DatePrecision: record.PrecisionDay}},
		{"a patient's usual name without an official one", "Patient",
			`{"name":[{"use":"old","family":"Jones"},{"use":"usual","given":["Ann"],"family":"Smith"}]}`,
			record.Display{Text: "Ann Smith"}},
		{"a name given only as text", "RelatedPerson", `{"name":[{"text":"Mrs Smith"}]}`,
			record.Display{Text: "Mrs Smith"}},
		{"an allergy's substance", "AllergyIntolerance",
			`{"criticality":"high","code":{"coding":[{"system":"http://snomed.info/sct","code":"227493005","display":"Cashew nuts"}]}}`,
			record.Display{Text: "Cashew nuts"}},
		{"an untitled care plan shows its category", "CarePlan",
			`{"status":"active","category":[{"coding":[{"display":"Respiratory therapy"}]}]}`,
			record.Display{Text: "Care plan: Respiratory therapy", Status: "active"}},
		{"a care plan category that says plan stands alone", "CarePlan",
			`{"category":[{"text":"Diabetes self management plan"}]}`,
			record.Display{Text: "Diabetes self management plan"}},
		{"a care plan's title wins over its category", "CarePlan",
			`{"title":"Weight loss","category":[{"text":"Self care"}]}`,
			record.Display{Text: "Weight loss"}},
		{"a care plan with nothing to show", "CarePlan", `{"status":"active"}`,
			record.Display{Text: "Care plan", Status: "active"}},
		{"a contained medication's name", "MedicationStatement",
			`{"contained":[{"resourceType":"Medication","id":"med0309","code":{"coding":[{"display":"Tylenol PM"}]}}],"medicationReference":{"reference":"#med0309"}}`,
			record.Display{Text: "Tylenol PM"}},
		{"a medication reference's display", "MedicationRequest",
			`{"medicationReference":{"reference":"Medication/12","display":"Paracetamol 500mg tablets"}}`,
			record.Display{Text: "Paracetamol 500mg tablets"}},
		{"a medication named only elsewhere", "MedicationRequest",
			`{"status":"active","medicationReference":{"reference":"urn:uuid:1b2c"}}`,
			record.Display{Text: "Medicine (named by reference)", Status: "active"}},
		{"a missing contained medication is named elsewhere", "MedicationStatement",
			`{"medicationReference":{"reference":"#gone"}}`,
			record.Display{Text: "Medicine (named by reference)"}},
		{"a claim says what kind it is", "Claim",
			`{"status":"active","type":{"coding":[{"code":"institutional"}]}}`,
			record.Display{Text: "Insurance claim", Status: "active"}},
		{"a provenance says it is a record", "Provenance", `{}`, record.Display{Text: "Provenance record"}},
		{"other types in words", "ExplanationOfBenefit", `{"status":"active"}`,
			record.Display{Text: "Explanation of benefit", Status: "active"}},
		{"not JSON shows the type", "Observation", `{`, record.Display{Text: "Observation"}},
		{"a year-only onset", "Condition", `{"onsetDateTime":"2008"}`,
			record.Display{Text: "Condition", Date: utc("2008-01-01T00:00:00Z"), DatePrecision: record.PrecisionYear}},
		{"a year and month", "Condition", `{"recordedDate":"2008-06"}`,
			record.Display{Text: "Condition", Date: utc("2008-06-01T00:00:00Z"), DatePrecision: record.PrecisionMonth}},
		{"effective wins over issued", "Observation",
			`{"effectiveDateTime":"2015-02-19T10:10:38+10:00","issued":"2015-02-19T10:10:38.982+10:00"}`,
			record.Display{Text: "Observation", Date: utc("2015-02-19T00:10:38Z"), DatePrecision: record.PrecisionTime}},
		{"issued truncated to milliseconds", "DiagnosticReport", `{"issued":"2015-02-19T10:10:38.98276+10:00"}`,
			record.Display{Text: "Diagnostic report", Date: utc("2015-02-19T00:10:38.982Z"), DatePrecision: record.PrecisionTime}},
		{"an unparseable date gives way to the next", "Procedure",
			`{"performedDateTime":"yesterday","performedPeriod":{"start":"2020-05-06T07:08:09Z"}}`,
			record.Display{Text: "Procedure", Date: utc("2020-05-06T07:08:09Z"), DatePrecision: record.PrecisionTime}},
		{"a time without zone is read as UTC", "Observation", `{"effectiveDateTime":"2020-05-06T07:08:09"}`,
			record.Display{Text: "Observation", Date: utc("2020-05-06T07:08:09Z"), DatePrecision: record.PrecisionTime}},
		{"last updated as the last resort", "Basic", `{"meta":{"lastUpdated":"2014-08-18T01:43:30Z"}}`,
			record.Display{Text: "Basic", Date: utc("2014-08-18T01:43:30Z"), DatePrecision: record.PrecisionTime}},
		{"an impossible date is no date", "Condition", `{"onsetDateTime":"2021-02-30"}`,
			record.Display{Text: "Condition"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := record.DisplayOf(tc.resourceType, []byte(tc.raw))
			if got.Text != tc.want.Text || got.Status != tc.want.Status || !got.Date.Equal(tc.want.Date) ||
				got.DatePrecision != tc.want.DatePrecision {
				t.Fatalf("DisplayOf =\n %+v\nwant\n %+v", got, tc.want)
			}
			if !got.Date.IsZero() && got.Date.Location() != time.UTC {
				t.Fatalf("date %v is not in UTC", got.Date)
			}
		})
	}
}

func TestParseFHIRDate(t *testing.T) {
	cases := []struct {
		in        string
		want      time.Time
		precision record.DatePrecision
		ok        bool
	}{
		{"2004", time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC), record.PrecisionYear, true},
		{"2004-03", time.Date(2004, 3, 1, 0, 0, 0, 0, time.UTC), record.PrecisionMonth, true},
		{"2004-03-04", time.Date(2004, 3, 4, 0, 0, 0, 0, time.UTC), record.PrecisionDay, true},
		{"2004-03-04T10:11:12+01:00", time.Date(2004, 3, 4, 9, 11, 12, 0, time.UTC), record.PrecisionTime, true},
		{"", time.Time{}, "", false},
		{"04/03/2004", time.Time{}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, precision, ok := record.ParseFHIRDate(tc.in)
			if !got.Equal(tc.want) || precision != tc.precision || ok != tc.ok {
				t.Fatalf("ParseFHIRDate(%q) = %v, %q, %v; want %v, %q, %v", tc.in, got, precision, ok, tc.want, tc.precision, tc.ok)
			}
			if tm, ok := record.ParseFHIRTime(tc.in); !tm.Equal(tc.want) || ok != tc.ok {
				t.Fatalf("ParseFHIRTime(%q) = %v, %v", tc.in, tm, ok)
			}
		})
	}
}

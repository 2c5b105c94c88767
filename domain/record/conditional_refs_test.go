package record_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/kith-health/kith/domain/record"
)

const npiRef = `Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999912345`

var practitioner = `{"resourceType":"Practitioner","id":"pr1","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999912345"}]}`

func TestResolveConditionalReferences(t *testing.T) {
	cases := []struct {
		name     string
		in       []record.Incoming
		inRecord record.ReferenceTarget
		want     []string // each resource's Raw afterwards
	}{
		{
			name: "resolved to the fullUrl of the resource in the delivery, display kept",
			in: []record.Incoming{
				{ResourceType: "Practitioner", ID: "pr1", FullURL: "urn:uuid:0b5e6a4c-1c1f-4bd8-9d67-3c0a6f1f7b21", Raw: []byte(practitioner)},
				{ResourceType: "Encounter", ID: "e1", Raw: []byte(`{"resourceType":"Encounter","id":"e1","participant":[{"individual":{"reference":"` + npiRef + `","display":"Dr. Jan Smith"}}]}`)},
			},
			want: []string{practitioner,
				`{"resourceType":"Encounter","id":"e1","participant":[{"individual":{"reference":"urn:uuid:0b5e6a4c-1c1f-4bd8-9d67-3c0a6f1f7b21","display":"Dr. Jan Smith"}}]}`},
		},
		{
			name: "resolved to Type/id when the resource in the delivery has no fullUrl",
			in: []record.Incoming{
				{ResourceType: "Practitioner", ID: "pr1", Raw: []byte(practitioner)},
				{ResourceType: "Encounter", Raw: []byte(`{"resourceType":"Encounter","participant":[{"individual":{"reference":"` + npiRef + `"}}]}`)},
			},
			want: []string{practitioner, `{"resourceType":"Encounter","participant":[{"individual":{"reference":"Practitioner/pr1"}}]}`},
		},
		{
			name: "resolved on the value alone when the reference gives no system",
			in: []record.Incoming{
				{ResourceType: "Organization", FullURL: "urn:uuid:org", Raw: []byte(`{"resourceType":"Organization","identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"b1ddf812"}]}`)},
				{ResourceType: "Encounter", Raw: []byte(`{"resourceType":"Encounter","serviceProvider":{"reference":"Organization?identifier=b1ddf812"}}`)},
			},
			want: []string{`{"resourceType":"Organization","identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"b1ddf812"}]}`,
				`{"resourceType":"Encounter","serviceProvider":{"reference":"urn:uuid:org"}}`},
		},
		{
			name: "a resource of another type with the identifier is not the target",
			in: []record.Incoming{
				{ResourceType: "PractitionerRole", FullURL: "urn:uuid:role", Raw: []byte(`{"resourceType":"PractitionerRole","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999912345"}]}`)},
				{ResourceType: "Encounter", Raw: []byte(`{"resourceType":"Encounter","participant":[{"individual":{"reference":"` + npiRef + `"}}]}`)},
			},
			want: []string{`{"resourceType":"PractitionerRole","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999912345"}]}`,
				`{"resourceType":"Encounter","participant":[{"individual":{"type":"Practitioner","identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999912345"}}}]}`},
		},
		{
			name: "an identifier two resources in the delivery carry names neither",
			in: []record.Incoming{
				{ResourceType: "Practitioner", FullURL: "urn:uuid:a", Raw: []byte(practitioner)},
				{ResourceType: "Practitioner", FullURL: "urn:uuid:b", Raw: []byte(practitioner)},
				{ResourceType: "Encounter", Raw: []byte(`{"resourceType":"Encounter","participant":[{"individual":{"reference":"` + npiRef + `"}}]}`)},
			},
			want: []string{practitioner, practitioner,
				`{"resourceType":"Encounter","participant":[{"individual":{"type":"Practitioner","identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999912345"}}}]}`},
		},
		{
			name: "resolved through the record when the delivery does not have it",
			in:   []record.Incoming{{ResourceType: "Encounter", Raw: []byte(`{"resourceType":"Encounter","participant":[{"individual":{"reference":"` + npiRef + `"}}]}`)}},
			inRecord: func(resourceType, system, value string) (string, bool) {
				if resourceType == "Practitioner" && system == "http://hl7.org/fhir/sid/us-npi" && value == "9999912345" {
					return "Practitioner/kept-earlier", true
				}
				return "", false
			},
			want: []string{`{"resourceType":"Encounter","participant":[{"individual":{"reference":"Practitioner/kept-earlier"}}]}`},
		},
		{
			name:     "unresolved becomes a logical reference with type and identifier, in the reference's place",
			in:       []record.Incoming{{ResourceType: "Encounter", Raw: []byte(`{"resourceType":"Encounter","participant":[{"individual":{"id":"x","reference":"` + npiRef + `","display":"Dr. Jan Smith"}}]}`)}},
			inRecord: func(string, string, string) (string, bool) { return "", false },
			want:     []string{`{"resourceType":"Encounter","participant":[{"individual":{"id":"x","type":"Practitioner","identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999912345"},"display":"Dr. Jan Smith"}}]}`},
		},
		{
			name: "a logical reference keeps the type the Reference already has",
			in:   []record.Incoming{{ResourceType: "Encounter", Raw: []byte(`{"resourceType":"Encounter","serviceProvider":{"reference":"Organization?identifier=https://github.com/synthetichealth/synthea|b1ddf812","type":"Organization"}}`)}},
			want: []string{`{"resourceType":"Encounter","serviceProvider":{"identifier":{"system":"https://github.com/synthetichealth/synthea","value":"b1ddf812"},"type":"Organization"}}`},
		},
		{
			name: "an unresolved reference without a system gives an identifier without one",
			in:   []record.Incoming{{ResourceType: "Encounter", Raw: []byte(`{"resourceType":"Encounter","location":[{"location":{"reference":"Location?identifier=50e968e3"}}]}`)}},
			want: []string{`{"resourceType":"Encounter","location":[{"location":{"type":"Location","identifier":{"value":"50e968e3"}}}]}`},
		},
		{
			name: "an escaped query is still read: %7C is the bar",
			in:   []record.Incoming{{ResourceType: "Encounter", Raw: []byte(`{"resourceType":"Encounter","serviceProvider":{"reference":"Organization\u003fidentifier=urn:oid:1.2%7C42"}}`)}},
			want: []string{`{"resourceType":"Encounter","serviceProvider":{"type":"Organization","identifier":{"system":"urn:oid:1.2","value":"42"}}}`},
		},
		{
			name: "the rest of a rewritten resource keeps its member order, number literals and string escapes",
			in: []record.Incoming{{ResourceType: "Observation", ID: "o1", Raw: []byte(`{
  "resourceType": "Observation",
  "status": "final",
  "id": "o1",
  "valueQuantity": {"value": 1.50, "unit": "mmol/L"},
  "referenceRange": [{"low": {"value": 1e3}, "high": {"value": -0.0}}],
  "note": [{"text": "A \u0026 B <b> caf\u00e9"}],
  "performer": [{"reference": "` + npiRef + `"}]
}`)}},
			want: []string{`{"resourceType":"Observation","status":"final","id":"o1","valueQuantity":{"value":1.50,"unit":"mmol/L"},` +
				`"referenceRange":[{"low":{"value":1e3},"high":{"value":-0.0}}],"note":[{"text":"A \u0026 B <b> caf\u00e9"}],` +
				`"performer":[{"type":"Practitioner","identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999912345"}}]}`},
		},
		{
			name: "every reference in a Claim's lists, and in an ExplanationOfBenefit",
			in: []record.Incoming{
				{ResourceType: "Organization", FullURL: "urn:uuid:org", Raw: []byte(`{"resourceType":"Organization","identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"b1ddf812"}]}`)},
				{ResourceType: "Claim", Raw: []byte(`{"resourceType":"Claim","provider":{"reference":"Organization?identifier=https://github.com/synthetichealth/synthea|b1ddf812"},` +
					`"careTeam":[{"sequence":1,"provider":{"reference":"` + npiRef + `"}},{"sequence":2,"provider":{"reference":"Practitioner/local"}}]}`)},
				{ResourceType: "ExplanationOfBenefit", Raw: []byte(`{"resourceType":"ExplanationOfBenefit","contained":[{"resourceType":"ServiceRequest","requester":{"reference":"` + npiRef + `"}}],` +
					`"careTeam":[{"provider":{"reference":"` + npiRef + `"}}],"facility":{"reference":"Location?identifier=https://github.com/synthetichealth/synthea|loc1","display":"Clinic"}}`)},
			},
			want: []string{`{"resourceType":"Organization","identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"b1ddf812"}]}`,
				`{"resourceType":"Claim","provider":{"reference":"urn:uuid:org"},` +
					`"careTeam":[{"sequence":1,"provider":{"type":"Practitioner","identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999912345"}}},{"sequence":2,"provider":{"reference":"Practitioner/local"}}]}`,
				`{"resourceType":"ExplanationOfBenefit","contained":[{"resourceType":"ServiceRequest","requester":{"type":"Practitioner","identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999912345"}}}],` +
					`"careTeam":[{"provider":{"type":"Practitioner","identifier":{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999912345"}}}],` +
					`"facility":{"type":"Location","identifier":{"system":"https://github.com/synthetichealth/synthea","value":"loc1"},"display":"Clinic"}}`},
		},
		{
			name: "a resource without conditional references keeps its bytes, a question mark notwithstanding",
			in: []record.Incoming{{ResourceType: "QuestionnaireResponse", Raw: []byte(`{ "resourceType" : "QuestionnaireResponse",
				"item": [ {"text": "Any pain?", "answer": [{"valueDecimal": 1.50}]} ],
				"source": {"reference": "https://x.example/fhir/Patient?_id=1"} }`)}},
			want: []string{`{ "resourceType" : "QuestionnaireResponse",
				"item": [ {"text": "Any pain?", "answer": [{"valueDecimal": 1.50}]} ],
				"source": {"reference": "https://x.example/fhir/Patient?_id=1"} }`},
		},
		{
			name: "searches on anything but one identifier are left as they are",
			in: []record.Incoming{{ResourceType: "Encounter", Raw: []byte(`{"resourceType": "Encounter", "subject": {"reference": "Patient?name=x"},` +
				` "a": {"reference": "Patient?identifier=s|1&birthdate=2000-01-01"}, "b": {"reference": "Patient?identifier=s|1,t|2"},` +
				` "c": {"reference": "Patient?identifier=s|"}, "d": {"reference": "Patients?identifier=s|1"}, "e": {"reference": "Patient?identifier=%zz"}}`)}},
			want: []string{`{"resourceType": "Encounter", "subject": {"reference": "Patient?name=x"},` +
				` "a": {"reference": "Patient?identifier=s|1&birthdate=2000-01-01"}, "b": {"reference": "Patient?identifier=s|1,t|2"},` +
				` "c": {"reference": "Patient?identifier=s|"}, "d": {"reference": "Patients?identifier=s|1"}, "e": {"reference": "Patient?identifier=%zz"}}`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := make([]string, len(tc.in))
			for i, in := range tc.in {
				before[i] = string(in.Raw)
			}
			got := record.ResolveConditionalReferences(tc.in, tc.inRecord)
			if len(got) != len(tc.want) {
				t.Fatalf("%d resources, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if string(got[i].Raw) != tc.want[i] {
					t.Errorf("resource %d:\n got %s\nwant %s", i, got[i].Raw, tc.want[i])
				}
				if !json.Valid(got[i].Raw) {
					t.Errorf("resource %d is not JSON", i)
				}
				if string(tc.in[i].Raw) != before[i] {
					t.Errorf("resource %d of the input changed", i)
				}
			}
		})
	}
}

// conditionalReference is how the fixture tests recognise what is left over,
// independently of the code under test.
var conditionalReference = regexp.MustCompile(`^[A-Z][A-Za-z]+\?`)

// TestFixturesConditionalReferences: Synthea's transaction bundles point at
// practitioners, organizations and locations by conditional reference; once
// resolved against nothing but the bundle itself, none is left, each has become
// the logical reference it stood for, and every other resource is untouched.
func TestFixturesConditionalReferences(t *testing.T) {
	dir := fixturesDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "synthea", "*.json"))
	rewrote := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		ins, err := record.ParseInput(data, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := record.ResolveConditionalReferences(ins, nil)
		for i, in := range ins {
			original := decodeNumbers(t, in.Raw)
			if !asLogical(original) {
				if !bytes.Equal(got[i].Raw, in.Raw) {
					t.Fatalf("%s entry %d: changed without a conditional reference", name, in.Index)
				}
				continue
			}
			rewrote[strings.SplitN(name, "_", 2)[0]]++
			if !json.Valid(got[i].Raw) {
				t.Fatalf("%s entry %d: not JSON after rewriting", name, in.Index)
			}
			after := decodeNumbers(t, got[i].Raw)
			if asLogical(after) {
				t.Fatalf("%s entry %d: a conditional reference is left", name, in.Index)
			}
			// original now has its references made logical the plain way.
			if !reflect.DeepEqual(after, original) {
				t.Fatalf("%s entry %d: rewritten as\n%s", name, in.Index, got[i].Raw)
			}
		}
	}
	for _, patient := range []string{"Augustina561", "Bob965"} {
		if rewrote[patient] == 0 {
			t.Errorf("no conditional references found for %s: fixtures changed?", patient)
		}
	}
}

func decodeNumbers(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers compare as written
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// asLogical turns every conditional reference under v into a logical reference
// (type and identifier), reporting whether there was any.
func asLogical(v any) bool {
	found := false
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			found = asLogical(e) || found
		}
	case map[string]any:
		for _, e := range v {
			found = asLogical(e) || found
		}
		ref, _ := v["reference"].(string)
		if !conditionalReference.MatchString(ref) {
			break
		}
		resourceType, query, _ := strings.Cut(ref, "?")
		system, value, _ := strings.Cut(strings.TrimPrefix(query, "identifier="), "|")
		delete(v, "reference")
		v["type"] = resourceType
		v["identifier"] = map[string]any{"system": system, "value": value}
		found = true
	}
	return found
}

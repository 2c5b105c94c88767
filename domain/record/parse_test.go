package record_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

func TestParseInputAccepts(t *testing.T) {
	cases := []struct {
		name string
		body string
		max  int
		want []record.Incoming
	}{
		{
			name: "a lone resource keeps its exact bytes without surrounding space",
			body: "\n  {\"resourceType\":\"Condition\", \"id\":\"c1\",\"code\":{\"text\":\"Asthma\"}}\n",
			want: []record.Incoming{{Lone: true, ResourceType: "Condition", ID: "c1",
				Raw: []byte(`{"resourceType":"Condition", "id":"c1","code":{"text":"Asthma"}}`)}},
		},
		{
			name: "a lone resource without an id is fine",
			body: `{"resourceType":"Observation"}`,
			want: []record.Incoming{{Lone: true, ResourceType: "Observation", Raw: []byte(`{"resourceType":"Observation"}`)}},
		},
		{
			name: "a transaction gives one resource per entry with its fullUrl, ignoring request",
			body: `{"resourceType":"Bundle","type":"transaction","entry":[
				{"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a","resource":{"resourceType":"Patient",  "active":true},"request":{"method":"POST","url":"Patient"}},
				{"request":{"method":"DELETE","url":"Patient/234"}},
				{"fullUrl":"urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059","resource":{"resourceType":"Observation","id":"o1"},"request":{"method":"PUT","url":"Observation/o1"}}]}`,
			want: []record.Incoming{
				{Index: 0, ResourceType: "Patient", FullURL: "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
					Raw: []byte(`{"resourceType":"Patient",  "active":true}`)},
				{Index: 2, ResourceType: "Observation", ID: "o1", FullURL: "urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059",
					Raw: []byte(`{"resourceType":"Observation","id":"o1"}`)},
			},
		},
		{
			name: "a searchset keeps its OperationOutcome and skips a null resource",
			body: `{"resourceType":"Bundle","type":"searchset","entry":[
				{"fullUrl":"https://x.example/fhir/AllergyIntolerance/a1","resource":{"resourceType":"AllergyIntolerance","id":"a1"},"search":{"mode":"match"}},
				{"resource":null},
				{"resource":{"resourceType":"OperationOutcome","issue":[]},"search":{"mode":"outcome"}}]}`,
			want: []record.Incoming{
				{Index: 0, ResourceType: "AllergyIntolerance", ID: "a1", FullURL: "https://x.example/fhir/AllergyIntolerance/a1",
					Raw: []byte(`{"resourceType":"AllergyIntolerance","id":"a1"}`)},
				{Index: 2, ResourceType: "OperationOutcome", Raw: []byte(`{"resourceType":"OperationOutcome","issue":[]}`)},
			},
		},
		{
			name: "a Bundle inside a collection is one resource",
			body: `{"resourceType":"Bundle","type":"collection","entry":[
				{"resource":{"resourceType":"Bundle","type":"history","entry":[{"resource":{"resourceType":"Patient"}}]}}]}`,
			want: []record.Incoming{{ResourceType: "Bundle",
				Raw: []byte(`{"resourceType":"Bundle","type":"history","entry":[{"resource":{"resourceType":"Patient"}}]}`)}},
		},
		{
			name: "a document gives its Composition like any entry",
			body: `{"resourceType":"Bundle","type":"document","entry":[{"resource":{"resourceType":"Composition","id":"x"}}]}`,
			want: []record.Incoming{{ResourceType: "Composition", ID: "x", Raw: []byte(`{"resourceType":"Composition","id":"x"}`)}},
		},
		{
			name: "an empty collection gives nothing",
			body: `{"resourceType":"Bundle","type":"collection"}`,
			want: nil,
		},
		{
			name: "an escaped backslash before u0000 is text, not a NUL",
			body: `{"resourceType":"Basic","id":"b","code":{"text":"C:\\u0000 \ud83d\ude00"}}`,
			want: []record.Incoming{{Lone: true, ResourceType: "Basic", ID: "b",
				Raw: []byte(`{"resourceType":"Basic","id":"b","code":{"text":"C:\\u0000 \ud83d\ude00"}}`)}},
		},
		{
			name: "a resource exactly at the size limit passes",
			body: `{"resourceType":"Basic"}`,
			max:  24,
			want: []record.Incoming{{Lone: true, ResourceType: "Basic", Raw: []byte(`{"resourceType":"Basic"}`)}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := record.ParseInput([]byte(tc.body), tc.max)
			if err != nil {
				t.Fatalf("ParseInput: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParseInput =\n%s\nwant\n%s", show(got), show(tc.want))
			}
		})
	}
}

func TestParseInputBatchAndMessageTypes(t *testing.T) {
	for _, typ := range []string{"collection", "searchset", "transaction", "batch", "document", "message"} {
		body := fmt.Sprintf(`{"resourceType":"Bundle","type":%q,"entry":[{"resource":{"resourceType":"Basic"}}]}`, typ)
		if got, err := record.ParseInput([]byte(body), 0); err != nil || len(got) != 1 {
			t.Errorf("type %s: got %d resources, err %v; want 1, nil", typ, len(got), err)
		}
	}
}

func TestParseInputRawDoesNotShareTheInput(t *testing.T) {
	for _, body := range []string{
		`{"resourceType":"Basic","id":"b"}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic","id":"b"}}]}`,
	} {
		data := []byte(body)
		got, err := record.ParseInput(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range data {
			data[i] = 'x' // as a server reusing its request buffer would
		}
		if string(got[0].Raw) != `{"resourceType":"Basic","id":"b"}` {
			t.Fatalf("Raw changed with the input: %s", got[0].Raw)
		}
	}
}

func TestParseInputRefuses(t *testing.T) {
	cases := []struct {
		name string
		body string
		max  int
		want []fault.FieldError
	}{
		{"malformed JSON", `{"resourceType":"Patient",`, 0, fe("body", "json")},
		{"not an object", `["Patient"]`, 0, fe("body", "json")},
		{"null body", `null`, 0, fe("body", "json")},
		{"empty body", ``, 0, fe("body", "json")},
		{"a lone resource without resourceType", `{"id":"x"}`, 0, fe("resource", "resourceType")},
		{"resourceType not a string", `{"resourceType":5}`, 0, fe("resource", "resourceType")},
		{"resourceType in the wrong case is not resourceType", `{"ResourceType":"Patient"}`, 0, fe("resource", "resourceType")},
		{"an unknown type", `{"resourceType":"Patients"}`, 0, fe("resource", "unknownResourceType")},
		{"an STU3 type", `{"resourceType":"ProcedureRequest"}`, 0, fe("resource", "notR4")},
		{"an R5 type", `{"resourceType":"DeviceUsage"}`, 0, fe("resource", "notR4")},
		{"an id that is not a string", `{"resourceType":"Patient","id":7}`, 0, fe("resource", "json")},
		{"a lone resource too large", `{"resourceType":"Patient","id":"0123456789"}`, 20, fe("resource", "maxBytes=20")},
		{"an unknown bundle type", `{"resourceType":"Bundle","type":"archive","entry":[]}`, 0, fe("type", "bundleType")},
		{"a bundle without type", `{"resourceType":"Bundle","entry":[]}`, 0, fe("type", "bundleType")},
		{"entry not a list", `{"resourceType":"Bundle","type":"collection","entry":{}}`, 0, fe("entry", "json")},
		{"a lone resource with a byte that is not UTF-8", "{\"resourceType\":\"Patient\",\"name\":[{\"text\":\"M\xfcller\"}]}", 0, fe("resource", "utf8")},
		{"a lone resource with an escaped NUL", `{"resourceType":"Patient","id":"p\u0000"}`, 0, fe("resource", "nul")},
		{"a lone resource with half a surrogate pair", `{"resourceType":"Patient","name":[{"text":"\ud83d"}]}`, 0, fe("resource", "surrogate")},
		{
			name: "a bundle with bad text in entry 3",
			body: "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" +
				`{"resource":{"resourceType":"Patient","id":"p"}},` +
				`{"resource":{"resourceType":"Condition","id":"c"}},` +
				`{"resource":{"resourceType":"Observation","id":"o1"}},` +
				"{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o2\",\"valueString\":\"\xc0\xaf\"}}]}",
			want: fe("entry[3]", "utf8"),
		},
		{
			name: "bad text in several entries is named with the other problems",
			body: `{"resourceType":"Bundle","type":"collection","entry":[
				{"resource":{"resourceType":"Patient","id":"\ude00"}},
				{"resource":{"resourceType":"Nonsense"}},
				{"resource":{"resourceType":"Basic","code":{"text":"\u0000"}}}]}`,
			want: []fault.FieldError{{Field: "entry[0]", Rule: "surrogate"}, {Field: "entry[1]", Rule: "unknownResourceType"}, {Field: "entry[2]", Rule: "nul"}},
		},
		{
			name: "bad text outside every resource is the body's",
			body: `{"resourceType":"Bundle","type":"collection","entry":[
				{"fullUrl":"urn:uuid:\u0000","resource":{"resourceType":"Basic"}}]}`,
			want: fe("body", "nul"),
		},
		{
			name: "an entry's type and id follow the lone resource's rules, the last of a repeated key winning",
			body: `{"resourceType":"Bundle","type":"collection","entry":[
				{"resource":{"ResourceType":"Patient"}},
				{"resource":{"resourceType":5}},
				{"resource":{"resourceType":"Patient","id":7}},
				{"resource":{"resourceType":"Patient","resourceType":"Patients"}},
				{"resource":{"resourceType":null}},
				{"resource":{"resourceType":"Patients","resourceType":"Patient","id":"fine"}}]}`,
			want: []fault.FieldError{
				{Field: "entry[0]", Rule: "resourceType"},
				{Field: "entry[1]", Rule: "resourceType"},
				{Field: "entry[2]", Rule: "json"},
				{Field: "entry[3]", Rule: "unknownResourceType"},
				{Field: "entry[4]", Rule: "resourceType"},
			},
		},
		{
			name: "every bad entry is named, in order",
			body: `{"resourceType":"Bundle","type":"collection","entry":[
				{"resource":{"resourceType":"Patient"}},
				{"resource":{"resourceType":"ReferralRequest"}},
				{"resource":{"id":"no-type"}},
				5,
				{"resource":{"resourceType":"Observation","id":"far-too-large-for-the-limit"}},
				{"resource":{"resourceType":"Nonsense"}},
				{"resource":"text"},
				{"fullUrl":5,"resource":{"resourceType":"Patient"}}]}`,
			max: 40,
			want: []fault.FieldError{
				{Field: "entry[1]", Rule: "notR4"},
				{Field: "entry[2]", Rule: "resourceType"},
				{Field: "entry[3]", Rule: "json"},
				{Field: "entry[4]", Rule: "maxBytes=40"},
				{Field: "entry[5]", Rule: "unknownResourceType"},
				{Field: "entry[6]", Rule: "json"},
				{Field: "entry[7]", Rule: "json"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := record.ParseInput([]byte(tc.body), tc.max)
			var ve *fault.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("ParseInput = %v, %v; want a ValidationError", show(got), err)
			}
			if got != nil {
				t.Errorf("resources returned alongside the error: %s", show(got))
			}
			if !reflect.DeepEqual(ve.Fields, tc.want) {
				t.Fatalf("fields = %v, want %v", ve.Fields, tc.want)
			}
		})
	}
}

func TestParseInputCapsTheProblemsListed(t *testing.T) {
	entries := strings.Repeat(`{"resource":{"resourceType":"Nope"}},`, 200)
	body := `{"resourceType":"Bundle","type":"collection","entry":[` + strings.TrimSuffix(entries, ",") + `]}`
	_, err := record.ParseInput([]byte(body), 0)
	var ve *fault.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	if len(ve.Fields) != 50 || ve.Fields[49].Field != "entry[49]" {
		t.Fatalf("got %d problems (last %v), want the first 50", len(ve.Fields), ve.Fields[len(ve.Fields)-1])
	}
}

func TestR4ResourceTypes(t *testing.T) {
	for _, name := range []string{"Patient", "Bundle", "MedicationDispense", "CatalogEntry", "MedicinalProduct",
		"EffectEvidenceSynthesis", "VisionPrescription", "Account"} {
		if !record.IsR4ResourceType(name) {
			t.Errorf("%s is an R4 type", name)
		}
	}
	for _, name := range []string{"Resource", "DomainResource", "ProcedureRequest", "DeviceUsage", "patient", ""} {
		if record.IsR4ResourceType(name) {
			t.Errorf("%q is not an R4 resource type", name)
		}
	}
}

func fe(field, rule string) []fault.FieldError {
	return []fault.FieldError{{Field: field, Rule: rule}}
}

func show(ins []record.Incoming) string {
	var b strings.Builder
	for _, in := range ins {
		fmt.Fprintf(&b, "  {%d lone=%v %s id=%q url=%q raw=%s}\n", in.Index, in.Lone, in.ResourceType, in.ID, in.FullURL, in.Raw)
	}
	return b.String()
}

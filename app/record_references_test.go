package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kith-health/kith/app"
)

// References a delivery cannot resolve by itself are resolved against what the
// record already holds: a conditional reference to a practitioner delivered before,
// a prescription naming a medicine delivered before.
func TestReferencesResolveAgainstTheRecord(t *testing.T) {
	ctx := context.Background()
	a, p, caller := recordApp(t)
	first := `{"resourceType":"Bundle","type":"collection","entry":[
	  {"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111","resource":{"resourceType":"Practitioner","id":"pr-1",
	    "identifier":[{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"555000123"}],"name":[{"family":"Evans"}]}},
	  {"fullUrl":"urn:uuid:22222222-2222-4222-8222-222222222222","resource":{"resourceType":"Medication","id":"m-1",
	    "code":{"text":"Amoxicillin 500mg capsules"}}}]}`
	second := `{"resourceType":"Bundle","type":"collection","entry":[
	  {"fullUrl":"urn:uuid:33333333-3333-4333-8333-333333333333","resource":{"resourceType":"Encounter","id":"en-1","status":"finished",
	    "class":{"code":"AMB"},"participant":[
	      {"individual":{"reference":"Practitioner?identifier=https://fhir.nhs.uk/Id/sds-user-id|555000123"}},
	      {"individual":{"reference":"Practitioner?identifier=https://fhir.nhs.uk/Id/sds-user-id|999","display":"Dr Unknown"}}]}},
	  {"fullUrl":"urn:uuid:44444444-4444-4444-8444-444444444444","resource":{"resourceType":"MedicationRequest","id":"mr-1",
	    "status":"active","intent":"order","medicationReference":{"reference":"Medication/m-1"},"subject":{"reference":"Patient/x"}}}]}`
	for _, d := range []string{first, second} {
		if _, err := a.Ingest(ctx, p, app.Delivery{Source: "gp", Data: []byte(d)}); err != nil {
			t.Fatal(err)
		}
	}
	heads, _, err := a.RecordEntries(ctx, caller, app.RecordRef{}, app.EntryQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range heads {
		e, err := a.RecordEntry(ctx, caller, app.RecordRef{}, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		body := string(e.Resource)
		switch h.ResourceType {
		case "Encounter":
			if !strings.Contains(body, `"reference":"urn:uuid:11111111-1111-4111-8111-111111111111"`) {
				t.Errorf("the known practitioner is not referenced by the fullUrl it came with: %s", body)
			}
			if strings.Contains(body, "Practitioner?") || !strings.Contains(body, `"identifier":{"system":"https://fhir.nhs.uk/Id/sds-user-id","value":"999"}`) ||
				!strings.Contains(body, `"display":"Dr Unknown"`) {
				t.Errorf("the unknown practitioner is not a logical reference keeping its display: %s", body)
			}
		case "MedicationRequest":
			if h.Display.Text != "Amoxicillin 500mg capsules" || !h.Clinical.Current || h.Clinical.Section != "medications" {
				t.Errorf("the prescription shows as %q (%+v), want the medicine it names, current", h.Display.Text, h.Clinical)
			}
		}
	}
}

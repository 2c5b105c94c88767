package fhirclient_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/kith-health/kith/domain/exchange"
)

// capability is a CapabilityStatement shaped like a shared care record's: some
// types searchable by patient, one only by subject, one not by patient at all,
// one readable but not searchable, and a client section that describes nothing.
const capability = `{
  "resourceType": "CapabilityStatement", "status": "active", "kind": "instance", "fhirVersion": "4.0.1",
  "rest": [
    {"mode": "client", "resource": [{"type": "Basic", "interaction": [{"code": "search-type"}], "searchParam": [{"name": "patient"}]}]},
    {"mode": "server",
     "security": {"extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
       "extension": [{"url": "token", "valueUri": "https://auth.example.test/oauth2/token"},
                     {"url": "authorize", "valueUri": "https://auth.example.test/oauth2/authorize"}]}]},
     "resource": [
      {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}],
       "searchParam": [{"name": "_id"}, {"name": "identifier"}, {"name": "_lastUpdated"}],
       "operation": [{"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]},
      {"type": "Observation", "interaction": [{"code": "search-type"}],
       "extension": [{"url": "https://fhir.example.test/StructureDefinition/max-count", "valueInteger": 200}],
       "searchParam": [{"name": "patient"}, {"name": "subject"}, {"name": "_lastUpdated"}, {"name": "category"}]},
      {"type": "Condition", "interaction": [{"code": "search-type"}],
       "searchParam": [{"name": "subject"}, {"name": "_count", "documentation": "Number of results per page, max 50."}]},
      {"type": "Device", "interaction": [{"code": "search-type"}], "searchParam": [{"name": "udi-di"}]},
      {"type": "DocumentReference", "interaction": [{"code": "read"}], "searchParam": [{"name": "patient"}]}
    ]}
  ]}`

var wantTypes = []exchange.TypeSupport{
	{ResourceType: "Patient", LastUpdated: true, PatientParam: "_id"},
	{ResourceType: "Observation", LastUpdated: true, PatientParam: "patient", MaxCount: 200},
	{ResourceType: "Condition", PatientParam: "subject", MaxCount: 50},
}

func (f *fake) registration() exchange.Registration {
	x := f.exchange()
	return exchange.Registration{ID: x.ID, Name: x.Name, BaseURL: x.BaseURL + "/", Client: x.Client}
}

func discoveryServer(smart string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/.well-known/smart-configuration") && smart != "":
			writeJSON(w, http.StatusOK, smart)
		case strings.HasSuffix(r.URL.Path, "/metadata"):
			if r.Header.Get("Accept") != "application/fhir+json" {
				writeJSON(w, http.StatusNotAcceptable, outcome("fhir+json only"))
				return
			}
			writeJSON(w, http.StatusOK, capability)
		default:
			http.NotFound(w, r)
		}
	}
}

func TestDiscoverReadsTypesAndTheTokenURLFromSmartConfiguration(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"),
		discoveryServer(`{"token_endpoint":"https://auth.example.test/smart/token","grant_types_supported":["client_credentials"]}`))
	r := f.registration()
	r.Client.TokenURL = ""
	d, err := f.client(&sleeps{}).Discover(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if d.TokenURL != "https://auth.example.test/smart/token" {
		t.Errorf("token URL %q", d.TokenURL)
	}
	if !reflect.DeepEqual(d.Types, wantTypes) {
		t.Errorf("types\n got %+v\nwant %+v", d.Types, wantTypes)
	}
	if !d.Everything {
		t.Error("Patient/$everything not seen")
	}
	hits := f.fhirHits()
	if len(hits) != 2 || hits[0].path != "/r4/tenant/.well-known/smart-configuration" || hits[1].path != "/r4/tenant/metadata" {
		t.Fatalf("hits %+v", hits)
	}
	if hits[1].auth != "" {
		t.Errorf("public /metadata was sent %q while no token was held", hits[1].auth)
	}
}

func TestDiscoverFallsBackToTheCapabilityStatementsOAuthURIs(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), discoveryServer(""))
	r := f.registration()
	r.Client.TokenURL = ""
	d, err := f.client(&sleeps{}).Discover(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if d.TokenURL != "https://auth.example.test/oauth2/token" {
		t.Errorf("token URL %q", d.TokenURL)
	}
}

func TestDiscoverWithAConfiguredTokenURLAsksNoSmartConfiguration(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), discoveryServer(`{"token_endpoint":"https://elsewhere.test/token"}`))
	d, err := f.client(&sleeps{}).Discover(context.Background(), f.registration())
	if err != nil {
		t.Fatal(err)
	}
	if d.TokenURL != f.tokenURL() {
		t.Errorf("token URL %q", d.TokenURL)
	}
	if hits := f.fhirHits(); len(hits) != 1 || hits[0].path != "/r4/tenant/metadata" {
		t.Errorf("hits %+v", hits)
	}
}

func TestDiscoverSendsATokenToAProtectedMetadata(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), discoveryServer(""))
	f.publicMetadata = false
	d, err := f.client(&sleeps{}).Discover(context.Background(), f.registration())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Types) != 3 {
		t.Errorf("types %+v", d.Types)
	}
	hits := f.fhirHits()
	if len(hits) != 2 || hits[0].auth != "" || hits[1].auth != "Bearer access-1" {
		t.Errorf("hits %+v", hits)
	}
}

func TestDiscoverSendsAHeldToken(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/metadata") {
			writeJSON(w, http.StatusOK, capability)
			return
		}
		ok(w, r)
	})
	c := f.client(&sleeps{})
	if _, err := c.Search(context.Background(), f.exchange(), observations); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Discover(context.Background(), f.registration()); err != nil {
		t.Fatal(err)
	}
	if hits := f.fhirHits(); hits[1].auth != "Bearer access-1" {
		t.Errorf("metadata sent %q", hits[1].auth)
	}
}

func TestDiscoverRefusesWhatIsNotACapabilityStatement(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok) // a Bundle at /metadata
	_, err := f.client(&sleeps{}).Discover(context.Background(), f.registration())
	asFault(t, err, exchange.ReasonMalformed)
}

package fhirclient_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

const nhsNumber = "9434765919"

func TestMatchPatient(t *testing.T) {
	outcomeEntry := `{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational"}]},"search":{"mode":"outcome"}}`
	included := `{"resource":{"resourceType":"Patient","id":"linked"},"search":{"mode":"include"}}`
	unmarked := `{"resource":{"resourceType":"Patient","id":"p-9"}}`
	for _, tc := range []struct {
		name   string
		bundle string
		want   string
		reason string
	}{
		{"none", searchset(outcomeEntry), "", exchange.ReasonNotMatched},
		{"one, beside an include and an outcome", searchset(outcomeEntry, patientEntry("p-1"), included), "p-1", ""},
		{"one without a search mode", searchset(unmarked), "p-9", ""},
		{"several", searchset(patientEntry("p-1"), patientEntry("p-2")), "", exchange.ReasonAmbiguous},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, writeKey(t, "es384", "jwk"), func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, tc.bundle)
			})
			id, err := f.client(&sleeps{}).MatchPatient(context.Background(), f.exchange(), nhsNumber)
			hits := f.fhirHits()
			q, _ := url.ParseQuery(hits[0].rawQuery)
			if hits[0].path != "/r4/tenant/Patient" || len(q) != 1 || q.Get("identifier") != "https://fhir.nhs.uk/Id/nhs-number|"+nhsNumber {
				t.Errorf("asked %s?%s", hits[0].path, hits[0].rawQuery)
			}
			if tc.reason == "" {
				if err != nil || id != tc.want {
					t.Fatalf("id %q, err %v", id, err)
				}
				return
			}
			fault := asFault(t, err, tc.reason)
			if strings.Contains(fault.Error(), nhsNumber) {
				t.Errorf("the fault names the NHS number: %v", fault)
			}
			want := map[string]string{
				exchange.ReasonNotMatched: "The exchange has no record under your NHS number",
				exchange.ReasonAmbiguous:  "The exchange holds several records under your NHS number, so nothing was pulled",
			}[tc.reason]
			if fault.Message != want {
				t.Errorf("message %q", fault.Message)
			}
		})
	}
}

func TestSearchFirstPage(t *testing.T) {
	since := time.Date(2025, 2, 1, 10, 30, 0, 250_000_000, time.FixedZone("BST", 3600))
	for _, tc := range []struct {
		name string
		q    app.SearchQuery
		path string
		want url.Values
	}{
		{"whole sweep", observations, "/r4/tenant/Observation",
			url.Values{"patient": {"p-1"}, "_count": {"50"}}},
		{"changes since", app.SearchQuery{ResourceType: "Condition", PatientParam: "subject", Patient: "p-1", Count: 20, Since: since},
			"/r4/tenant/Condition", url.Values{"subject": {"p-1"}, "_count": {"20"}, "_lastUpdated": {"gt2025-02-01T09:30:00.250Z"}}},
		{"history since", app.SearchQuery{ResourceType: "Observation", PatientParam: "patient", Patient: "p-1", Count: 50, Since: since, History: true},
			"/r4/tenant/Observation/_history", url.Values{"patient": {"p-1"}, "_count": {"50"}, "_since": {"2025-02-01T09:30:00.250Z"}}},
		{"the patient", app.SearchQuery{ResourceType: "Patient", PatientParam: "_id", Patient: "p-1", Count: 50, Since: since},
			"/r4/tenant/Patient", url.Values{"_id": {"p-1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, writeKey(t, "es384", "jwk"), ok)
			if _, err := f.client(&sleeps{}).Search(context.Background(), f.exchange(), tc.q); err != nil {
				t.Fatal(err)
			}
			h := f.fhirHits()[0]
			got, _ := url.ParseQuery(h.rawQuery)
			if h.path != tc.path || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("asked %s?%s, want %s %v", h.path, h.rawQuery, tc.path, tc.want)
			}
		})
	}
}

func TestSearchFollowsTheNextLinkExactly(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	next := f.baseURL() + "?_getpages=6c3e%2Fa1&_getpagesoffset=50&_count=50&_pretty=true&_bundletype=searchset"
	q := observations
	q.Next = next
	if _, err := f.client(&sleeps{}).Search(context.Background(), f.exchange(), q); err != nil {
		t.Fatal(err)
	}
	h := f.fhirHits()[0]
	if f.srv.URL+h.path+"?"+h.rawQuery != next {
		t.Errorf("asked %s?%s, want %s", h.path, h.rawQuery, next)
	}
}

func TestSearchRefusesANextLinkToAnotherHost(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	for _, next := range []string{
		"https://collector.example.test/r4/tenant?_getpages=1",
		strings.Replace(f.baseURL(), "http://", "https://", 1) + "?_getpages=1",
		"/r4/tenant?_getpages=1",
	} {
		q := observations
		q.Next = next
		_, err := f.client(&sleeps{}).Search(context.Background(), f.exchange(), q)
		fault := asFault(t, err, exchange.ReasonMalformed)
		if strings.Contains(fault.Error(), "_getpages") {
			t.Errorf("the fault carries the link's query: %v", fault)
		}
	}
	if len(f.fhirHits()) != 0 || f.tokenRequests() != 0 {
		t.Error("asked something for a foreign next link")
	}
}

// observation has a narrative and the server's own spacing, which must survive.
const observation = `{ "resourceType": "Observation", "id": "o-1",
    "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">HbA1c &amp; 48 mmol/mol</div>"},
    "status": "final", "code": {"text": "HbA1c"}, "subject": {"reference": "Patient/p-1"} }`

func TestSearchPageKeepsResourcesAndSeparatesOutcomesAndDeletions(t *testing.T) {
	body := `{"resourceType":"Bundle","type":"history","meta":{"lastUpdated":"2025-03-01T09:59:58.123+00:00"},
	  "link":[{"relation":"self","url":"https://ex.test/self"},{"relation":"next","url":"https://ex.test/r4/tenant?page=2"}],
	  "entry":[
	    {"fullUrl":"https://ex.test/r4/tenant/Observation/o-1","resource":` + observation + `,"request":{"method":"PUT","url":"Observation/o-1"}},
	    {"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"warning","code":"incomplete","diagnostics":"some results suppressed"}]},"search":{"mode":"outcome"}},
	    {"fullUrl":"https://ex.test/r4/tenant/Observation/o-9","request":{"method":"DELETE","url":"Observation/o-9/_history/3"}},
	    {"fullUrl":"https://ex.test/r4/tenant/Condition/c-4","request":{"method":"DELETE","url":"https://ex.test/r4/tenant/Condition/c-4"}},
	    {"fullUrl":"https://ex.test/r4/tenant/Observation/o-5","resource":null},
	    {"fullUrl":"https://ex.test/r4/tenant/Observation/o-2","resource":{"resourceType":"Observation","id":"o-2"},"request":{"method":"POST","url":"Observation"}}
	  ]}`
	f := newFake(t, writeKey(t, "es384", "jwk"), func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, body)
	})
	p, err := f.client(&sleeps{}).Search(context.Background(), f.exchange(), observations)
	if err != nil {
		t.Fatal(err)
	}
	if p.Resources != 2 || p.Next != "https://ex.test/r4/tenant?page=2" {
		t.Errorf("resources %d next %q", p.Resources, p.Next)
	}
	if !reflect.DeepEqual(p.Deleted, []string{"Observation/o-9", "Condition/c-4"}) {
		t.Errorf("deleted %v", p.Deleted)
	}
	if want := time.Date(2025, 3, 1, 9, 59, 58, 123_000_000, time.UTC); !p.ServerTime.Equal(want) {
		t.Errorf("server time %v", p.ServerTime)
	}
	if !strings.Contains(string(p.Bundle), `"resource":`+observation) {
		t.Errorf("the resource was not kept byte for byte:\n%s", p.Bundle)
	}
	var kept struct {
		ResourceType, Type string
		Entry              []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		}
	}
	if err := json.Unmarshal(p.Bundle, &kept); err != nil {
		t.Fatal(err)
	}
	if kept.ResourceType != "Bundle" || kept.Type != "history" || len(kept.Entry) != 2 ||
		kept.Entry[0].FullURL != "https://ex.test/r4/tenant/Observation/o-1" ||
		kept.Entry[1].FullURL != "https://ex.test/r4/tenant/Observation/o-2" {
		t.Errorf("kept %+v", kept)
	}
}

func TestServerTimeFallsBackToTheDateHeaderThenTheClock(t *testing.T) {
	date := time.Date(2025, 3, 1, 9, 58, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header string
		want   time.Time
	}{
		{"date header", date.Format(http.TimeFormat), date},
		{"nothing", "", t0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, writeKey(t, "es384", "jwk"), func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Date"] = nil // nil stops net/http adding its own
				if tc.header != "" {
					w.Header().Set("Date", tc.header)
				}
				writeJSON(w, http.StatusOK, `{"resourceType":"Bundle","type":"searchset"}`)
			})
			p, err := f.client(&sleeps{}).Search(context.Background(), f.exchange(), observations)
			if err != nil {
				t.Fatal(err)
			}
			if !p.ServerTime.Equal(tc.want) || p.Resources != 0 {
				t.Errorf("server time %v, resources %d", p.ServerTime, p.Resources)
			}
		})
	}
}

func TestAWholeBodyThatIsNotABundleIsMalformed(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, outcome("something went wrong"))
	})
	s := &sleeps{}
	_, err := f.client(s).Search(context.Background(), f.exchange(), observations)
	fault := asFault(t, err, exchange.ReasonMalformed)
	if fault.Message != "The exchange sent an incomplete or malformed page" {
		t.Errorf("message %q", fault.Message)
	}
	if len(f.fhirHits()) != 1 || len(s.Waits()) != 0 {
		t.Error("a whole answer that is not a Bundle was asked for again")
	}
}

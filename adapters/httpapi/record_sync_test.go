package httpapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

type changePage struct {
	Changes []struct {
		ID       string          `json:"id"`
		Change   string          `json:"change"`
		Resource json.RawMessage `json:"resource"`
	} `json:"changes"`
	Next  string `json:"next"`
	More  bool   `json:"more"`
	Reset bool   `json:"reset"`
}

func (s *testServer) changes(token, since string) changePage {
	s.t.Helper()
	res := s.do("GET", "/v1/me/record/changes?since="+url.QueryEscape(since), token, nil)
	if res.status != 200 {
		s.t.Fatalf("changes = %d %s", res.status, res.body)
	}
	var p changePage
	if err := json.Unmarshal(res.body, &p); err != nil {
		s.t.Fatal(err)
	}
	return p
}

func TestAPhoneSyncsInOneRoundTripAndStartsAgainAfterErasure(t *testing.T) {
	s := newServer(t)
	tok := s.token("syncer", nil)
	s.upload(tok, bundle(allergy, heartRate))

	first := s.changes(tok, "")
	if len(first.Changes) != 2 || first.More || first.Reset || first.Changes[0].Change != "upsert" {
		t.Fatalf("first sync %+v", first)
	}
	var res map[string]any
	if err := json.Unmarshal(first.Changes[0].Resource, &res); err != nil || res["resourceType"] != "AllergyIntolerance" {
		t.Fatalf("first change carries %s", first.Changes[0].Resource)
	}
	if quiet := s.changes(tok, first.Next); len(quiet.Changes) != 0 || quiet.Reset {
		t.Fatalf("nothing changed, yet %+v", quiet)
	}

	s.upload(tok, bundle(allergy, heartRate, depression)) // one new entry
	next := s.changes(tok, first.Next)
	if len(next.Changes) != 1 || !strings.Contains(string(next.Changes[0].Resource), "Depressive disorder") {
		t.Fatalf("after one more upload: %+v", next)
	}

	paged := s.do("GET", "/v1/me/record/changes?limit=2", tok, nil)
	var p changePage
	json.Unmarshal(paged.body, &p)
	if len(p.Changes) != 2 || !p.More {
		t.Fatalf("a page of 2 of 3 changes: %+v", p)
	}

	wantProblem(t, s.do("DELETE", "/v1/me/record", tok, map[string]any{"confirm": "yes"}), 422, "invalid-input")
	if res := s.do("DELETE", "/v1/me/record", tok, map[string]any{"confirm": "erase my record"}); res.status != 204 {
		t.Fatalf("erase = %d %s", res.status, res.body)
	}
	log := s.do("GET", "/v1/me/access-log?limit=1", tok, nil).json(t)
	tombstone := log["events"].([]any)[0].(map[string]any)
	if tombstone["action"] != "record.erased" || tombstone["categories"] != nil {
		t.Fatalf("the access log should keep a bare note of the erasure: %+v", tombstone)
	}
	if ids := entryIDs(t, s, tok, ""); len(ids) != 0 {
		t.Fatalf("%d entries survived erasure", len(ids))
	}
	after := s.changes(tok, next.Next)
	if !after.Reset || len(after.Changes) != 0 {
		t.Fatalf("a device syncing after erasure should start again: %+v", after)
	}
	if res := s.do("DELETE", "/v1/me/record", tok, map[string]any{"confirm": "erase my record"}); res.status != 204 {
		t.Fatalf("erasing again = %d", res.status)
	}
	wantProblem(t, s.do("GET", "/v1/me/record/changes?since=garbage", tok, nil), 422, "invalid-input")
}

func TestExportIsOneBundleWithThePatientAndEveryEntry(t *testing.T) {
	s := newServer(t)
	tok := s.token("exporter", map[string]any{"givenName": "Eve", "familyName": "Porter"})
	s.upload(tok, bundle(allergy, heartRate, depression))
	res := s.do("GET", "/v1/me/record/export", tok, nil)
	if res.status != 200 || res.header.Get("Content-Type") != "application/fhir+json" {
		t.Fatalf("export = %d %q", res.status, res.header.Get("Content-Type"))
	}
	var b struct {
		ResourceType, Type string
		Entry              []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		}
	}
	if err := json.Unmarshal(res.body, &b); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	if b.ResourceType != "Bundle" || b.Type != "collection" || len(b.Entry) != 4 {
		t.Fatalf("export: %s bundle of type %s with %d entries", b.ResourceType, b.Type, len(b.Entry))
	}
	if !strings.Contains(string(b.Entry[0].Resource), `"resourceType":"Patient"`) || !strings.Contains(string(b.Entry[0].Resource), "9434765919") {
		t.Fatalf("first entry is not the account's Patient: %s", b.Entry[0].Resource)
	}
	kept := map[string]bool{}
	for _, e := range b.Entry[1:] {
		kept[string(e.Resource)] = true
		if !strings.HasPrefix(e.FullURL, "urn:uuid:") {
			t.Fatalf("an entry lost the fullUrl it came with: %q", e.FullURL)
		}
	}
	for _, r := range []string{allergy, heartRate, depression} {
		if !kept[r] {
			t.Fatalf("the export lacks, byte for byte:\n%s", r)
		}
	}
}

func TestDemoPatientsHaveARecordFromTheStart(t *testing.T) {
	s := newServer(t)
	tok := s.tokenAs("amelia")
	var sum struct {
		Categories []struct {
			Category string
			Count    int
		}
	}
	json.Unmarshal(s.do("GET", "/v1/me/record/summary", tok, nil).body, &sum)
	for _, c := range sum.Categories {
		switch c.Category {
		case "conditions", "medications", "allergies", "immunizations", "results", "vitals", "encounters":
			if c.Count == 0 {
				t.Errorf("amelia's demo record has no %s", c.Category)
			}
		}
	}
}

package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// bundle wraps resources in a FHIR collection Bundle, each with a urn:uuid fullUrl.
func bundle(resources ...string) string {
	entries := make([]string, len(resources))
	for i, r := range resources {
		entries[i] = fmt.Sprintf(`{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":%s}`, i, r)
	}
	return `{"resourceType":"Bundle","type":"collection","entry":[` + strings.Join(entries, ",") + `]}`
}

// Odd spacing and a number re-encoding would change: read-back must be these bytes.
const allergy = `{"resourceType":"AllergyIntolerance","id":"al-1","meta":{"versionId":"1","lastUpdated":"2025-01-02T10:00:00Z"},
  "identifier":[{"system":"https://gp.example/allergies","value":"A1"}],
  "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},
  "code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005","display":"Allergy to penicillin"}]},
  "recordedDate":"2024-03-01", "criticalityScore": 1.50}`

const heartRate = `{"resourceType":"Observation","id":"hr-1","status":"final",
  "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
  "code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},
  "effectiveDateTime":"2025-06-01T08:30:00+01:00","valueQuantity":{"value":72,"unit":"beats/minute"}}`

const depression = `{"resourceType":"Condition","id":"c-psy","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},
  "code":{"coding":[{"system":"http://snomed.info/sct","code":"35489007","display":"Depressive disorder"}]},"onsetDateTime":"2023-05-01"}`

func (s *testServer) upload(token, body string) response {
	s.t.Helper()
	return s.do("POST", "/v1/me/record/uploads", token, body, "Content-Type", "application/fhir+json")
}

func entryIDs(t *testing.T, s *testServer, token, query string) []string {
	t.Helper()
	res := s.do("GET", "/v1/me/record/entries"+query, token, nil)
	if res.status != 200 {
		t.Fatalf("entries = %d %s", res.status, res.body)
	}
	var page struct {
		Entries []struct{ ID string } `json:"entries"`
	}
	json.Unmarshal(res.body, &page)
	var ids []string
	for _, e := range page.Entries {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestAnUploadIsKeptExactlyAndIdempotently(t *testing.T) {
	s := newServer(t)
	tok := s.token("uploader", nil)
	res := s.upload(tok, bundle(allergy, heartRate, depression))
	if res.status != 200 {
		t.Fatalf("upload = %d %s", res.status, res.body)
	}
	if r := res.json(t); r["received"] != 3.0 || r["created"] != 3.0 {
		t.Fatalf("first upload reported %v", r)
	}
	again := s.upload(tok, bundle(allergy, heartRate, depression)).json(t)
	if again["created"] != 0.0 || again["updated"] != 0.0 || again["unchanged"] != 3.0 {
		t.Fatalf("the same upload twice reported %v", again)
	}

	ids := entryIDs(t, s, tok, "?category=allergies")
	if len(ids) != 1 {
		t.Fatalf("allergies: %v", ids)
	}
	read := s.do("GET", "/v1/me/record/entries/"+ids[0], tok, nil)
	if read.status != 200 || !bytes.Equal(read.body, []byte(allergy)) {
		t.Fatalf("read back %d:\n%s\nwant exactly:\n%s", read.status, read.body, allergy)
	}
	if ct := read.header.Get("Content-Type"); ct != "application/fhir+json" {
		t.Fatalf("Content-Type %q", ct)
	}
	if again := s.do("GET", "/v1/me/record/entries/"+ids[0], tok, nil, "If-None-Match", read.header.Get("ETag")); again.status != 304 {
		t.Fatalf("If-None-Match with the ETag = %d, want 304", again.status)
	}

	summary := s.do("GET", "/v1/me/record/summary", tok, nil)
	var sum struct {
		Categories []struct {
			Category string
			Count    int
			Latest   []struct {
				Sensitive bool
				Source    string
				UpdatedAt time.Time
				Display   struct{ Text string }
			}
		}
		Sources []struct{ Source string }
	}
	json.Unmarshal(summary.body, &sum)
	counts := map[string]int{}
	for _, c := range sum.Categories {
		counts[c.Category] = c.Count
		if c.Category == "conditions" && (len(c.Latest) != 1 || !c.Latest[0].Sensitive || c.Latest[0].Display.Text != "Depressive disorder" ||
			c.Latest[0].Source != "patient" || c.Latest[0].UpdatedAt.IsZero()) {
			t.Fatalf("conditions summary %+v", c)
		}
	}
	if counts["allergies"] != 1 || counts["vitals"] != 1 || counts["conditions"] != 1 || len(sum.Sources) != 1 || sum.Sources[0].Source != "patient" {
		t.Fatalf("summary counts %v sources %v", counts, sum.Sources)
	}
	if s.do("GET", "/v1/me/record/summary", tok, nil, "If-None-Match", summary.header.Get("ETag")).status != 304 {
		t.Fatal("an unchanged summary did not answer 304")
	}
	// The summary read twice is kept, encoded; a write must still show at once.
	s.upload(tok, bundle(strings.NewReplacer(`"id":"al-1"`, `"id":"al-2"`, `"value":"A1"`, `"value":"A2"`).Replace(allergy)))
	after := s.do("GET", "/v1/me/record/summary", tok, nil, "If-None-Match", summary.header.Get("ETag"))
	if after.status != 200 || after.header.Get("ETag") == summary.header.Get("ETag") {
		t.Fatalf("after another allergy the summary answered %d with ETag %q (was %q)", after.status,
			after.header.Get("ETag"), summary.header.Get("ETag"))
	}
	json.Unmarshal(after.body, &sum)
	for _, c := range sum.Categories {
		if c.Category == "allergies" && c.Count != 2 {
			t.Fatalf("after another allergy the summary counts %d", c.Count)
		}
	}
}

func TestANewerVersionReplacesAndAnOlderNeverOverwrites(t *testing.T) {
	s := newServer(t)
	tok := s.token("versions", nil)
	s.upload(tok, bundle(allergy))
	newer := strings.Replace(strings.Replace(allergy, `"versionId":"1"`, `"versionId":"2"`, 1), "2025-01-02T10:00:00Z", "2025-02-01T10:00:00Z", 1)
	newer = strings.Replace(newer, `"code":"active"`, `"code":"resolved"`, 1)
	if r := s.upload(tok, bundle(newer)).json(t); r["updated"] != 1.0 {
		t.Fatalf("newer version: %v", r)
	}
	if r := s.upload(tok, bundle(allergy)).json(t); r["updated"] != 0.0 {
		t.Fatalf("older version after newer: %v", r)
	}
	id := entryIDs(t, s, tok, "")[0]
	if body := s.do("GET", "/v1/me/record/entries/"+id, tok, nil).body; string(body) != newer {
		t.Fatalf("kept:\n%s\nwant the newer version", body)
	}
}

func TestBadUploadsNameEachEntryAndStoreNothing(t *testing.T) {
	s := newServer(t)
	tok := s.token("careless", nil)
	cases := []struct {
		name, body, contentType string
		status                  int
		fields                  []string
	}{
		{"malformed JSON", `{"resourceType":"Bundle",`, "application/fhir+json", 422, []string{"body"}},
		{"a resource without resourceType, and an unknown type", bundle(allergy, `{"id":"x"}`, `{"resourceType":"Spaceship"}`), "application/fhir+json", 422, []string{"entry[1]", "entry[2]"}},
		{"an STU3 resource", bundle(`{"resourceType":"ProcedureRequest","id":"p"}`), "application/fhir+json", 422, []string{"entry[0]"}},
		{"a resource over the size limit", bundle(allergy, `{"resourceType":"Basic","id":"big","text":{"div":"`+strings.Repeat("x", 1<<20+1)+`"}}`), "application/fhir+json", 422, []string{"entry[1]"}},
		{"XML", `<Bundle xmlns="http://hl7.org/fhir"/>`, "application/fhir+xml", 415, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do("POST", "/v1/me/record/uploads", tok, tc.body, "Content-Type", tc.contentType)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", res.status, tc.status, res.body)
			}
			if tc.fields == nil {
				return
			}
			p := res.json(t)
			var named []string
			for _, e := range p["errors"].([]any) {
				named = append(named, e.(map[string]any)["field"].(string))
			}
			if strings.Join(named, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("errors name %v, want %v", named, tc.fields)
			}
		})
	}
	if ids := entryIDs(t, s, tok, ""); len(ids) != 0 {
		t.Fatalf("refused uploads stored %d entries", len(ids))
	}
}

func TestAnUploadAboutSomeoneElseIsRefusedOrKeptFlagged(t *testing.T) {
	s := newServer(t)
	tok := s.token("self-declared", nil) // NHS number 9434765919, born 1987-06-05
	other := `{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4000000020"}],"birthDate":"1990-01-01"}`
	theirs := bundle(other, allergy)

	// By default it is refused, naming the fields that differ and never their values.
	res := s.upload(tok, theirs)
	wantProblem(t, res, 422, "identity-mismatch")
	if body := string(res.body); !strings.Contains(body, `"entry[0].nhsNumber"`) || !strings.Contains(body, `"entry[0].birthDate"`) ||
		strings.Contains(body, "4000000020") || strings.Contains(body, "1990-01-01") {
		t.Fatalf("the refusal should name both fields and neither value: %s", body)
	}
	if ids := entryIDs(t, s, tok, ""); len(ids) != 0 {
		t.Fatalf("a refused upload stored %d entries", len(ids))
	}

	// Kept on request, every resource of it is flagged and none reaches the summary.
	if res := s.do("POST", "/v1/me/record/uploads?keepMismatched=true", tok, theirs, "Content-Type", "application/fhir+json"); res.status != 200 {
		t.Fatalf("upload keeping the mismatch = %d %s", res.status, res.body)
	}
	var page struct {
		Entries []struct {
			ResourceType string
			Flags        []string
		}
	}
	json.Unmarshal(s.do("GET", "/v1/me/record/entries", tok, nil).body, &page)
	if len(page.Entries) != 2 {
		t.Fatalf("kept %d entries, want 2", len(page.Entries))
	}
	for _, e := range page.Entries {
		if len(e.Flags) != 1 || e.Flags[0] != "identity-mismatch" {
			t.Fatalf("%s kept with flags %v, want identity-mismatch", e.ResourceType, e.Flags)
		}
	}
	allergies := summarySection(t, s, tok, "allergies")
	if allergies["current"].(float64) != 0 || len(allergies["items"].([]any)) != 0 {
		t.Fatalf("another person's allergy reached the summary: %v", allergies)
	}
	if ips := s.do("GET", "/v1/me/record/ips", tok, nil); ips.status != 200 || strings.Contains(string(ips.body), "AllergyIntolerance") {
		t.Fatalf("another person's allergy reached the IPS: %d %.300s", ips.status, ips.body)
	}
	if me := s.do("GET", "/v1/me", tok, nil).json(t); me["nhsNumber"] != "9434765919" || me["dateOfBirth"] != "1987-06-05" {
		t.Fatalf("the account changed: %v", me)
	}
}

// summarySection is one section of the caller's summary, as JSON.
func summarySection(t *testing.T, s *testServer, token, section string) map[string]any {
	t.Helper()
	res := s.do("GET", "/v1/me/record/summary", token, nil)
	if res.status != 200 {
		t.Fatalf("summary = %d %s", res.status, res.body)
	}
	for _, sec := range res.json(t)["sections"].([]any) {
		if m := sec.(map[string]any); m["section"] == section {
			return m
		}
	}
	t.Fatalf("the summary has no %s section", section)
	return nil
}

func TestTheRecordNeedsIdentityLevelP9(t *testing.T) {
	s := newServer(t)
	p5 := s.tokenAs("oliver")
	for _, path := range []string{"/v1/me/record/summary", "/v1/me/record/entries", "/v1/me/record/changes", "/v1/me/record/export"} {
		wantProblem(t, s.do("GET", path, p5, nil), 403, "identity-level-too-low")
	}
	wantProblem(t, s.upload(p5, bundle(allergy)), 403, "identity-level-too-low")
	if me := s.do("GET", "/v1/me", p5, nil); me.status != 200 {
		t.Fatalf("P5 demographics /v1/me = %d", me.status)
	}
}

func TestEntriesPageNewestFirstWithFilters(t *testing.T) {
	s := newServer(t)
	tok := s.token("pager", nil)
	var obs []string
	for i := 1; i <= 7; i++ {
		obs = append(obs, fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"final","code":{"text":"Reading %d"},"effectiveDateTime":"2025-0%d-01T00:00:00Z"}`, i, i, i))
	}
	s.upload(tok, bundle(append(obs, allergy)...))
	var seen []string
	query := "?type=Observation&limit=3"
	for pages := 0; pages < 5; pages++ {
		res := s.do("GET", "/v1/me/record/entries"+query, tok, nil)
		var page struct {
			Entries []struct {
				Display struct{ Text string }
			}
			NextCursor string
		}
		json.Unmarshal(res.body, &page)
		for _, e := range page.Entries {
			seen = append(seen, e.Display.Text)
		}
		if page.NextCursor == "" {
			break
		}
		query = "?type=Observation&limit=3&cursor=" + page.NextCursor
	}
	want := "Reading 7,Reading 6,Reading 5,Reading 4,Reading 3,Reading 2,Reading 1"
	if strings.Join(seen, ",") != want {
		t.Fatalf("pages gave %v", seen)
	}
	ranged := entryIDs(t, s, tok, "?since=2025-03-01T00:00:00Z&until=2025-05-01T00:00:00Z")
	if len(ranged) != 2 {
		t.Fatalf("since/until gave %d entries, want 2", len(ranged))
	}
	wantProblem(t, s.do("GET", "/v1/me/record/entries?category=gossip", tok, nil), 422, "invalid-input")
	wantProblem(t, s.do("GET", "/v1/me/record/entries?limit=1000", tok, nil), 422, "invalid-input")
	wantProblem(t, s.do("GET", "/v1/me/record/entries?cursor=not-a-cursor", tok, nil), 422, "invalid-input")
	wantProblem(t, s.do("GET", "/v1/me/record/entries?since=yesterday", tok, nil), 400, "malformed-request")
}

package httpapi_test

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type logEvent struct {
	ID          string   `json:"id"`
	Action      string   `json:"action"`
	Basis       string   `json:"basis"`
	Outcome     string   `json:"outcome"`
	Alert       string   `json:"alert"`
	Categories  []string `json:"categories"`
	Reason      string   `json:"reason"`
	Label       string   `json:"label"`
	EntryID     string   `json:"entryId"`
	Route       string   `json:"route"`
	Description string   `json:"description"`
	Actor       struct {
		Kind             string `json:"kind"`
		Organisation     string `json:"organisation"`
		OrganisationName string `json:"organisationName"`
		PractitionerName string `json:"practitionerName"`
		PractitionerRole string `json:"practitionerRole"`
	} `json:"actor"`
}

// accessLog reads the patient's whole access log, oldest first.
func (s *testServer) accessLog(t *testing.T, token string) []logEvent {
	t.Helper()
	var all []logEvent
	cursor := ""
	for {
		res := s.do("GET", "/v1/me/access-log?limit=200&cursor="+cursor, token, nil)
		if res.status != 200 {
			t.Fatalf("access log = %d %s", res.status, res.body)
		}
		var page struct {
			Events     []logEvent `json:"events"`
			NextCursor string     `json:"nextCursor"`
		}
		json.Unmarshal(res.body, &page)
		all = append(all, page.Events...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
		all[i], all[j] = all[j], all[i]
	}
	return all
}

func orgPath(nhs, rest string) string { return "/v1/org/patients/" + nhs + "/record" + rest }

func TestTheAccessLogTellsTheStory(t *testing.T) { eachStore(t, testTheAccessLogTellsTheStory) }

func testTheAccessLogTellsTheStory(t *testing.T, opts ...option) {
	s := newServer(t, opts...)
	w := newAccessWorld(t, s)
	before := len(s.accessLog(t, w.amelia))

	// Leeds reads under its grants.
	summary := s.do("GET", orgPath(ameliaNHS, "/summary"), w.leeds, nil)
	if summary.status != 200 {
		t.Fatalf("summary under a grant = %d %s", summary.status, summary.body)
	}
	for _, c := range summary.json(t)["categories"].([]any) {
		c := c.(map[string]any)
		if granted := c["category"] == "allergies" || c["category"] == "medications" || c["category"] == "immunizations"; !granted && c["count"].(float64) != 0 {
			t.Errorf("the summary shows %v of %s, which was not granted", c["count"], c["category"])
		}
	}
	if res := s.do("GET", orgPath(ameliaNHS, "/entries?category=allergies"), w.leeds, nil); res.status != 200 {
		t.Fatalf("allergies = %d %s", res.status, res.body)
	}
	wantProblem(t, s.do("GET", orgPath(ameliaNHS, "/entries?category=conditions"), w.leeds, nil), 403, "category-not-granted")
	allergy := s.do("GET", orgPath(ameliaNHS, "/entries/"+w.allergyID), w.leeds, nil)
	if allergy.status != 200 || allergy.header.Get("Content-Type") != "application/fhir+json" || allergy.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the allergy = %d %v", allergy.status, allergy.header)
	}
	wantProblem(t, s.do("GET", orgPath(ameliaNHS, "/entries/"+w.conditionID), w.leeds, nil), 404, "not-found")

	// Amelia revokes both grants; Leeds is refused at once, as if she were unknown.
	for _, id := range []string{w.grantID, w.spareGrantID} {
		res := s.do("POST", "/v1/me/grants/"+id+"/revoke", w.amelia, nil)
		if res.status != 200 || res.json(t)["status"] != "revoked" {
			t.Fatalf("revoke = %d %s", res.status, res.body)
		}
	}
	refused := wantProblem(t, s.do("GET", orgPath(ameliaNHS, "/summary"), w.leeds, nil), 404, "not-found")
	unknown := wantProblem(t, s.do("GET", orgPath("9990000042", "/summary"), w.leeds, nil), 404, "not-found")
	if refused["title"] != unknown["title"] || refused["detail"] != unknown["detail"] {
		t.Errorf("a refusal differs from an unknown patient: %v vs %v", refused, unknown)
	}

	// In an emergency Leeds breaks the glass: non-sensitive data, four hours at most.
	glass := s.do("POST", "/v1/org/patients/"+ameliaNHS+"/break-glass", w.leeds, map[string]any{"reason": "Unconscious in resus, no history"})
	if glass.status != 201 {
		t.Fatalf("break-glass = %d %s", glass.status, glass.body)
	}
	g := glass.json(t)
	end, _ := time.Parse(time.RFC3339, g["end"].(string))
	if g["basis"] != "break-glass" || g["includeSensitive"] != false || time.Until(end) > 4*time.Hour {
		t.Fatalf("break-glass = %v", g)
	}
	if again := s.do("POST", "/v1/org/patients/"+ameliaNHS+"/break-glass", w.leeds, map[string]any{"reason": "retry"}); again.status != 200 || again.json(t)["id"] != g["id"] {
		t.Fatalf("a retried break-glass should return the running one: %d %s", again.status, again.body)
	}
	conditions := s.do("GET", orgPath(ameliaNHS, "/entries?category=conditions&limit=200"), w.leeds, nil)
	if conditions.status != 200 || strings.Contains(string(conditions.body), `"sensitive":true`) {
		t.Fatalf("conditions under break-glass = %d, sensitive entries must be withheld: %.300s", conditions.status, conditions.body)
	}

	story := s.accessLog(t, w.amelia)[before:]
	type step struct{ actor, action, basis, outcome, alert string }
	want := []step{
		{"organisation", "record.summary.read", "grant", "allowed", "pending"},
		{"organisation", "record.entries.listed", "grant", "allowed", "pending"},
		{"organisation", "record.entries.listed", "grant", "denied", "none"},
		{"organisation", "record.entry.read", "grant", "allowed", "pending"},
		{"organisation", "record.entry.read", "grant", "denied", "none"},
		{"patient", "grant.revoked", "self", "done", "none"},
		{"patient", "grant.revoked", "self", "done", "none"},
		{"organisation", "record.summary.read", "", "denied", "none"},
		{"organisation", "break-glass.started", "break-glass", "allowed", "pending"},
		{"organisation", "record.entries.listed", "break-glass", "allowed", "pending"},
	}
	if len(story) != len(want) {
		for _, e := range story {
			t.Logf("%s %s %s %s", e.Actor.Kind, e.Action, e.Basis, e.Outcome)
		}
		t.Fatalf("%d events, want %d", len(story), len(want))
	}
	for i, e := range story {
		alerted := e.Alert
		if alerted != "none" {
			alerted = "pending" // or already dispatched: sent, coalesced, no-device
		}
		got := step{e.Actor.Kind, e.Action, e.Basis, e.Outcome, alerted}
		if got != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got, want[i])
		}
		if e.Actor.Kind == "organisation" && !strings.HasPrefix(e.Description, "Dr Sam Patel (Emergency medicine registrar) at Leeds Teaching Hospitals NHS Trust") {
			t.Errorf("event %d description %q does not say who", i, e.Description)
		}
	}
	if story[3].EntryID != w.allergyID || story[0].Route != "GET /v1/org/patients/:nhsNumber/record/summary" {
		t.Errorf("events should carry the entry and the route: %+v %+v", story[3], story[0])
	}
	if story[8].Reason != "Unconscious in resus, no history" || story[7].Reason != "no-active-permission" {
		t.Errorf("reasons: %q, %q", story[8].Reason, story[7].Reason)
	}

	// "I don't recognise this": the report reaches Leeds, and no one else.
	if res := s.do("POST", "/v1/me/access-log/"+story[8].ID+"/report", w.amelia, map[string]any{"note": "I was not in Leeds"}); res.status != 200 {
		t.Fatalf("report = %d %s", res.status, res.body)
	}
	reports := s.do("GET", "/v1/org/access-reports", w.leeds, nil).json(t)["reports"].([]any)
	if len(reports) != 1 || reports[0].(map[string]any)["nhsNumber"] != ameliaNHS {
		t.Fatalf("Leeds's reports = %v", reports)
	}
	if others := s.do("GET", "/v1/org/access-reports", w.stranger, nil).json(t)["reports"].([]any); len(others) != 0 {
		t.Fatalf("another organisation sees %d reports", len(others))
	}

	// Switching break-glass off ends the running access and refuses new ones, alike
	// for a patient unknown to Kith.
	if res := s.do("PUT", "/v1/me/settings", w.amelia, map[string]any{"breakGlassAllowed": false}); res.status != 200 || res.json(t)["breakGlassAllowed"] != false {
		t.Fatalf("settings = %d %s", res.status, res.body)
	}
	wantProblem(t, s.do("GET", orgPath(ameliaNHS, "/summary"), w.leeds, nil), 404, "not-found")
	wantProblem(t, s.do("POST", "/v1/org/patients/"+ameliaNHS+"/break-glass", w.stranger, map[string]any{"reason": "emergency"}), 404, "not-found")
	tail := s.accessLog(t, w.amelia)
	last := tail[len(tail)-1]
	if last.Action != "break-glass.requested" || last.Outcome != "denied" || last.Actor.Organisation != "RX1" {
		t.Fatalf("the refused break-glass should be in the log: %+v", last)
	}
}

func TestGrantsAreCreatedOncePerIdempotencyKey(t *testing.T) {
	s := newServer(t)
	amelia := s.tokenAs("amelia")
	body := map[string]any{"organisation": "rr8", "categories": []string{"medications", "allergies"}, "includeSensitive": true}
	first := s.do("POST", "/v1/me/grants", amelia, body, "Idempotency-Key", "phone-retry-1")
	if first.status != 201 {
		t.Fatalf("create = %d %s", first.status, first.body)
	}
	g := first.json(t)
	if g["organisation"] != "RR8" || g["organisationName"] != "Leeds Teaching Hospitals NHS Trust" || g["status"] != "active" || g["purpose"] != "direct-care" {
		t.Fatalf("grant = %v", g)
	}
	start, _ := time.Parse(time.RFC3339, g["start"].(string))
	end, _ := time.Parse(time.RFC3339, g["end"].(string))
	if d := end.Sub(start); d < 365*24*time.Hour || d > 366*24*time.Hour {
		t.Errorf("default length %v, want a year", d)
	}
	var wg sync.WaitGroup
	var created, retried atomic.Int32
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := s.do("POST", "/v1/me/grants", amelia, body, "Idempotency-Key", "phone-retry-2")
			switch {
			case res.status == 201:
				created.Add(1)
			case res.status == 200:
				retried.Add(1)
			default:
				t.Errorf("concurrent retry = %d %s", res.status, res.body)
			}
		}()
	}
	wg.Wait()
	if created.Load() != 1 || retried.Load() != 7 {
		t.Fatalf("8 concurrent retries: %d created, %d found the first", created.Load(), retried.Load())
	}
	if again := s.do("POST", "/v1/me/grants", amelia, body, "Idempotency-Key", "phone-retry-1"); again.status != 200 || again.json(t)["id"] != g["id"] {
		t.Fatalf("a retry = %d %s", again.status, again.body)
	}
	body["categories"] = []string{"results"}
	wantProblem(t, s.do("POST", "/v1/me/grants", amelia, body, "Idempotency-Key", "phone-retry-1"), 409, "conflict")
	grants := s.do("GET", "/v1/me/grants", amelia, nil).json(t)["grants"].([]any)
	if len(grants) != 2 {
		t.Fatalf("%d grants, want 2", len(grants))
	}

	for name, bad := range map[string]map[string]any{
		"an unknown organisation": {"organisation": "ZZZ99", "categories": []string{"allergies"}},
		"an unknown category":     {"organisation": "RR8", "categories": []string{"everything"}},
		"no categories":           {"organisation": "RR8", "categories": []string{}},
		"an end in the past":      {"organisation": "RR8", "categories": []string{"allergies"}, "end": "2020-01-01T00:00:00Z"},
		"more than five years":    {"organisation": "RR8", "categories": []string{"allergies"}, "end": time.Now().AddDate(6, 0, 0).Format(time.RFC3339)},
	} {
		if res := s.do("POST", "/v1/me/grants", amelia, bad); res.status != 422 {
			t.Errorf("%s = %d %s", name, res.status, res.body)
		}
	}
	if n := len(s.do("GET", "/v1/me/grants", amelia, nil).json(t)["grants"].([]any)); n != 2 {
		t.Fatalf("bad requests changed the grants: %d", n)
	}
	wantProblem(t, s.do("POST", "/v1/me/grants", s.tokenAs("oliver"), body), 403, "identity-level-too-low")
}

func TestARevokeEndsReadsAtOnce(t *testing.T) { eachStore(t, testARevokeEndsReadsAtOnce) }

// testARevokeEndsReadsAtOnce reads as Leeds from several goroutines while Amelia
// revokes: no read that started after the revoke returned gets through, and every
// read that got through is in the access log.
func testARevokeEndsReadsAtOnce(t *testing.T, opts ...option) {
	s := newServer(t, opts...)
	w := newAccessWorld(t, s)
	s.do("POST", "/v1/me/grants/"+w.spareGrantID+"/revoke", w.amelia, nil)
	var allowed atomic.Int32
	duringReads(func(after bool) {
		res := s.do("GET", orgPath(ameliaNHS, "/summary"), w.leeds, nil)
		switch {
		case res.status == 200 && after:
			t.Errorf("a read that began after the revoke returned got through")
		case res.status == 200:
			allowed.Add(1)
		case res.status != 404:
			t.Errorf("read = %d %s", res.status, res.body)
		}
	}, func() {
		if res := s.do("POST", "/v1/me/grants/"+w.grantID+"/revoke", w.amelia, nil); res.status != 200 {
			t.Errorf("revoke = %d", res.status)
		}
	})
	reads := 0
	for _, e := range s.accessLog(t, w.amelia) {
		if e.Actor.Organisation == "RR8" && e.Action == "record.summary.read" && e.Outcome == "allowed" {
			reads++
		}
	}
	if reads != int(allowed.Load()) || reads == 0 {
		t.Fatalf("%d reads got through, %d are in the access log", allowed.Load(), reads)
	}
}

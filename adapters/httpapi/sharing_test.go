package httpapi_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kith-health/kith/adapters/httpapi/api"
)

func TestAShareCodeOpensExactlyWhatWasShared(t *testing.T) {
	s := newServer(t)
	w := newAccessWorld(t, s)
	res := s.do("POST", "/v1/me/share-codes", w.amelia, map[string]any{"categories": []string{"allergies", "immunizations"},
		"label": "For the A&E registrar", "maxViews": 2, "expiresInMinutes": 60})
	if res.status != 201 {
		t.Fatalf("issue = %d %s", res.status, res.body)
	}
	issued := res.json(t)
	code := issued["code"].(string)
	if !regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{2}$`).MatchString(code) ||
		!strings.Contains(issued["viewerUrl"].(string), "/view?code=") || issued["views"].(float64) != 0 {
		t.Fatalf("issued = %v", issued)
	}
	listed := s.do("GET", "/v1/me/share-codes", w.amelia, nil)
	if strings.Contains(string(listed.body), code) || strings.Contains(string(listed.body), strings.ReplaceAll(code, "-", "")) {
		t.Fatal("the code itself must never be shown again")
	}

	// Typed sloppily, it still opens.
	viewer := s.redeem(t, strings.ToLower(strings.ReplaceAll(code, "-", " ")), 200)["access_token"].(string)
	summary := s.do("GET", "/v1/shared/record/summary", viewer, nil)
	if summary.status != 200 {
		t.Fatalf("shared summary = %d %s", summary.status, summary.body)
	}
	// The answer splices in the summary's kept encoding: it must still be the
	// contract's SharedSummary, byte for byte as encoding/json writes it.
	var shared api.SharedSummary
	if err := json.Unmarshal(summary.body, &shared); err != nil {
		t.Fatal(err)
	}
	if want, _ := json.Marshal(shared); !bytes.Equal(bytes.TrimSpace(summary.body), want) {
		t.Fatalf("the shared summary is not the contract's SharedSummary\n got %.300s\nwant %.300s", summary.body, want)
	}
	// Read again unchanged, it is answered from the kept answer: the same bytes.
	if again := s.do("GET", "/v1/shared/record/summary", viewer, nil); again.status != 200 || !bytes.Equal(again.body, summary.body) {
		t.Fatalf("the shared summary read again = %d %.300s, want the first answer", again.status, again.body)
	}
	sm := summary.json(t)
	if sm["patient"].(map[string]any)["nhsNumber"] != ameliaNHS || sm["label"] != "For the A&E registrar" {
		t.Fatalf("the viewer must see whose record it is: %v", sm["patient"])
	}
	for _, c := range sm["summary"].(map[string]any)["categories"].([]any) {
		c := c.(map[string]any)
		if shared := c["category"] == "allergies" || c["category"] == "immunizations"; !shared && c["count"].(float64) != 0 {
			t.Errorf("the viewer sees %v of %s, which was not shared", c["count"], c["category"])
		}
	}
	if got := s.do("GET", "/v1/shared/record/entries?category=allergies", viewer, nil); got.status != 200 {
		t.Fatalf("shared allergies = %d", got.status)
	}
	wantProblem(t, s.do("GET", "/v1/shared/record/entries?category=conditions", viewer, nil), 403, "category-not-granted")
	if got := s.do("GET", "/v1/shared/record/entries/"+w.allergyID, viewer, nil); got.status != 200 {
		t.Fatalf("the allergy = %d", got.status)
	}
	wantProblem(t, s.do("GET", "/v1/shared/record/entries/"+w.conditionID, viewer, nil), 404, "not-found")
	wantProblem(t, s.do("GET", "/v1/me/record/summary", viewer, nil), 403, "forbidden")

	// The patient sees each step, with the label and the viewer's name and role.
	log := s.accessLog(t, w.amelia)
	last := 0
	for i, e := range log {
		if e.Action == "share-code.redeemed" {
			last = i
		}
	}
	session := log[last:]
	// The summary read twice: the kept answer is audited like the first.
	want := []string{"share-code.redeemed allowed", "record.summary.read allowed", "record.summary.read allowed", "record.entries.listed allowed",
		"record.entries.listed denied", "record.entry.read allowed", "record.entry.read denied"}
	if len(session) != len(want) {
		t.Fatalf("%d events in the session, want %d: %+v", len(session), len(want), session)
	}
	for i, e := range session {
		if e.Action+" "+e.Outcome != want[i] || e.Basis != "share-code" || e.Actor.Kind != "share-code-viewer" ||
			e.Label != "For the A&E registrar" || !strings.HasPrefix(e.Description, `Dr Sam Okafor (A&E registrar), with your share code "For the A&E registrar",`) {
			t.Errorf("event %d = %+v, want %s", i, e, want[i])
		}
		if (e.Outcome == "allowed") != (e.Alert != "none") {
			t.Errorf("event %d: a viewer's reads are marked for alerting, refusals not: %+v", i, e)
		}
	}

	// The second view is the last; then the code is refused like any wrong code.
	s.redeem(t, code, 200)
	used := s.redeem(t, code, 403)
	wrong := s.redeem(t, "0000-0000-00", 403)
	garbage := s.redeem(t, "not a code at all", 403)
	for _, r := range []map[string]any{used, wrong, garbage} {
		if r["type"] != "urn:kith:problem:share-code-not-accepted" || r["title"] != used["title"] || r["detail"] != used["detail"] {
			t.Errorf("refusals differ: %v", r)
		}
	}

	// Revoking ends the session at once.
	if got := s.do("POST", "/v1/me/share-codes/"+issued["id"].(string)+"/revoke", w.amelia, nil); got.status != 200 || got.json(t)["status"] != "revoked" {
		t.Fatalf("revoke = %d %s", got.status, got.body)
	}
	wantProblem(t, s.do("GET", "/v1/shared/record/summary", viewer, nil), 404, "not-found")
}

func TestCodesBoundToAnOrganisationOrADateOfBirth(t *testing.T) {
	s := newServer(t)
	w := newAccessWorld(t, s)
	bound, _ := w.share(t, s, map[string]any{"categories": []string{"allergies"}, "organisation": "RR8"})
	s.redeem(t, bound, 403)
	staff := s.do("POST", "/v1/share/redeem", w.stranger, map[string]any{"code": bound, "viewerName": "X", "viewerRole": "Y"})
	wantProblem(t, staff, 403, "share-code-not-accepted")
	leeds := s.do("POST", "/v1/share/redeem", w.leeds, map[string]any{"code": bound, "viewerName": "Dr Sam Patel", "viewerRole": "Registrar"})
	if leeds.status != 200 {
		t.Fatalf("Leeds staff redeeming a code bound to Leeds = %d %s", leeds.status, leeds.body)
	}

	dob, _ := w.share(t, s, map[string]any{"categories": []string{"allergies"}, "requireDateOfBirth": true})
	s.redeem(t, dob, 403)
	s.redeem(t, dob, 403, "dateOfBirth", "1987-06-06")
	s.redeem(t, dob, 200, "dateOfBirth", "1987-06-05")

	wantProblem(t, s.do("POST", "/v1/me/share-codes", w.amelia, map[string]any{"categories": []string{"allergies"}, "expiresInMinutes": 4}), 422, "invalid-input")
	wantProblem(t, s.do("POST", "/v1/me/share-codes", w.amelia, map[string]any{"categories": []string{"allergies"}, "expiresInMinutes": 43201}), 422, "invalid-input")
	wantProblem(t, s.do("POST", "/v1/share/redeem", "", map[string]any{"code": dob, "viewerName": "", "viewerRole": "GP"}), 422, "invalid-input")
}

func TestABruteForceFromOneAddressIsThrottled(t *testing.T) {
	s := newServer(t, withEnv("KITH_SHARE_ATTEMPT_LIMIT", "5"))
	w := newAccessWorld(t, s)
	code, _ := w.share(t, s, map[string]any{"categories": []string{"allergies"}})
	// newAccessWorld redeemed once from this address already.
	for i := 0; i < 4; i++ {
		s.redeem(t, "ZZZZ-ZZZZ-Z"+string("0123456789"[i]), 403, "viewerName", "Guesser "+string(rune('A'+i)))
	}
	limited := s.do("POST", "/v1/share/redeem", "", map[string]any{"code": code, "viewerName": "Someone New", "viewerRole": "GP"})
	wantProblem(t, limited, 429, "rate-limited")
	if limited.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func TestTheLastViewHasOneWinner(t *testing.T) { eachStore(t, testTheLastViewHasOneWinner) }

func testTheLastViewHasOneWinner(t *testing.T, opts ...option) {
	s := newServer(t, opts...)
	w := newAccessWorld(t, s)
	code, _ := w.share(t, s, map[string]any{"categories": []string{"allergies"}, "maxViews": 1})
	var wins, refusals atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := s.do("POST", "/v1/share/redeem", "", map[string]any{"code": code, "viewerName": "Racer " + string(rune('A'+i)), "viewerRole": "GP"})
			switch res.status {
			case 200:
				wins.Add(1)
			case 403:
				refusals.Add(1)
			default:
				t.Errorf("redeem = %d %s", res.status, res.body)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || refusals.Load() != 7 {
		t.Fatalf("%d won and %d were refused the one view; want 1 and 7", wins.Load(), refusals.Load())
	}
}

package httpapi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The demo family, seeded in development mode: Priya is guardian of Leo (7, no
// account of his own), Zara (13, with her own account) and Sam (turned 16 four
// days ago); Dan, Leo's father, is restricted for safeguarding.
const (
	leoNHS  = "9990000115"
	zaraNHS = "9990000123"
	samNHS  = "9990000131"
)

type family struct {
	priya, dan, zara, sam, amelia, operator, leeds string
	leo, zaraID, samID                             string
}

func newFamily(t *testing.T, s *testServer) *family {
	t.Helper()
	f := &family{priya: s.tokenAs("priya"), dan: s.tokenAs("dan"), zara: s.tokenAs("zara"), sam: s.tokenAs("sam"),
		amelia: s.tokenAs("amelia"), operator: s.tokenAs("operator"), leeds: s.tokenAs("leeds-registrar")}
	for _, c := range children(t, s, f.priya) {
		switch c["givenName"] {
		case "Leo":
			f.leo = c["patientId"].(string)
		case "Zara":
			f.zaraID = c["patientId"].(string)
		case "Sam":
			f.samID = c["patientId"].(string)
		}
	}
	if f.leo == "" || f.zaraID == "" || f.samID == "" {
		t.Fatalf("the demo family is not all there: %+v", f)
	}
	return f
}

func children(t *testing.T, s *testServer, token string) []map[string]any {
	t.Helper()
	res := s.do("GET", "/v1/me/children", token, nil)
	if res.status != 200 {
		t.Fatalf("children = %d %s", res.status, res.body)
	}
	var out []map[string]any
	for _, c := range res.json(t)["children"].([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

func for_(patientID, rest string) string { return "/v1/patients/" + patientID + rest }

func entryIDsOf(t *testing.T, s *testServer, token, path string) []string {
	t.Helper()
	res := s.do("GET", path, token, nil)
	if res.status != 200 {
		t.Fatalf("%s = %d %s", path, res.status, res.body)
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

func TestAFamilyOfTwoGuardiansAndThreeChildren(t *testing.T) { eachStore(t, testAFamily) }

func testAFamily(t *testing.T, opts ...option) {
	s := newServer(t, opts...)
	f := newFamily(t, s)

	t.Run("each child shows its age band and what the guardian may do", func(t *testing.T) {
		byName := map[string]map[string]any{}
		for _, c := range children(t, s, f.priya) {
			byName[c["givenName"].(string)] = c
		}
		leo, zara, sam := byName["Leo"], byName["Zara"], byName["Sam"]
		may := func(c map[string]any) map[string]any { return c["may"].(map[string]any) }
		if leo["ageBand"] != "under-11" || leo["status"] != "active" || may(leo)["manage"] != true || len(may(leo)["read"].([]any)) != 12 {
			t.Errorf("Leo: %v", leo)
		}
		if zara["ageBand"] != "11-to-15" || zara["status"] != "active" || may(zara)["manage"] != false || zara["reviewDue"] != true ||
			fmt.Sprint(may(zara)["read"]) != "[demographics immunizations encounters]" {
			t.Errorf("Zara: %v", zara)
		}
		if sam["ageBand"] != "16-and-over" || sam["status"] != "suspended" || sam["reason"] != "turned-16" || sam["notice"] == nil {
			t.Errorf("Sam: %v", sam)
		}
		if got := children(t, s, f.dan); len(got) != 0 {
			t.Errorf("a restricted guardian sees no children, got %v", got)
		}
	})

	t.Run("a guardian reads a young child's record without sensitive entries and manages it", func(t *testing.T) {
		if res := s.do("POST", for_(f.leo, "/record/uploads"), f.priya, bundle(allergy, heartRate, depression), "Content-Type", "application/fhir+json"); res.status != 201 && res.status != 200 {
			t.Fatalf("upload for Leo = %d %s", res.status, res.body)
		}
		if res := s.do("GET", for_(f.leo, "/record/summary"), f.priya, nil); res.status != 200 {
			t.Fatalf("Leo's summary = %d %s", res.status, res.body)
		}
		conditions := entryIDsOf(t, s, f.priya, for_(f.leo, "/record/entries?category=conditions"))
		for _, id := range conditions {
			if strings.Contains(id, "c-psy") {
				t.Errorf("a sensitive condition reached the guardian: %v", conditions)
			}
		}
		if res := s.do("POST", for_(f.leo, "/grants"), f.priya, map[string]any{"organisation": "RR8", "categories": []string{"allergies", "immunizations"}}); res.status != 201 {
			t.Fatalf("grant for Leo = %d %s", res.status, res.body)
		}
		wantProblem(t, s.do("POST", for_(f.leo, "/grants"), f.priya, map[string]any{"organisation": "RR8", "categories": []string{"conditions"}, "includeSensitive": true}), 422, "invalid-input")
		if res := s.do("GET", "/v1/org/patients/"+leoNHS+"/record/entries?category=allergies", f.leeds, nil); res.status != 200 {
			t.Fatalf("Leeds under the guardian's grant = %d %s", res.status, res.body)
		}
		if res := s.do("DELETE", for_(f.leo, "/record"), f.priya, map[string]any{"confirm": "erase my record"}); res.status != 403 {
			t.Errorf("a guardian erasing a child's record = %d, want 403", res.status)
		}
	})

	t.Run("a teenager's guardian keeps only the basics and manages nothing", func(t *testing.T) {
		if res := s.do("GET", for_(f.zaraID, "/record/entries?category=immunizations"), f.priya, nil); res.status != 200 {
			t.Fatalf("Zara's immunizations = %d %s", res.status, res.body)
		}
		wantProblem(t, s.do("GET", for_(f.zaraID, "/record/entries?category=medications"), f.priya, nil), 403, "category-not-granted")
		wantProblem(t, s.do("GET", for_(f.zaraID, "/grants"), f.priya, nil), 403, "guardian-may-not-manage-at-this-age")
		wantProblem(t, s.do("GET", for_(f.zaraID, "/record/changes"), f.priya, nil), 403, "forbidden")
	})

	t.Run("a suspended, a restricted and a stranger's request all look alike", func(t *testing.T) {
		stranger := s.do("GET", for_("00000000-0000-4000-8000-000000000001", "/record/summary"), f.priya, nil)
		for name, res := range map[string]response{
			"suspended at 16":        s.do("GET", for_(f.samID, "/record/summary"), f.priya, nil),
			"restricted":             s.do("GET", for_(f.leo, "/record/summary"), f.dan, nil),
			"another patient":        s.do("GET", for_(f.leo, "/record/summary"), f.amelia, nil),
			"the sibling":            s.do("GET", for_(f.leo, "/grants"), f.zara, nil),
			"restricted, grants":     s.do("GET", for_(f.leo, "/grants"), f.dan, nil),
			"restricted, access log": s.do("GET", for_(f.leo, "/access-log"), f.dan, nil),
			"restricted, guardians":  s.do("GET", for_(f.leo, "/guardians"), f.dan, nil),
		} {
			if res.status != 404 || stranger.status != 404 || problemType(t, res) != problemType(t, stranger) {
				t.Errorf("%s = %d %s, want the same 404 as a stranger's record (%s)", name, res.status, res.body, stranger.body)
			}
		}
	})

	t.Run("a second guardian: each sees the other exists, not what they did", func(t *testing.T) {
		res := s.do("POST", "/v1/children/"+leoNHS+"/guardianships", f.operator, map[string]any{
			"guardianNhsNumber": ameliaNHS, "relationship": "legal-guardian", "legalBasis": "parental-responsibility",
			"evidence": map[string]any{"kind": "court-order", "reference": "Special guardianship order SG-2026-17"}})
		if res.status != 201 {
			t.Fatalf("establish = %d %s", res.status, res.body)
		}
		if again := s.do("POST", "/v1/children/"+leoNHS+"/guardianships", f.operator, map[string]any{
			"guardianNhsNumber": ameliaNHS, "relationship": "legal-guardian", "legalBasis": "parental-responsibility",
			"evidence": map[string]any{"kind": "court-order", "reference": "again"}}); again.status != 409 {
			t.Errorf("establishing twice = %d, want 409", again.status)
		}
		if s.do("GET", for_(f.leo, "/record/summary"), f.amelia, nil).status != 200 {
			t.Fatal("the second guardian cannot read")
		}
		guardians := s.do("GET", for_(f.leo, "/guardians"), f.amelia, nil)
		if guardians.status != 200 {
			t.Fatalf("guardians = %d %s", guardians.status, guardians.body)
		}
		var names []string
		for _, g := range guardians.json(t)["guardians"].([]any) {
			m := g.(map[string]any)
			if m["status"] != nil || m["may"] != nil {
				t.Errorf("a fellow guardian's status leaked: %v", m)
			}
			names = append(names, m["givenName"].(string)+" "+m["relationship"].(string))
		}
		slices.Sort(names)
		if fmt.Sprint(names) != "[Dan parent Priya parent]" {
			t.Errorf("Amelia sees guardians %v", names)
		}
		for _, e := range s.do("GET", for_(f.leo, "/access-log?limit=200"), f.priya, nil).json(t)["events"].([]any) {
			ev := e.(map[string]any)
			if strings.HasPrefix(ev["action"].(string), "guardianship.restricted") {
				t.Errorf("the restriction shows in a guardian's access log: %v", ev)
			}
			if actor := ev["actor"].(map[string]any); actor["kind"] == "guardian" && !strings.HasPrefix(ev["description"].(string), "You") {
				t.Errorf("another guardian's action shows: %v", ev)
			}
		}
	})

	t.Run("the young person hides items and categories, and the guardian is not told which", func(t *testing.T) {
		encounters := entryIDsOf(t, s, f.priya, for_(f.zaraID, "/record/entries?category=encounters"))
		if len(encounters) == 0 {
			t.Skip("Zara's demo record has no encounters")
		}
		res := s.do("PUT", "/v1/me/guardian-screen", f.zara, map[string]any{"hide": []string{"immunizations"}, "hideEntries": []string{encounters[0]}})
		if res.status != 200 {
			t.Fatalf("screen = %d %s", res.status, res.body)
		}
		after := entryIDsOf(t, s, f.priya, for_(f.zaraID, "/record/entries?category=encounters"))
		if slices.Contains(after, encounters[0]) || len(after) != len(encounters)-1 {
			t.Errorf("the hidden encounter still shows: %d of %d", len(after), len(encounters))
		}
		if got := s.do("GET", for_(f.zaraID, "/record/entries/"+encounters[0]), f.priya, nil); got.status != 404 {
			t.Errorf("the hidden entry read directly = %d, want 404", got.status)
		}
		wantProblem(t, s.do("GET", for_(f.zaraID, "/record/entries?category=immunizations"), f.priya, nil), 403, "category-not-granted")
		// The screen is the young person's alone: it has no form a guardian could use.
		wantProblem(t, s.do("PUT", for_(f.zaraID, "/guardian-screen"), f.priya, map[string]any{"hide": []string{"allergies"}}), 404, "not-found")
	})

	t.Run("from 16 only the young person renews, as a carer, with what they choose", func(t *testing.T) {
		guardians := s.do("GET", "/v1/me/guardians", f.sam, nil).json(t)["guardians"].([]any)
		if len(guardians) != 1 {
			t.Fatalf("Sam's guardians: %v", guardians)
		}
		id := guardians[0].(map[string]any)["guardianshipId"].(string)
		wantProblem(t, s.do("POST", "/v1/me/guardians/"+id+"/changes", f.zara, map[string]any{"change": "renew", "categories": []string{"medications"}}), 404, "not-found")
		res := s.do("POST", "/v1/me/guardians/"+id+"/changes", f.sam, map[string]any{"change": "renew", "categories": []string{"medications"}})
		if res.status != 200 {
			t.Fatalf("renew = %d %s", res.status, res.body)
		}
		if g := res.json(t); g["status"] != "active" || g["relationship"] != "carer" || g["legalBasis"] != "patient-consent" {
			t.Errorf("renewed: %v", g)
		}
		if s.do("GET", for_(f.samID, "/record/entries?category=medications"), f.priya, nil).status != 200 {
			t.Error("the renewed carer cannot read what Sam chose")
		}
		wantProblem(t, s.do("GET", for_(f.samID, "/record/entries?category=allergies"), f.priya, nil), 403, "category-not-granted")
	})

	t.Run("a restriction takes effect on the very next request, under a stream of reads", func(t *testing.T) {
		var list []map[string]any
		for _, g := range s.do("GET", "/v1/children/"+leoNHS+"/guardianships", f.leeds, nil).json(t)["guardianships"].([]any) {
			list = append(list, g.(map[string]any))
		}
		var ameliaGs string
		for _, g := range list {
			if g["relationship"] == "legal-guardian" {
				ameliaGs = g["id"].(string)
			}
		}
		if ameliaGs == "" {
			t.Fatalf("Leeds cannot see Amelia's guardianship of Leo: %v", list)
		}
		var mu sync.Mutex
		var wrong []int
		var res response
		duringReads(func(after bool) {
			got := s.do("GET", for_(f.leo, "/record/summary"), f.amelia, nil)
			if after && got.status != 404 {
				mu.Lock()
				wrong = append(wrong, got.status)
				mu.Unlock()
			}
		}, func() {
			res = s.do("PUT", "/v1/children/"+leoNHS+"/guardianships/"+ameliaGs+"/restriction", f.leeds, map[string]any{"reason": "Safeguarding concern raised by the health visitor"})
		})
		if res.status != 200 {
			t.Fatalf("restrict = %d %s", res.status, res.body)
		}
		for range 20 {
			if got := s.do("GET", for_(f.leo, "/record/summary"), f.amelia, nil); got.status != 404 {
				t.Fatalf("after the restriction the guardian read %d", got.status)
			}
		}
		if len(wrong) > 0 {
			t.Fatalf("%d reads started after the restriction were answered: %v", len(wrong), wrong)
		}
		for _, c := range children(t, s, f.amelia) {
			if c["patientId"] == f.leo {
				t.Error("the restricted guardian still lists the child")
			}
		}
		if r := res.json(t)["restriction"]; r == nil {
			t.Error("the organisation's view should show the restriction")
		}
	})

	t.Run("entries an organisation marks safeguarding-sensitive never reach a guardian", func(t *testing.T) {
		allergies := entryIDsOf(t, s, f.priya, for_(f.leo, "/record/entries?category=allergies"))
		if len(allergies) == 0 {
			t.Fatal("Leo has no allergies to mark")
		}
		res := s.do("POST", "/v1/children/"+leoNHS+"/safeguarding-marks", f.leeds, map[string]any{"entryIds": allergies[:1]})
		if res.status != 200 {
			t.Fatalf("mark = %d %s", res.status, res.body)
		}
		if slices.Contains(entryIDsOf(t, s, f.priya, for_(f.leo, "/record/entries?category=allergies")), allergies[0]) {
			t.Error("a safeguarding-sensitive entry reached a guardian")
		}
		if got := s.do("GET", for_(f.leo, "/record/entries/"+allergies[0]), f.priya, nil); got.status != 404 {
			t.Errorf("read directly = %d, want 404", got.status)
		}
		// A share code the guardian issues lets its viewer see no more than the guardian.
		code := s.do("POST", for_(f.leo, "/share-codes"), f.priya, map[string]any{"categories": []string{"allergies"}, "label": "For the school nurse"})
		if code.status != 201 {
			t.Fatalf("share code = %d %s", code.status, code.body)
		}
		viewer := s.redeem(t, code.json(t)["code"].(string), 200)["access_token"].(string)
		seen := s.do("GET", "/v1/shared/record/entries?category=allergies", viewer, nil)
		if strings.Contains(string(seen.body), allergies[0]) {
			t.Error("a guardian's share code showed a safeguarding-sensitive entry")
		}
	})
}

func problemType(t *testing.T, r response) string {
	t.Helper()
	m := r.json(t)
	typ, _ := m["type"].(string)
	return typ
}

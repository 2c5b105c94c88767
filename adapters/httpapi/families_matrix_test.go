package httpapi_test

import (
	"strings"
	"testing"
)

// TestFamilyAuthorizationMatrix is every on-behalf route for every relation a
// caller can have with a child. A guardian of a young child may do what the child
// could, except erase the record or follow its change feed; a teenager's guardian
// reads the basics and manages nothing; a guardian suspended at 16, a restricted
// guardian, a sibling and a stranger all hear the same "not found". Path
// parameters name Amelia's things, which no child's record holds.
func TestFamilyAuthorizationMatrix(t *testing.T) {
	s := newServer(t)
	w := newAccessWorld(t, s)
	f := newFamily(t, s)
	relations := []struct {
		name, token, childID string
		expect               func(me string, base int) int
	}{
		{"guardian of a young child", f.priya, f.leo, youngChildsGuardian},
		{"guardian of a teenager", f.priya, f.zaraID, teenagersGuardian},
		{"guardian suspended at 16", f.priya, f.samID, nobody},
		{"restricted guardian", f.dan, f.leo, nobody},
		{"sibling", f.zara, f.leo, nobody},
		{"stranger", f.amelia, f.leo, nobody},
	}
	for twin, me := range onBehalfOperations(t) {
		method, path, _ := strings.Cut(twin, " ")
		path = strings.NewReplacer(":entryId", w.allergyID, ":grantId", w.spareGrantID, ":eventId", w.eventID,
			":shareCodeId", w.spareShareCodeID, ":deviceId", w.deviceID, ":linkId", w.linkID).Replace(path)
		for _, rel := range relations {
			want := rel.expect(me, authorizationMatrix[me]["patient"])
			var body any
			if method != "GET" {
				body = map[string]any{}
			}
			got := s.do(method, strings.Replace(path, ":patientId", rel.childID, 1), rel.token, body)
			if got.status != want {
				t.Errorf("%s as %s = %d, want %d: %.200s", twin, rel.name, got.status, want, got.body)
			}
		}
	}
}

// namesAThing reports whether a route names something in the record beyond the
// record itself: none of Amelia's things is in a child's record.
func namesAThing(me string) bool { return strings.Count(me, ":") > 0 }

func youngChildsGuardian(me string, base int) int {
	switch {
	case me == "DELETE /v1/me/record" || me == "GET /v1/me/record/changes":
		return 403
	case namesAThing(me):
		return 404
	}
	return base
}

func teenagersGuardian(me string, base int) int {
	switch me {
	case "GET /v1/me/record/summary", "GET /v1/me/record/entries", "GET /v1/me/record/export", "GET /v1/me/record/ips",
		"GET /v1/me/guardians":
		return base
	case "GET /v1/me/record/entries/:entryId":
		return 404
	}
	return 403
}

func nobody(string, int) int { return 404 }

package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/record"
)

// ameliaNHS is the demo patient Amelia's NHS number.
const ameliaNHS = "9990000018"

// accessWorld is Amelia's record with organisations in each position a grant can
// leave them: Leeds (RR8) holds a grant in force for allergies and medications, the
// GP practice (B86001) one that has expired, and a stranger (RX1, registered
// through SMART Backend Services) none.
type accessWorld struct {
	amelia, leeds, gp, stranger string
	ameliaID                    string
	grantID, spareGrantID       string
	allergyID, conditionID      string
	eventID                     string
	// viewer reads through a share code of Amelia's covering allergies.
	viewer, shareCodeID, spareShareCodeID string
	deviceID                              string
	// linkID and spareLinkID are Amelia's links to two sandbox exchanges.
	linkID, spareLinkID string
}

func newAccessWorld(t *testing.T, s *testServer) *accessWorld {
	t.Helper()
	w := &accessWorld{amelia: s.tokenAs("amelia"), leeds: s.tokenAs("leeds-registrar"), gp: s.tokenAs("gp-reception")}
	w.ameliaID = s.do("GET", "/v1/me", w.amelia, nil).json(t)["id"].(string)
	w.grantID = w.grant(t, s, "RR8", "allergies", "medications")
	w.spareGrantID = w.grant(t, s, "RR8", "immunizations")

	// An expired grant cannot be made through the API (its end must be in the future),
	// so it goes into the store as one made a year ago.
	year := time.Now().AddDate(-1, 0, 0)
	expired, err := access.NewGrant(access.GrantRequest{ID: "expired-grant", PatientID: w.ameliaID, Organisation: "B86001",
		Categories: []record.Category{record.Allergies}, End: year.Add(24 * time.Hour)}, year)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.store.CreateGrant(context.Background(), expired); err != nil {
		t.Fatal(err)
	}

	client := newOrgClient(t, "RX1")
	s.register(t, map[string]any{"odsCode": "RX1", "name": "Stranger Hospital", "jwks": client.publicJWKS(t)})
	res := s.exchange(client.assertion(t, nil))
	if res.status != 200 {
		t.Fatalf("token for RX1 = %d %s", res.status, res.body)
	}
	w.stranger = res.json(t)["access_token"].(string)

	w.allergyID = entryIDs(t, s, w.amelia, "?category=allergies")[0]
	w.conditionID = entryIDs(t, s, w.amelia, "?category=conditions")[0]
	var code string
	code, w.shareCodeID = w.share(t, s, map[string]any{"categories": []string{"allergies"}, "label": "For the matrix"})
	_, w.spareShareCodeID = w.share(t, s, map[string]any{"categories": []string{"allergies"}})
	w.viewer = s.redeem(t, code, 200)["access_token"].(string)
	w.deviceID = s.registerDevice(t, w.amelia, "fcm-token-world")
	s.registerSandbox(t, "sandbox-a")
	s.registerSandbox(t, "sandbox-b")
	w.linkID, w.spareLinkID = s.link(t, w.amelia, "sandbox-a"), s.link(t, w.amelia, "sandbox-b")
	log := s.do("GET", "/v1/me/access-log?limit=1", w.amelia, nil).json(t)
	w.eventID = log["events"].([]any)[0].(map[string]any)["id"].(string)
	return w
}

// grant has Amelia grant an organisation some categories and returns its id.
func (w *accessWorld) grant(t *testing.T, s *testServer, ods string, categories ...string) string {
	t.Helper()
	res := s.do("POST", "/v1/me/grants", w.amelia, map[string]any{"organisation": ods, "categories": categories})
	if res.status != 201 {
		t.Fatalf("grant to %s = %d %s", ods, res.status, res.body)
	}
	return res.json(t)["id"].(string)
}

// share has Amelia issue a share code and returns the code and its id.
func (w *accessWorld) share(t *testing.T, s *testServer, body map[string]any) (code, id string) {
	t.Helper()
	res := s.do("POST", "/v1/me/share-codes", w.amelia, body)
	if res.status != 201 {
		t.Fatalf("share code = %d %s", res.status, res.body)
	}
	m := res.json(t)
	return m["code"].(string), m["id"].(string)
}

// redeem redeems a code as Dr Sam Okafor, A&E registrar, expecting status.
func (s *testServer) redeem(t *testing.T, code string, status int, extra ...string) map[string]any {
	t.Helper()
	body := map[string]any{"code": code, "viewerName": "Dr Sam Okafor", "viewerRole": "A&E registrar"}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	res := s.do("POST", "/v1/share/redeem", "", body)
	if res.status != status {
		t.Fatalf("redeem %q = %d %s, want %d", code, res.status, res.body, status)
	}
	return res.json(t)
}

package httpapi_test

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/sandbox"
	"github.com/kith-health/kith/adapters/synthetic"
)

// registerSandbox serves a sandbox exchange holding one synthetic patient's
// record on loopback and registers it under id; it returns the FHIR base URL.
func (s *testServer) registerSandbox(t *testing.T, id string) string {
	t.Helper()
	bundle, err := synthetic.Demo(synthetic.Person{NHSNumber: "9990000042", GivenName: "Ada", FamilyName: "Exchange",
		BirthDate: "1970-05-06", Gender: "female"}, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Config{Bundles: [][]byte{bundle}, Prefix: "/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	res := s.do("POST", "/v1/admin/exchanges", s.tokenAs("operator"), map[string]any{"id": id, "name": "Sandbox " + id,
		"baseUrl": srv.URL + "/fhir", "clientId": "kith-test", "keyFile": exchangeKeyFile(t)})
	if res.status != 201 {
		t.Fatalf("register exchange %s = %d %s", id, res.status, res.body)
	}
	return srv.URL + "/fhir"
}

func exchangeKeyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "exchange.jwk")
	if err := sandbox.WriteClientKey(path, "httpapi-test"); err != nil {
		t.Fatal(err)
	}
	return path
}

// link has the patient link an exchange and returns the link's id.
func (s *testServer) link(t *testing.T, token, exchange string) string {
	t.Helper()
	res := s.do("POST", "/v1/me/exchange-links", token, map[string]any{"exchange": exchange})
	if res.status != 201 {
		t.Fatalf("link %s = %d %s", exchange, res.status, res.body)
	}
	return res.json(t)["id"].(string)
}

func TestExchangeLinksThroughTheAPI(t *testing.T) {
	s := newServer(t)
	s.registerSandbox(t, "sandbox")
	ada := s.token("exchange-ada", map[string]any{"nhsNumber": "9990000042", "dateOfBirth": "1970-05-06"})

	list := s.do("GET", "/v1/exchanges", ada, nil)
	if list.status != 200 || len(list.json(t)["exchanges"].([]any)) != 1 {
		t.Fatalf("GET /v1/exchanges = %d %s", list.status, list.body)
	}
	res := s.do("POST", "/v1/me/exchange-links", ada, map[string]any{"exchange": "sandbox", "alertNewResults": true})
	if res.status != 201 {
		t.Fatalf("link = %d %s", res.status, res.body)
	}
	l := res.json(t)
	if l["status"] != "pending" || l["exchangeName"] != "Sandbox sandbox" || l["alertNewResults"] != true {
		t.Fatalf("new link = %s", res.body)
	}
	again := s.do("POST", "/v1/me/exchange-links", ada, map[string]any{"exchange": "sandbox"})
	if again.status != 200 || again.json(t)["id"] != l["id"] {
		t.Fatalf("linking again = %d %s", again.status, again.body)
	}
	for _, bad := range []map[string]any{{"exchange": "nowhere"}, {}, {"exchange": "sandbox", "extra": 1}} {
		if res := s.do("POST", "/v1/me/exchange-links", ada, bad); res.status != 422 && res.status != 400 {
			t.Errorf("link %v = %d %s", bad, res.status, res.body)
		}
	}
	id := l["id"].(string)
	if res := s.do("POST", "/v1/me/exchange-links/"+id+"/sync", ada, nil); res.status != 202 {
		t.Fatalf("sync now = %d %s", res.status, res.body)
	}
	if res := s.do("POST", "/v1/me/exchange-links/"+id+"/sync", ada, nil); res.status != 429 || res.header.Get("Retry-After") == "" {
		t.Fatalf("sync now again = %d %s (Retry-After %q)", res.status, res.body, res.header.Get("Retry-After"))
	}
	events := s.do("GET", "/v1/me/access-log", ada, nil).json(t)["events"].([]any)
	if len(events) == 0 || events[0].(map[string]any)["action"] != "exchange.linked" {
		t.Fatalf("the access log does not show the link: %v", events)
	}
	if res := s.do("DELETE", "/v1/me/exchange-links/"+id, ada, nil); res.status != 204 {
		t.Fatalf("unlink = %d %s", res.status, res.body)
	}
	if res := s.do("GET", "/v1/me/exchange-links/"+id, ada, nil); res.status != 404 {
		t.Fatalf("an unlinked link = %d", res.status)
	}
	events = s.do("GET", "/v1/me/access-log", ada, nil).json(t)["events"].([]any)
	if events[0].(map[string]any)["action"] != "exchange.unlinked" {
		t.Fatalf("the access log does not show the unlink: %v", events[0])
	}

	detail := s.do("GET", "/v1/admin/exchanges", s.tokenAs("operator"), nil)
	if detail.status != 200 {
		t.Fatalf("admin list = %d %s", detail.status, detail.body)
	}
	var xs []map[string]any
	_ = json.Unmarshal(detail.body, &xs)
	if len(xs) != 1 || len(xs[0]["types"].([]any)) == 0 || xs[0]["tokenUrl"] == "" {
		t.Fatalf("the registration recorded nothing of the capability statement: %s", detail.body)
	}
	if res := s.do("PUT", "/v1/admin/exchanges/sandbox", s.tokenAs("operator"), map[string]any{"status": "suspended"}); res.status != 200 {
		t.Fatalf("suspend = %d %s", res.status, res.body)
	}
	if res := s.do("POST", "/v1/me/exchange-links", ada, map[string]any{"exchange": "sandbox"}); res.status != 422 {
		t.Fatalf("linking a suspended exchange = %d %s", res.status, res.body)
	}
}

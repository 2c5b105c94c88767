package httpapi_test

import (
	"encoding/json"
	"testing"
)

func TestOperatorsRegisterAndManageOrganisations(t *testing.T) {
	s := newServer(t)
	op := s.tokenAs("operator")
	jwks := map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-384", "kid": "k1",
		"x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}}

	res := s.do("POST", "/v1/admin/organisations", op, map[string]any{"odsCode": "rxx", "name": "Royal Example Trust", "jwks": jwks})
	if res.status != 201 {
		t.Fatalf("register = %d %s", res.status, res.body)
	}
	org := res.json(t)
	if org["odsCode"] != "RXX" || org["status"] != "active" || org["jwks"] == nil {
		t.Fatalf("registered %v", org)
	}

	wantProblem(t, s.do("POST", "/v1/admin/organisations", op, map[string]any{"odsCode": "RXX", "name": "Again", "jwks": jwks}), 409, "conflict")
	for name, body := range map[string]map[string]any{
		"bad ODS code":       {"odsCode": "R-X", "name": "X", "jwks": jwks},
		"no keys at all":     {"odsCode": "RYY", "name": "X"},
		"both url and keys":  {"odsCode": "RYY", "name": "X", "jwks": jwks, "jwksUrl": "https://keys.example/jwks"},
		"plain http key URL": {"odsCode": "RYY", "name": "X", "jwksUrl": "http://keys.example/jwks"},
		"empty key set":      {"odsCode": "RYY", "name": "X", "jwks": map[string]any{"keys": []any{}}},
		"blank name":         {"odsCode": "RYY", "name": " ", "jwks": jwks},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, s.do("POST", "/v1/admin/organisations", op, body), 422, "invalid-input")
		})
	}
	if got := s.do("GET", "/v1/admin/organisations/RYY", op, nil); got.status != 404 {
		t.Fatalf("a refused registration was stored: %d", got.status)
	}

	suspended := s.do("PUT", "/v1/admin/organisations/rxx", op, map[string]any{
		"name": "Royal Example NHS Trust", "status": "suspended", "jwksUrl": "https://keys.example/jwks"})
	if suspended.status != 200 {
		t.Fatalf("update = %d %s", suspended.status, suspended.body)
	}
	if got := suspended.json(t); got["status"] != "suspended" || got["jwksUrl"] != "https://keys.example/jwks" || got["jwks"] != nil {
		t.Fatalf("updated %v", got)
	}
	if got := s.do("GET", "/v1/admin/organisations/RXX", op, nil).json(t); got["name"] != "Royal Example NHS Trust" {
		t.Fatalf("read back %v", got)
	}
	wantProblem(t, s.do("PUT", "/v1/admin/organisations/NOPE1", op, map[string]any{"name": "X", "status": "active", "jwks": jwks}), 404, "not-found")

	var list []map[string]any
	if err := json.Unmarshal(s.do("GET", "/v1/admin/organisations", op, nil).body, &list); err != nil {
		t.Fatal(err)
	}
	codes := []string{}
	for _, o := range list {
		codes = append(codes, o["odsCode"].(string))
	}
	// The demo organisations are seeded in development mode.
	if len(codes) != 3 || codes[0] != "B86001" || codes[1] != "RR8" || codes[2] != "RXX" {
		t.Fatalf("listed %v", codes)
	}
}

package httpapi_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/kith-health/kith/adapters/httpapi/api"
)

// infrastructureRoutes are served outside the spec on purpose: they are not JSON APIs.
var infrastructureRoutes = []string{"GET /metrics", "GET /openapi.yaml"}

// specOperations lists "METHOD /path" for every operation in openapi.yaml, with
// {param} in Fiber's :param form.
func specOperations(t *testing.T) []string {
	t.Helper()
	spec, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, item := range spec.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+strings.NewReplacer("{", ":", "}", "").Replace(path))
		}
	}
	sort.Strings(ops)
	return ops
}

func TestRoutesAndSpecDoNotDrift(t *testing.T) {
	s := newServer(t)
	served := map[string]bool{}
	for _, r := range s.fiber.GetRoutes(true) {
		if r.Method == "USE" || r.Method == "HEAD" {
			continue
		}
		served[r.Method+" "+r.Path] = true
	}
	documented := map[string]bool{}
	for _, op := range append(specOperations(t), infrastructureRoutes...) {
		documented[op] = true
		if !served[op] {
			t.Errorf("%s is in openapi.yaml but not served", op)
		}
	}
	for op := range served {
		if !documented[op] {
			t.Errorf("%s is served but not in openapi.yaml", op)
		}
	}
}

// authorizationMatrix is the expected status of every route for every kind of caller.
// A route missing here fails the test: no route ships without its rule. Bodies are
// empty, so a route a caller may use answers 422 (or 200 for reads), never 401/403.
var authorizationMatrix = map[string]map[string]int{
	"GET /healthz":               everyone(200),
	"GET /readyz":                everyone(200),
	"GET /metrics":               everyone(200),
	"GET /openapi.yaml":          everyone(200),
	"GET /.well-known/jwks.json": everyone(200),
	"GET /dev/principals":        everyone(200),
	"POST /dev/tokens":           everyone(422),
	"POST /v1/oauth/token":       everyone(422),
	"GET /v1/me":                 only(200, "patient", "patient-p5", "patient-p0"),
	// The record: P9 patients only; P5 and P0 get 403 identity-level-too-low.
	"GET /v1/me/record/summary":            only(200, "patient"),
	"GET /v1/me/record/entries":            only(200, "patient"),
	"GET /v1/me/record/entries/:entryId":   only(404, "patient"),
	"GET /v1/me/record/changes":            only(200, "patient"),
	"GET /v1/me/record/export":             only(200, "patient"),
	"POST /v1/me/record/uploads":           only(422, "patient"),
	"DELETE /v1/me/record":                 only(422, "patient"),
	"GET /v1/admin/organisations":          only(200, "operator"),
	"POST /v1/admin/organisations":         only(422, "operator"),
	"GET /v1/admin/organisations/:odsCode": only(200, "operator"),
	"PUT /v1/admin/organisations/:odsCode": only(422, "operator"),
}

var callerKinds = []string{"anonymous", "patient", "patient-p5", "patient-p0", "organisation", "operator"}

func everyone(status int) map[string]int {
	m := map[string]int{}
	for _, k := range callerKinds {
		m[k] = status
	}
	return m
}

// only: the named callers get status, anonymous 401, everyone else 403.
func only(status int, allowed ...string) map[string]int {
	m := map[string]int{}
	for _, k := range callerKinds {
		m[k] = 403
	}
	m["anonymous"] = 401
	for _, k := range allowed {
		m[k] = status
	}
	return m
}

func TestAuthorizationMatrix(t *testing.T) {
	s := newServer(t)
	callers := map[string]string{
		"anonymous":    "",
		"patient":      s.tokenAs("amelia"),
		"patient-p5":   s.tokenAs("oliver"),
		"patient-p0":   s.token("matrix-p0", map[string]any{"identityLevel": "P0"}),
		"organisation": s.tokenAs("leeds-registrar"),
		"operator":     s.tokenAs("operator"),
	}
	for _, op := range append(specOperations(t), infrastructureRoutes...) {
		rules, ok := authorizationMatrix[op]
		if !ok {
			t.Errorf("%s has no row in the authorization matrix", op)
			continue
		}
		method, path, _ := strings.Cut(op, " ")
		path = strings.NewReplacer(":odsCode", "RR8", ":entryId", "no-such-entry").Replace(path)
		for _, caller := range callerKinds {
			var body any
			var headers []string
			switch {
			case path == "/v1/oauth/token":
				body, headers = "", []string{"Content-Type", "application/x-www-form-urlencoded"}
			case method == "POST" || method == "PUT" || method == "DELETE":
				body = map[string]any{}
			}
			if got := s.do(method, path, callers[caller], body, headers...).status; got != rules[caller] {
				t.Errorf("%s as %s = %d, want %d", op, caller, got, rules[caller])
			}
		}
	}
}

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
// empty JSON objects, so a route a caller may use answers 422, not 401/403/404.
var authorizationMatrix = map[string]map[string]int{
	"GET /healthz":      {"anonymous": 200, "patient": 200, "patient-p0": 200},
	"GET /readyz":       {"anonymous": 200, "patient": 200, "patient-p0": 200},
	"GET /metrics":      {"anonymous": 200, "patient": 200, "patient-p0": 200},
	"GET /openapi.yaml": {"anonymous": 200, "patient": 200, "patient-p0": 200},
	"GET /v1/me":        {"anonymous": 401, "patient": 200, "patient-p0": 200},
	"POST /dev/token":   {"anonymous": 422, "patient": 422, "patient-p0": 422},
}

func TestAuthorizationMatrix(t *testing.T) {
	s := newServer(t)
	callers := map[string]string{
		"anonymous":  "",
		"patient":    s.token("matrix-p9", nil),
		"patient-p0": s.token("matrix-p0", map[string]any{"identityProofingLevel": "P0"}),
	}
	for _, op := range append(specOperations(t), infrastructureRoutes...) {
		rules, ok := authorizationMatrix[op]
		if !ok {
			t.Errorf("%s has no row in the authorization matrix", op)
			continue
		}
		method, path, _ := strings.Cut(op, " ")
		for caller, token := range callers {
			want, ok := rules[caller]
			if !ok {
				t.Errorf("%s: no rule for %s", op, caller)
				continue
			}
			var body any
			if method == "POST" {
				body = map[string]any{}
			}
			if got := s.do(method, path, token, body).status; got != want {
				t.Errorf("%s as %s = %d, want %d", op, caller, got, want)
			}
		}
	}
}

package httpapi_test

import (
	"maps"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/openapi"
)

// infrastructureRoutes are served outside the spec on purpose: they are not JSON
// APIs (metrics, the spec itself, the clinician viewer's web pages).
var infrastructureRoutes = []string{"GET /metrics", "GET /openapi.yaml",
	"GET /view", "POST /view", "GET /view/record", "GET /view/record/:category", "POST /view/finish", "GET /view/static/viewer.css"}

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

// onBehalfOperations maps each on-behalf operation in openapi.yaml,
// "METHOD /v1/patients/:patientId/X", to the /v1/me operation that serves it. The
// generated code leaves them out (they share the /v1/me handlers), so they are read
// from the spec itself.
func onBehalfOperations(t *testing.T) map[string]string {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromData(openapi.YAML)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]string{}
	for path, item := range spec.Paths.Map() {
		rest, ok := strings.CutPrefix(path, "/v1/patients/{patientId}/")
		if !ok {
			continue
		}
		fiberPath := strings.NewReplacer("{", ":", "}", "").Replace(rest)
		for method := range item.Operations() {
			ops[method+" /v1/patients/:patientId/"+fiberPath] = method + " /v1/me/" + fiberPath
		}
	}
	return ops
}

// TestEveryOwnRouteHasItsOnBehalfForm: a guardian manages a child's record, grants,
// share codes, exchange links, access log, settings and devices through the same
// operations a patient uses for their own, and each on-behalf form is one the
// /v1/me routes serve.
func TestEveryOwnRouteHasItsOnBehalfForm(t *testing.T) {
	twins := onBehalfOperations(t)
	own := map[string]bool{}
	for _, op := range specOperations(t) {
		own[op] = true
	}
	served := map[string]bool{}
	for _, me := range twins {
		served[me] = true
		if !own[me] {
			t.Errorf("on-behalf form of %s, which the spec does not have", me)
		}
	}
	for op := range own {
		_, path, _ := strings.Cut(op, " ")
		for _, prefix := range []string{"/v1/me/record", "/v1/me/grants", "/v1/me/share-codes", "/v1/me/exchange-links",
			"/v1/me/access-log", "/v1/me/settings", "/v1/me/devices", "/v1/me/guardians"} {
			if strings.HasPrefix(path, prefix) && !served[op] && op != "POST /v1/me/guardians/:guardianshipId/changes" {
				t.Errorf("%s has no /v1/patients/{patientId} form", op)
			}
		}
	}
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
// Path parameters name Amelia's things (her NHS number, an allergy of hers, a grant
// and an event of hers), so "another patient" is refused them as not found.
var authorizationMatrix = map[string]map[string]int{
	"GET /healthz":      everyone(200),
	"GET /readyz":       everyone(200),
	"GET /metrics":      everyone(200),
	"GET /openapi.yaml": everyone(200),
	// The viewer's pages go by the session cookie alone: a bearer token of any kind
	// opens nothing, and without the cookie the record pages send the viewer to
	// the code form.
	"GET /view":                   everyone(200),
	"POST /view":                  everyone(422),
	"GET /view/record":            everyone(303),
	"GET /view/record/:category":  everyone(303),
	"POST /view/finish":           everyone(200),
	"GET /view/static/viewer.css": everyone(200),
	"GET /.well-known/jwks.json":  everyone(200),
	"GET /dev/principals":         everyone(200),
	"POST /dev/tokens":            everyone(422),
	"POST /v1/oauth/token":        everyone(422),
	"GET /v1/me":                  only(200, "patient", "another-patient", "patient-p5", "patient-p0"),
	// The record: P9 patients only, each their own; P5 and P0 get 403 identity-level-too-low.
	"GET /v1/me/record/summary":          only(200, "patient", "another-patient"),
	"GET /v1/me/record/entries":          only(200, "patient", "another-patient"),
	"GET /v1/me/record/entries/:entryId": with(only(200, "patient"), 404, "another-patient"),
	"GET /v1/me/record/changes":          only(200, "patient", "another-patient"),
	"GET /v1/me/record/export":           only(200, "patient", "another-patient"),
	"GET /v1/me/record/ips":              only(200, "patient", "another-patient"),
	"POST /v1/me/record/uploads":         only(422, "patient", "another-patient"),
	"DELETE /v1/me/record":               only(422, "patient", "another-patient"),
	// Who may see it: the patient alone decides.
	"GET /v1/me/grants":                      only(200, "patient", "another-patient"),
	"POST /v1/me/grants":                     only(422, "patient", "another-patient"),
	"GET /v1/me/grants/:grantId":             with(only(200, "patient"), 404, "another-patient"),
	"POST /v1/me/grants/:grantId/revoke":     with(only(200, "patient"), 404, "another-patient"),
	"GET /v1/me/settings":                    only(200, "patient", "another-patient"),
	"PUT /v1/me/settings":                    only(422, "patient", "another-patient"),
	"GET /v1/me/access-log":                  only(200, "patient", "another-patient"),
	"POST /v1/me/access-log/:eventId/report": with(only(200, "patient"), 404, "another-patient"),
	"GET /v1/org/access-reports":             only(200, "org-with-grant", "org-expired-grant", "org-without-grant"),
	// Share codes: patients issue them; anyone may redeem (organisation staff with
	// their token, for codes bound to them); a viewer session reads what was shared.
	"GET /v1/me/share-codes":                      only(200, "patient", "another-patient"),
	"POST /v1/me/share-codes":                     only(422, "patient", "another-patient"),
	"POST /v1/me/share-codes/:shareCodeId/revoke": with(only(200, "patient"), 404, "another-patient"),
	"POST /v1/share/redeem":                       with(only(422, "org-with-grant", "org-expired-grant", "org-without-grant"), 422, "anonymous"),
	"GET /v1/shared/record/summary":               only(200, "viewer"),
	"GET /v1/shared/record/ips":                   only(200, "viewer"),
	"GET /v1/shared/record/entries":               only(200, "viewer"),
	"GET /v1/shared/record/entries/:entryId":      only(200, "viewer"),
	// Alerts: each patient their own devices; the development inbox is public, as
	// the other development routes are, and absent in production.
	"GET /v1/me/devices":                           only(200, "patient", "another-patient"),
	"POST /v1/me/devices":                          only(422, "patient", "another-patient"),
	"DELETE /v1/me/devices/:deviceId":              with(only(204, "patient"), 404, "another-patient"),
	"GET /dev/push-inbox":                          everyone(200),
	"POST /v1/org/patients/:nhsNumber/break-glass": only(422, "org-with-grant", "org-expired-grant", "org-without-grant"),
	// Organisations read under a grant in force; every other organisation hears
	// "not found", as for a person unknown to Kith.
	"GET /v1/org/patients/:nhsNumber/record/summary":          orgRead(),
	"GET /v1/org/patients/:nhsNumber/record/entries":          orgRead(),
	"GET /v1/org/patients/:nhsNumber/record/entries/:entryId": orgRead(),
	"GET /v1/org/patients/:nhsNumber/record/export":           orgRead(),
	"GET /v1/org/patients/:nhsNumber/record/ips":              orgRead(),
	// Exchanges: any patient and operators see which exchanges there are; linking
	// is the patient's own consent, at P9; operators register and suspend them.
	"GET /v1/exchanges":                       with(only(200, "patient", "another-patient", "patient-p5", "patient-p0"), 200, "operator"),
	"GET /v1/me/exchange-links":               only(200, "patient", "another-patient"),
	"POST /v1/me/exchange-links":              only(422, "patient", "another-patient"),
	"GET /v1/me/exchange-links/:linkId":       with(only(200, "patient"), 404, "another-patient"),
	"DELETE /v1/me/exchange-links/:linkId":    with(only(204, "patient"), 404, "another-patient"),
	"POST /v1/me/exchange-links/:linkId/sync": with(only(202, "patient"), 404, "another-patient"),
	"GET /v1/admin/exchanges":                 only(200, "operator"),
	"POST /v1/admin/exchanges":                only(422, "operator"),
	"PUT /v1/admin/exchanges/:exchangeId":     only(422, "operator"),
	"GET /v1/admin/organisations":             only(200, "operator"),
	"POST /v1/admin/organisations":            only(422, "operator"),
	"GET /v1/admin/organisations/:odsCode":    only(200, "operator"),
	"PUT /v1/admin/organisations/:odsCode":    only(422, "operator"),
	// Families: a guardian lists their children, a record's owner (or a fellow
	// guardian) its guardians; only the owner changes a guardian or the screen.
	// Amelia has no guardians, so a change to one is not found.
	"GET /v1/me/children":                           only(200, "patient", "another-patient"),
	"GET /v1/me/guardians":                          only(200, "patient", "another-patient"),
	"POST /v1/me/guardians/:guardianshipId/changes": only(404, "patient", "another-patient"),
	"GET /v1/me/guardian-screen":                    only(200, "patient", "another-patient"),
	"PUT /v1/me/guardian-screen":                    only(422, "patient", "another-patient"),
	// Establishing, restricting and marking: operators, and organisations holding an
	// active grant for the child; any other organisation hears "not found".
	"GET /v1/children/:nhsNumber/guardianships":                                childAdmin(200),
	"POST /v1/children/:nhsNumber/guardianships":                               childAdmin(422),
	"PUT /v1/children/:nhsNumber/guardianships/:guardianshipId/restriction":    childAdmin(422),
	"DELETE /v1/children/:nhsNumber/guardianships/:guardianshipId/restriction": childAdmin(404),
	// Operators never see clinical data, so only an organisation marks an entry.
	"POST /v1/children/:nhsNumber/safeguarding-marks": with(childAdmin(422), 403, "operator"),
}

func childAdmin(status int) map[string]int {
	return with(only(status, "org-with-grant", "operator"), 404, "org-expired-grant", "org-without-grant")
}

var callerKinds = []string{"anonymous", "patient", "another-patient", "patient-p5", "patient-p0",
	"org-with-grant", "org-expired-grant", "org-without-grant", "operator", "viewer"}

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

// with changes the status of some callers in a row.
func with(m map[string]int, status int, callers ...string) map[string]int {
	for _, k := range callers {
		m[k] = status
	}
	return m
}

func orgRead() map[string]int {
	return with(only(200, "org-with-grant"), 404, "org-expired-grant", "org-without-grant")
}

func TestAuthorizationMatrix(t *testing.T) {
	eachStore(t, testAuthorizationMatrix)
}

func testAuthorizationMatrix(t *testing.T, opts ...option) {
	s := newServer(t, opts...)
	w := newAccessWorld(t, s)
	callers := map[string]string{
		"anonymous":         "",
		"patient":           w.amelia,
		"another-patient":   s.token("matrix-other", map[string]any{"nhsNumber": "9990000042"}),
		"patient-p5":        s.tokenAs("oliver"),
		"patient-p0":        s.token("matrix-p0", map[string]any{"identityLevel": "P0"}),
		"org-with-grant":    w.leeds,
		"org-expired-grant": w.gp,
		"org-without-grant": w.stranger,
		"operator":          s.tokenAs("operator"),
		"viewer":            w.viewer,
	}
	for _, op := range append(specOperations(t), infrastructureRoutes...) {
		rules, ok := authorizationMatrix[op]
		if !ok {
			t.Errorf("%s has no row in the authorization matrix", op)
			continue
		}
		method, path, _ := strings.Cut(op, " ")
		path = strings.NewReplacer(":guardianshipId", "gs-none", ":odsCode", "RR8", ":entryId", w.allergyID, ":nhsNumber", ameliaNHS,
			":grantId", w.spareGrantID, ":eventId", w.eventID, ":shareCodeId", w.spareShareCodeID, ":category", "allergies", ":deviceId", w.deviceID, ":exchangeId", "sandbox-a").Replace(path)
		// DELETE takes the spare link, so the reads of the other still find it.
		if method == "DELETE" {
			path = strings.Replace(path, ":linkId", w.spareLinkID, 1)
		}
		path = strings.Replace(path, ":linkId", w.linkID, 1)
		for _, caller := range callerKinds {
			var body any
			var headers []string
			switch {
			case path == "/v1/oauth/token":
				body, headers = "", []string{"Content-Type", "application/x-www-form-urlencoded"}
			case method == "POST" || method == "PUT" || method == "DELETE":
				body = map[string]any{}
			}
			if got := s.do(method, path, callers[caller], body, headers...); got.status != rules[caller] {
				t.Errorf("%s as %s = %d, want %d: %.200s", op, caller, got.status, rules[caller], got.body)
			}
		}
	}
	// The on-behalf form of each route, naming Amelia: she is answered as on her own
	// route; any other patient, whatever their identity level, hears "not found"
	// (nobody may act for her); everyone else as on the /v1/me route.
	// The DELETEs above took the spare device and link, and the sync-now above
	// holds off another for a minute: these take new ones.
	deviceID := s.registerDevice(t, w.amelia, "fcm-token-on-behalf")
	spareLinkID := s.link(t, w.amelia, "sandbox-b")
	s.registerSandbox(t, "sandbox-c")
	syncLinkID := s.link(t, w.amelia, "sandbox-c")
	for twin, me := range onBehalfOperations(t) {
		rules := maps.Clone(authorizationMatrix[me])
		rules = with(rules, 404, "another-patient", "patient-p5", "patient-p0")
		method, path, _ := strings.Cut(twin, " ")
		path = strings.NewReplacer(":patientId", w.ameliaID, ":entryId", w.allergyID, ":grantId", w.spareGrantID, ":eventId", w.eventID,
			":shareCodeId", w.spareShareCodeID, ":deviceId", deviceID, ":guardianshipId", "gs-none").Replace(path)
		switch {
		case method == "DELETE":
			path = strings.Replace(path, ":linkId", spareLinkID, 1)
		case strings.HasSuffix(path, "/sync"):
			path = strings.Replace(path, ":linkId", syncLinkID, 1)
		}
		path = strings.Replace(path, ":linkId", w.linkID, 1)
		for _, caller := range callerKinds {
			var body any
			if method != "GET" {
				body = map[string]any{}
			}
			if got := s.do(method, path, callers[caller], body); got.status != rules[caller] {
				t.Errorf("%s as %s = %d, want %d: %.200s", twin, caller, got.status, rules[caller], got.body)
			}
		}
	}
}

package httpapi

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/openapi"
)

// The on-behalf forms: every /v1/patients/{patientId}/X the spec declares is served
// by the handler of /v1/me/X, with the named account carried to the app as the
// principal's ActingFor. One handler and one access decision for both forms, so
// they cannot drift apart; the decision, not the path, says whether the caller may
// act for that account.
const (
	onBehalfPrefix = "/v1/patients/"
	actingForKey   = "kith.actingFor"
)

// onBehalfRoutes lists, in /v1/me form, the routes the spec gives an on-behalf
// form, as path segments ("{x}" matches any one segment).
func onBehalfRoutes() ([][]string, error) {
	spec, err := openapi3.NewLoader().LoadFromData(openapi.YAML)
	if err != nil {
		return nil, fmt.Errorf("httpapi: reading openapi.yaml: %w", err)
	}
	var routes [][]string
	for path := range spec.Paths.Map() {
		if rest, ok := strings.CutPrefix(path, onBehalfPrefix+"{patientId}/"); ok {
			routes = append(routes, strings.Split("v1/me/"+rest, "/"))
		}
	}
	return routes, nil
}

// onBehalf rewrites an on-behalf request to its /v1/me route before routing
// continues. A malformed account id, or a path with no on-behalf form, is 404.
func onBehalf(routes [][]string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rest, ok := strings.CutPrefix(c.Path(), onBehalfPrefix)
		if !ok {
			return c.Next()
		}
		id, tail, _ := strings.Cut(rest, "/")
		if _, err := uuid.Parse(id); err != nil || !declared(routes, "v1/me/"+tail) {
			return fmt.Errorf("no such route: %w", fault.ErrNotFound)
		}
		c.Locals(actingForKey, strings.Clone(id))
		c.Path("/v1/me/" + tail)
		return c.Next()
	}
}

func declared(routes [][]string, path string) bool {
	segments := strings.Split(strings.TrimSuffix(path, "/"), "/")
	for _, r := range routes {
		if len(r) != len(segments) {
			continue
		}
		match := true
		for i, s := range r {
			if !(strings.HasPrefix(s, "{") || s == segments[i]) {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

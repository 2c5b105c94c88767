package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
)

// TokenVerifier turns a bearer token into a verified caller; any failure is
// fault.ErrUnauthenticated.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (identity.Principal, error)
}

// publicOperations lists "METHOD /fiber/path" for operations whose spec says
// `security: []`. Everything else requires a bearer token: the spec decides, so a
// new route is protected unless it is declared public on purpose.
func publicOperations(spec *openapi3.T) map[string]bool {
	public := map[string]bool{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				public[method+" "+fiberPath(path)] = true
			}
		}
	}
	return public
}

// fiberPath turns /a/{id} into Fiber's /a/:id.
func fiberPath(openapiPath string) string {
	return strings.NewReplacer("{", ":", "}", "").Replace(openapiPath)
}

// allowedCallers lists, for "METHOD /fiber/path", the kinds of caller its operation
// names in x-kith-callers. An operation that needs a token and names none admits no one.
func allowedCallers(spec *openapi3.T) map[string][]identity.Kind {
	allowed := map[string][]identity.Kind{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			kinds, _ := op.Extensions["x-kith-callers"].([]any)
			for _, k := range kinds {
				if s, ok := k.(string); ok {
					allowed[method+" "+fiberPath(path)] = append(allowed[method+" "+fiberPath(path)], identity.Kind(s))
				}
			}
		}
	}
	return allowed
}

func authenticate(v TokenVerifier, public map[string]bool, callers map[string][]identity.Kind, log *slog.Logger) api.HandlerMiddlewareFunc {
	return func(c *fiber.Ctx, next fiber.Handler) error {
		op := c.Method() + " " + c.Route().Path
		// Fiber's strings point into buffers reused after the request: clone them.
		c.SetUserContext(app.WithClientAddr(c.UserContext(), strings.Clone(c.IP())))
		// A public operation that names callers in x-kith-callers takes a token when
		// one is sent (share code redemption by an organisation's staff).
		if public[op] && (len(callers[op]) == 0 || c.Get(fiber.HeaderAuthorization) == "") {
			c.SetUserContext(app.WithRoute(c.UserContext(), strings.Clone(op)))
			return next(c)
		}
		scheme, token, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return fmt.Errorf("no bearer token: %w", fault.ErrUnauthenticated)
		}
		p, err := v.Verify(c.UserContext(), strings.TrimSpace(token))
		if err != nil {
			// The reason (expired, wrong audience...) helps whoever debugs a sign-in;
			// it never contains the token.
			log.InfoContext(c.UserContext(), "token rejected", "reason", err.Error())
			return err
		}
		if !slices.Contains(callers[op], p.Kind) {
			return fmt.Errorf("a %s may not call %s: %w", p.Kind, op, fault.ErrForbidden)
		}
		if id, ok := c.Locals(actingForKey).(string); ok && p.Kind == identity.KindPatient {
			p.ActingFor = id
			op = c.Method() + " " + strings.Replace(c.Route().Path, "/v1/me/", onBehalfPrefix+":patientId/", 1)
		}
		ctx := identity.WithPrincipal(c.UserContext(), p)
		// The route template, for the access log.
		c.SetUserContext(app.WithRoute(ctx, strings.Clone(op)))
		return next(c)
	}
}

// callerOf is the one way handlers learn who is calling.
func callerOf(ctx context.Context) (identity.Principal, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok {
		return identity.Principal{}, fmt.Errorf("no verified caller: %w", fault.ErrUnauthenticated)
	}
	return p, nil
}

package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"github.com/kith-health/kith/adapters/httpapi/api"
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

func authenticate(v TokenVerifier, public map[string]bool, log *slog.Logger) api.HandlerMiddlewareFunc {
	return func(c *fiber.Ctx, next fiber.Handler) error {
		if public[c.Method()+" "+c.Route().Path] {
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
		c.SetUserContext(identity.WithPrincipal(c.UserContext(), p))
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

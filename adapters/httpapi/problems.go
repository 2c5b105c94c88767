package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/domain/fault"
)

// problemTypeBase prefixes every problem type. A URN: stable, needs no web page,
// and mobile-contract/errors.md lists them all.
const problemTypeBase = "urn:kith:problem:"

// problemKind is one row of the table from error kind to HTTP answer.
type problemKind struct {
	kind   error
	status int
	slug   string
	title  string
}

// problemTable maps each fault kind to its status and stable type. Order matters only
// in that ValidationError is checked before plain ErrInvalid, which it also matches.
var problemTable = []problemKind{
	{fault.ErrInvalid, http.StatusUnprocessableEntity, "invalid-input", "The input is not valid"},
	{fault.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", "Sign-in required"},
	{fault.ErrForbidden, http.StatusForbidden, "forbidden", "Not allowed"},
	{fault.ErrNotFound, http.StatusNotFound, "not-found", "Not found"},
	{fault.ErrConflict, http.StatusConflict, "conflict", "Conflicts with the current state"},
	{fault.ErrRateLimited, http.StatusTooManyRequests, "rate-limited", "Too many requests"},
	{fault.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "Temporarily unavailable"},
}

// validationProblems are the titles of invalid input more particular than
// invalid-input, by their slug (fault.ValidationError.Problem).
var validationProblems = map[string]string{
	"identity-mismatch": "The upload is about someone else: its NHS number or date of birth is not the account's",
}

// frameworkProblems names the errors Fiber raises itself, before a handler runs.
var frameworkProblems = map[int]problemKind{
	http.StatusBadRequest:            {nil, http.StatusBadRequest, "malformed-request", "The request is malformed"},
	http.StatusNotFound:              {nil, http.StatusNotFound, "not-found", "Not found"},
	http.StatusMethodNotAllowed:      {nil, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"},
	http.StatusRequestEntityTooLarge: {nil, http.StatusRequestEntityTooLarge, "payload-too-large", "The request body is too large"},
	http.StatusUnsupportedMediaType:  {nil, http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported content type"},
	http.StatusRequestTimeout:        {nil, http.StatusRequestTimeout, "timeout", "The request took too long"},
}

var internalProblem = problemKind{nil, http.StatusInternalServerError, "internal", "Something went wrong on our side"}

// errorHandler is Fiber's ErrorHandler: every error a handler returns becomes one
// problem+json answer. A 5xx says nothing of its cause to the client; the log has it.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		row, detail, fields := classify(err)
		p := api.Problem{Type: problemTypeBase + row.slug, Title: row.title, Status: row.status}
		if detail != "" {
			p.Detail = &detail
		}
		if len(fields) > 0 {
			p.Errors = &fields
		}
		if id := requestID(c); id != "" {
			p.RequestId = &id
		}
		if row.status >= 500 {
			log.ErrorContext(c.UserContext(), "request failed", "status", row.status, "problem", row.slug, "error", err)
		}
		if row.status == http.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="kith"`)
		}
		var rl *fault.RateLimitedError
		if errors.As(err, &rl) {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(rl.RetryAfter.Seconds()))))
		}
		if row.status == http.StatusServiceUnavailable && c.Get(fiber.HeaderRetryAfter) == "" {
			c.Set(fiber.HeaderRetryAfter, "5")
		}
		c.Status(row.status)
		c.Set(fiber.HeaderContentType, "application/problem+json")
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(p, "application/problem+json")
	}
}

// classify finds the row for err, and what of it may be told to the client.
func classify(err error) (problemKind, string, []api.FieldError) {
	var ve *fault.ValidationError
	if errors.As(err, &ve) {
		fields := make([]api.FieldError, len(ve.Fields))
		for i, f := range ve.Fields {
			fields[i] = api.FieldError{Field: f.Field, Rule: f.Rule}
		}
		if title, ok := validationProblems[ve.Problem]; ok {
			return problemKind{nil, http.StatusUnprocessableEntity, ve.Problem, title}, "", fields
		}
		return problemTable[0], "", fields
	}
	var ae *fault.AuthError
	if errors.As(err, &ae) {
		return problemKind{nil, http.StatusUnauthorized, ae.Reason, "The credentials were not accepted"}, "", nil
	}
	var de *fault.DeniedError
	if errors.As(err, &de) {
		return problemKind{nil, http.StatusForbidden, de.Reason, "Not allowed"}, "", nil
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		if row, ok := frameworkProblems[fe.Code]; ok {
			return row, clientDetail(row, fe.Message), nil
		}
		if fe.Code < 500 {
			return problemKind{nil, fe.Code, fmt.Sprintf("http-%d", fe.Code), http.StatusText(fe.Code)}, "", nil
		}
		return internalProblem, "", nil
	}
	for _, row := range problemTable {
		if errors.Is(err, row.kind) {
			return row, "", nil
		}
	}
	return internalProblem, "", nil
}

// clientDetail passes on Fiber's message only for malformed requests, where it says
// what in the client's own input could not be read (see decode.go).
func clientDetail(row problemKind, message string) string {
	if row.status == http.StatusBadRequest {
		return message
	}
	return ""
}

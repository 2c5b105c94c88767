package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/kith-health/kith/adapters/httpapi/api"
)

// decodeStrict is Fiber's JSONDecoder: unknown fields and trailing data are errors,
// so a client's typo is reported instead of silently ignored. Its messages name fields
// and byte offsets from the client's own input, never values, so they are safe to
// return (as the problem detail) and to log.
//
// A body the spec declares as binary (an uploaded FHIR Bundle) arrives as its exact
// bytes, never re-encoded, and in place: they are Fiber's reusable buffer, good
// until the handler returns. Ingest copies each resource it keeps
// (record.ParseInput), so a 5 MB upload is not copied whole a second time.
func decodeStrict(data []byte, v any) error {
	if f, ok := v.(*openapi_types.File); ok {
		f.InitFromBytes(data, "")
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

func describeJSONError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("the body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the body ends in the middle of a JSON value")
	case errors.As(err, &syntax):
		return fmt.Errorf("the body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("the body must be a JSON %s", jsonKind(typ.Type.Kind().String()))
		}
		return fmt.Errorf("field %q must be a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("field %s is not recognised", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return errors.New("the body could not be read as JSON")
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "ptr":
		return "value of another type"
	default:
		return "number"
	}
}

// requestMediaTypes lists, for "METHOD /fiber/path", the body media types its
// operation declares in the spec.
func requestMediaTypes(spec *openapi3.T) map[string][]string {
	types := map[string][]string{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			for mt := range op.RequestBody.Value.Content {
				types[method+" "+fiberPath(path)] = append(types[method+" "+fiberPath(path)], mt)
			}
		}
	}
	return types
}

// requireDeclaredBody answers 415 to a request whose body is not of a media type its
// operation declares, before anything tries to read it.
func requireDeclaredBody(declared map[string][]string) api.HandlerMiddlewareFunc {
	return func(c *fiber.Ctx, next fiber.Handler) error {
		allowed, ok := declared[c.Method()+" "+c.Route().Path]
		if !ok {
			return next(c)
		}
		mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
		if err == nil && slices.Contains(allowed, mt) {
			return next(c)
		}
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "send the body as "+strings.Join(allowed, " or "))
	}
}

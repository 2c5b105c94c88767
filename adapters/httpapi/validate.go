package httpapi

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/kith-health/kith/domain/fault"
)

// validate checks request types against their validate tags (generated from the
// spec's x-oapi-codegen-extra-tags) and reports fields by their JSON names.
var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}()

// checkRequest validates a request body, answering a fault.ValidationError that names
// every field at fault.
func checkRequest(body any) error {
	err := validate.Struct(body)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	out := &fault.ValidationError{}
	for _, fe := range verrs {
		rule := fe.Tag()
		if fe.Param() != "" {
			rule += "=" + fe.Param()
		}
		// Namespace is "Type.field.sub"; the client knows fields, not our type names.
		_, field, _ := strings.Cut(fe.Namespace(), ".")
		out.Fields = append(out.Fields, fault.FieldError{Field: field, Rule: rule})
	}
	return out
}

// Package fault holds the few kinds of error every layer speaks, so that a store's
// "no such row" and a domain rule's "not allowed" reach the API as the same stable
// problem types without any layer knowing about HTTP.
package fault

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The kinds. Wrap them (fmt.Errorf("...: %w", fault.ErrNotFound)) to add context;
// callers test with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrInvalid         = errors.New("invalid")
	ErrForbidden       = errors.New("forbidden")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrRateLimited     = errors.New("rate limited")
	ErrUnavailable     = errors.New("unavailable")
)

// FieldError names one field of the caller's input and the rule it broke.
type FieldError struct {
	Field string
	Rule  string
}

// ValidationError is an ErrInvalid that lists every field at fault, so a client can
// mark them all at once instead of fixing one per round trip.
type ValidationError struct {
	Fields []FieldError
	// Problem, when set, names a more particular problem than invalid input, as a
	// stable slug (identity-mismatch), so a client can answer it on its own.
	Problem string
}

// Invalid builds a ValidationError for one field.
func Invalid(field, rule string) *ValidationError {
	return &ValidationError{Fields: []FieldError{{Field: field, Rule: rule}}}
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = fmt.Sprintf("%s: %s", f.Field, f.Rule)
	}
	return "invalid input: " + strings.Join(parts, ", ")
}

// Is makes errors.Is(err, ErrInvalid) true for every ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// AuthError is an ErrUnauthenticated that names the check a credential failed, as a
// stable slug (token-expired, token-wrong-audience...), so a client can tell "sign in
// again" from "your clock is wrong" without the credential ever being echoed.
type AuthError struct {
	Reason string
	Err    error
}

// Unauthenticated builds an AuthError; err (may be nil) is the detail for the log.
func Unauthenticated(reason string, err error) *AuthError {
	return &AuthError{Reason: reason, Err: err}
}

func (e *AuthError) Error() string {
	if e.Err == nil {
		return "unauthenticated: " + e.Reason
	}
	return "unauthenticated: " + e.Reason + ": " + e.Err.Error()
}

// Is makes errors.Is(err, ErrUnauthenticated) true for every AuthError.
func (e *AuthError) Is(target error) bool { return target == ErrUnauthenticated }

func (e *AuthError) Unwrap() error { return e.Err }

// DeniedError is an ErrForbidden that names the rule that refused, as a stable slug
// (identity-level-too-low...), so a client can explain it rather than just fail.
type DeniedError struct {
	Reason string
}

// Denied builds a DeniedError.
func Denied(reason string) *DeniedError { return &DeniedError{Reason: reason} }

func (e *DeniedError) Error() string { return "forbidden: " + e.Reason }

// Is makes errors.Is(err, ErrForbidden) true for every DeniedError.
func (e *DeniedError) Is(target error) bool { return target == ErrForbidden }

// RateLimitedError is an ErrRateLimited that says when to try again.
type RateLimitedError struct {
	RetryAfter time.Duration
}

// RateLimited builds a RateLimitedError.
func RateLimited(retryAfter time.Duration) *RateLimitedError {
	return &RateLimitedError{RetryAfter: retryAfter}
}

func (e *RateLimitedError) Error() string {
	return "rate limited: retry after " + e.RetryAfter.String()
}

// Is makes errors.Is(err, ErrRateLimited) true for every RateLimitedError.
func (e *RateLimitedError) Is(target error) bool { return target == ErrRateLimited }

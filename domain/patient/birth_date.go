package patient

import (
	"time"

	"github.com/kith-health/kith/domain/fault"
)

// BirthDate is a calendar date (YYYY-MM-DD) with no time zone, as FHIR's Patient.birthDate.
type BirthDate string

// ParseBirthDate accepts an ISO 8601 calendar date no later than today.
func ParseBirthDate(s string, today time.Time) (BirthDate, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "", fault.Invalid("birthDate", "date")
	}
	if d.After(today) {
		return "", fault.Invalid("birthDate", "notInFuture")
	}
	return BirthDate(s), nil
}

// String keeps dates of birth out of logs; use Value for the date itself.
func (b BirthDate) String() string { return "birth-date(redacted)" }

// Value returns the date as YYYY-MM-DD, or "" when unknown.
func (b BirthDate) Value() string { return string(b) }

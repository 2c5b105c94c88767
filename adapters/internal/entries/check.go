package entries

import (
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// CheckPut refuses a write no store could place: an entry without its id or owner
// would be unreachable, and a negative revision can never match.
func CheckPut(e record.Entry, expect int64) error {
	switch {
	case e.ID == "":
		return fmt.Errorf("put entry: %w", fault.Invalid("id", "required"))
	case e.PatientID == "":
		return fmt.Errorf("put entry: %w", fault.Invalid("patientId", "required"))
	case expect < 0:
		return fmt.Errorf("put entry: expected revision %d: %w", expect, fault.ErrInvalid)
	}
	return nil
}

// CheckLimit refuses a page of fewer than one item, as AccessEvents does: a zero
// limit is far more likely a caller's bug than a wish for an empty page, and reading
// "no limit" into it would let one request read a whole record into memory.
func CheckLimit(op string, limit int) error {
	if limit < 1 {
		return fmt.Errorf("%s: limit %d: %w", op, limit, fault.ErrInvalid)
	}
	return nil
}

// CeilMilli is t as a bound on stored milliseconds. Stores keep dates truncated to the
// millisecond, so a stored date d satisfies d >= t exactly when d >= CeilMilli(t), and
// d < t exactly when d < CeilMilli(t): both EntryQuery bounds use it.
func CeilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return ms
}

// Package access holds the rules of disclosure: the grants patients give
// organisations, break-glass access, and the one decision every read of a record
// passes through (decision.go).
package access

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// Grant lengths, in calendar years: one unless the patient says otherwise, never
// more than five.
const (
	DefaultGrantYears = 1
	MaxGrantYears     = 5
)

// MaxBreakGlass is the longest emergency access; it is also the default.
const MaxBreakGlass = 4 * time.Hour

// PurposeDirectCare is the only purpose Kith grants for: the care of the patient.
const PurposeDirectCare = "direct-care"

// Grant is a standing permission for one organisation to read some of a patient's
// record for a while: given by the patient (Basis grant) or taken in an emergency
// by the organisation (Basis break-glass). Revoking keeps it, for the history.
type Grant struct {
	ID               string
	PatientID        string
	Organisation     string // ODS code
	Basis            Basis  // BasisGrant or BasisBreakGlass
	Categories       []record.Category
	IncludeSensitive bool
	Purpose          string
	Start, End       time.Time
	// Reason is the organisation's stated reason for break-glass access.
	Reason string
	// CreatedBy is the patient who granted, or the practitioner who broke the glass.
	CreatedBy string
	CreatedAt time.Time
	RevokedAt time.Time // zero while not revoked
	RevokedBy string
	// IdempotencyKey is the client's key for the request that created it, so a
	// retried create finds this grant instead of making another.
	IdempotencyKey string
	// Version increases by one on every stored change; stores compare-and-set on it.
	Version int64
}

// GrantRequest is what a patient asks for. Zero Start means now; zero End means
// DefaultGrantYears after Start.
type GrantRequest struct {
	ID, PatientID, Organisation string
	Categories                  []record.Category
	IncludeSensitive            bool
	Start, End                  time.Time
	IdempotencyKey              string
	// CreatedBy is the account granting: "" for the patient, or a guardian.
	CreatedBy string
}

// NewGrant checks a patient's request against the rules: known categories, an end
// after the start and now, at most MaxGrantYears long.
func NewGrant(r GrantRequest, now time.Time) (Grant, error) {
	now = stamp(now)
	cats, err := categories(r.Categories)
	if err != nil {
		return Grant{}, err
	}
	start := stamp(r.Start)
	if start.IsZero() || start.Before(now) {
		start = now
	}
	end := stamp(r.End)
	switch {
	case r.ID == "" || r.PatientID == "":
		return Grant{}, fault.Invalid("id", "required")
	case r.Organisation == "":
		return Grant{}, fault.Invalid("organisation", "required")
	case end.IsZero():
		end = start.AddDate(DefaultGrantYears, 0, 0)
	case !end.After(start):
		return Grant{}, fault.Invalid("end", "after start and now")
	case end.After(start.AddDate(MaxGrantYears, 0, 0)):
		return Grant{}, fault.Invalid("end", "at most 5 years after start")
	}
	return Grant{
		ID: r.ID, PatientID: r.PatientID, Organisation: r.Organisation, Basis: BasisGrant,
		Categories: cats, IncludeSensitive: r.IncludeSensitive, Purpose: PurposeDirectCare,
		Start: start, End: end, CreatedBy: cmp.Or(r.CreatedBy, r.PatientID), CreatedAt: now,
		IdempotencyKey: r.IdempotencyKey, Version: 1,
	}, nil
}

// BreakGlassRequest is an organisation's request for emergency access.
type BreakGlassRequest struct {
	ID, PatientID, Organisation string
	Practitioner                string // who asks: their id, as the organisation's assertion said
	Reason                      string
	Length                      time.Duration // zero means MaxBreakGlass
}

// NewBreakGlass grants emergency access to every category but never sensitive data,
// for at most MaxBreakGlass. Whether the patient allows it at all is the caller's
// check (Settings.BreakGlassAllowed), made before this.
func NewBreakGlass(r BreakGlassRequest, now time.Time) (Grant, error) {
	now = stamp(now)
	reason := strings.TrimSpace(r.Reason)
	length := r.Length
	switch {
	case r.ID == "" || r.PatientID == "" || r.Organisation == "":
		return Grant{}, fault.Invalid("id", "required")
	case reason == "" || len(reason) > 1000:
		return Grant{}, fault.Invalid("reason", "required,max=1000")
	case length == 0:
		length = MaxBreakGlass
	case length < time.Minute || length > MaxBreakGlass:
		return Grant{}, fault.Invalid("minutes", "min=1,max=240")
	}
	return Grant{
		ID: r.ID, PatientID: r.PatientID, Organisation: r.Organisation, Basis: BasisBreakGlass,
		Categories: slices.Clone(record.Categories), Purpose: PurposeDirectCare,
		Start: now, End: now.Add(length), Reason: reason, CreatedBy: r.Practitioner, CreatedAt: now, Version: 1,
	}, nil
}

// Status is where a grant stands at a moment.
type Status string

const (
	StatusPending Status = "pending" // starts later
	StatusActive  Status = "active"
	StatusExpired Status = "expired"
	StatusRevoked Status = "revoked"
)

// StatusAt says where g stands at now. The end is exclusive: a grant ending at
// 12:00 no longer covers a read at 12:00.
func (g Grant) StatusAt(now time.Time) Status {
	switch {
	case !g.RevokedAt.IsZero() && !now.Before(g.RevokedAt):
		return StatusRevoked
	case now.Before(g.Start):
		return StatusPending
	case !now.Before(g.End):
		return StatusExpired
	}
	return StatusActive
}

// Revoke ends g from now. Revoking twice keeps the first revocation, so a retried
// revoke from a phone changes nothing. A grant that has already expired is revoked
// all the same: the history then says the patient ended it.
func (g *Grant) Revoke(by string, now time.Time) {
	if !g.RevokedAt.IsZero() {
		return
	}
	g.RevokedAt, g.RevokedBy = stamp(now), by
}

// SameRequest reports whether r asks for what g was created with: a retried create
// must repeat the request, or its Idempotency-Key is being reused for another.
func (g Grant) SameRequest(r GrantRequest) bool {
	cats, err := categories(r.Categories)
	return err == nil && g.Organisation == r.Organisation && slices.Equal(g.Categories, cats) &&
		g.IncludeSensitive == r.IncludeSensitive && (r.End.IsZero() || stamp(r.End).Equal(g.End))
}

// categories checks and sorts a set of categories, so two grants of the same set
// compare equal.
func categories(in []record.Category) ([]record.Category, error) {
	if len(in) == 0 {
		return nil, fault.Invalid("categories", "min=1")
	}
	out := make([]record.Category, 0, len(in))
	for _, c := range in {
		if !record.KnownCategory(c) {
			return nil, fault.Invalid("categories", "oneof categories")
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out, nil
}

// stamp is the precision stores keep: UTC milliseconds.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Millisecond)
}

package sharecode

import (
	"slices"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// Lifetimes of a code.
const (
	MinLifetime     = 5 * time.Minute
	MaxLifetime     = 30 * 24 * time.Hour
	DefaultLifetime = 24 * time.Hour
	// MaxViews bounds a limited code; zero means unlimited until expiry.
	MaxViews = 1000
)

// ShareCode is a code the patient issued, as Kith keeps it: the keyed hash, never
// the code itself.
type ShareCode struct {
	ID, PatientID string
	Hash          string
	Label         string
	Categories    []record.Category
	// IncludeSensitive is true only when the patient asked for it explicitly.
	IncludeSensitive bool
	// MaxViews is how many redemptions are allowed; zero means unlimited.
	MaxViews int
	Views    int
	// Organisation, when set, binds the code to that organisation's authenticated
	// staff (an ODS code).
	Organisation     string
	RequireBirthDate bool
	// IssuedBy is the account that issued the code: the patient, or a guardian for
	// a child (whose screen then holds for the viewer too).
	IssuedBy  string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time // zero while not revoked
	// Version increases by one on every stored change; stores compare-and-set on it.
	Version int64
}

// Request is what the patient asks for. A zero Lifetime means DefaultLifetime.
type Request struct {
	ID, PatientID, Hash string
	Label               string
	Categories          []record.Category
	IncludeSensitive    bool
	MaxViews            int
	Lifetime            time.Duration
	Organisation        string
	RequireBirthDate    bool
	IssuedBy            string // "": the patient
}

// New checks a request: known categories, a label, 5 minutes to 30 days, a view
// limit of 0 (unlimited) to MaxViews.
func New(r Request, now time.Time) (ShareCode, error) {
	now = now.UTC().Truncate(time.Millisecond)
	label := strings.TrimSpace(r.Label)
	lifetime := r.Lifetime
	if lifetime == 0 {
		lifetime = DefaultLifetime
	}
	switch {
	case r.ID == "" || r.PatientID == "" || r.Hash == "":
		return ShareCode{}, fault.Invalid("id", "required")
	case len(label) > 100:
		return ShareCode{}, fault.Invalid("label", "max=100")
	case lifetime < MinLifetime || lifetime > MaxLifetime:
		return ShareCode{}, fault.Invalid("expiresInMinutes", "min=5,max=43200")
	case r.MaxViews < 0 || r.MaxViews > MaxViews:
		return ShareCode{}, fault.Invalid("maxViews", "min=0,max=1000")
	}
	cats, err := categories(r.Categories)
	if err != nil {
		return ShareCode{}, err
	}
	issuer := r.IssuedBy
	if issuer == "" {
		issuer = r.PatientID
	}
	return ShareCode{
		ID: r.ID, PatientID: r.PatientID, Hash: r.Hash, Label: label, Categories: cats,
		IncludeSensitive: r.IncludeSensitive, MaxViews: r.MaxViews, Organisation: r.Organisation,
		RequireBirthDate: r.RequireBirthDate, IssuedBy: issuer, CreatedAt: now, ExpiresAt: now.Add(lifetime), Version: 1,
	}, nil
}

func categories(in []record.Category) ([]record.Category, error) {
	if len(in) == 0 {
		return nil, fault.Invalid("categories", "min=1")
	}
	var out []record.Category
	for _, c := range record.Categories { // the app's order
		if slices.Contains(in, c) {
			out = append(out, c)
		}
	}
	for _, c := range in {
		if !record.KnownCategory(c) {
			return nil, fault.Invalid("categories", "oneof categories")
		}
	}
	return out, nil
}

// Status is where a code stands.
type Status string

const (
	StatusActive  Status = "active"
	StatusUsedUp  Status = "used-up"
	StatusExpired Status = "expired"
	StatusRevoked Status = "revoked"
)

// StatusAt says where c stands at now.
func (c ShareCode) StatusAt(now time.Time) Status {
	switch {
	case !c.RevokedAt.IsZero():
		return StatusRevoked
	case !now.Before(c.ExpiresAt):
		return StatusExpired
	case c.MaxViews > 0 && c.Views >= c.MaxViews:
		return StatusUsedUp
	}
	return StatusActive
}

// Permission is what the code lets its viewer read, in the shape the access
// decision weighs: used-up codes still cover the sessions they opened; revocation
// and expiry end everything at once.
func (c ShareCode) Permission() access.Grant {
	return access.Grant{ID: c.ID, PatientID: c.PatientID, Basis: access.BasisShareCode,
		Categories: c.Categories, IncludeSensitive: c.IncludeSensitive, Purpose: access.PurposeDirectCare,
		Start: c.CreatedAt, End: c.ExpiresAt, RevokedAt: c.RevokedAt, CreatedBy: c.IssuedBy}
}

// Revoke ends the code now; revoking again keeps the first time.
func (c *ShareCode) Revoke(now time.Time) {
	if c.RevokedAt.IsZero() {
		c.RevokedAt = now.UTC().Truncate(time.Millisecond)
	}
}

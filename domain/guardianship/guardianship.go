// Package guardianship models proxy access as NHS England's national proxy standard
// (DAPB3051) and the Validated Relationships Service describe it: a guardian acts
// for a child's record through a Consent-shaped relationship that an organisation or
// operator established, never one the guardian asserted. What the relationship lets
// the guardian do is decided at the moment of asking (policy.go), from the child's
// age that day, so no nightly job is needed for a 16th birthday to take effect.
package guardianship

import (
	"slices"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// Relationship is who the guardian is to the child.
type Relationship string

const (
	Parent        Relationship = "parent"
	LegalGuardian Relationship = "legal-guardian"
	Carer         Relationship = "carer"
)

// LegalBasis is why the guardian may act: parental responsibility, or the consent
// of the person themselves (an adult carer, or a young person who renewed it at 16).
type LegalBasis string

const (
	ParentalResponsibility LegalBasis = "parental-responsibility"
	PatientConsent         LegalBasis = "patient-consent"
)

// EvidenceKind names the document the establishing organisation saw. Kith keeps
// its reference, never the document.
type EvidenceKind string

const (
	BirthCertificate    EvidenceKind = "birth-certificate"
	AdoptionCertificate EvidenceKind = "adoption-certificate"
	ParentalOrder       EvidenceKind = "parental-order"
	CourtOrder          EvidenceKind = "court-order"
	ConsentRecord       EvidenceKind = "patient-consent"
)

// Status is the stored status of the relationship, as the Validated Relationships
// Service has it. What is in force at a moment also depends on the child's age and
// the dates: see Evaluate.
type Status string

const (
	Proposed  Status = "proposed"
	Active    Status = "active"
	Suspended Status = "suspended"
	Inactive  Status = "inactive"
)

// Reasons a guardianship is not in force. They are shown to the child and to
// organisations and operators; a restricted guardian never sees Restricted.
const (
	ReasonNotStarted       = "not-started"
	ReasonEnded            = "ended"
	ReasonTurned16         = "turned-16"
	ReasonReviewDue        = "review-due"
	ReasonUnused           = "unused-for-5-years"
	ReasonSuspendedByChild = "suspended-by-young-person"
	ReasonSuspended        = "suspended"
	ReasonRestricted       = "safeguarding-restriction"
	ReasonEndedByOperator  = "ended"
	ReasonProposed         = "proposed"
)

// Establisher is who set the relationship up: an operator, an organisation (with
// the practitioner acting for it), or the young person themselves at renewal.
type Establisher struct {
	Kind         string // operator, organisation or patient
	ID           string
	Organisation string
	Name         string
}

// Evidence is what the establisher saw, by reference only.
type Evidence struct {
	Kind      EvidenceKind
	Reference string
}

// Restriction is a safeguarding bar on one guardian (a court order, a concern). It
// takes effect at once and the guardian is never told of it.
type Restriction struct {
	At     time.Time
	By     Establisher
	Reason string
}

// Guardianship is one guardian's relationship with one child.
type Guardianship struct {
	ID         string
	ChildID    string // the child's account (which may never be logged into)
	GuardianID string // the guardian's account (opened, if need be, before their first login)
	Relationship
	LegalBasis
	Evidence      Evidence
	EstablishedBy Establisher
	Start         time.Time
	End           time.Time // zero: open-ended
	Status        Status
	StatusReason  string
	// Access caps what the guardian may read, by category; empty means what the
	// policy allows at the child's age.
	Access []record.Category
	// ChildGranted are categories a child of 11 or over, with their own account,
	// let this guardian read beyond the policy's.
	ChildGranted []record.Category
	// Renewed is set when the young person, at 16 or over, renewed the relationship
	// as a consent-based carer: from then on it is theirs to end.
	Renewed     bool
	Restriction *Restriction
	// LastActionAt is the guardian's last action for the child, for the lapse of
	// unused access.
	LastActionAt time.Time
	ReviewedAt   time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// Request is what an operator or an organisation asks to establish.
type Request struct {
	ID, ChildID, GuardianID string
	Relationship            Relationship
	LegalBasis              LegalBasis
	Evidence                Evidence
	EstablishedBy           Establisher
	Start, End              time.Time
	Access                  []record.Category
}

// MaxEvidenceReference bounds a reference: a certificate or order number, not a document.
const MaxEvidenceReference = 100

// New checks a request against the rules and returns the relationship, active
// from its start.
func New(r Request, now time.Time) (Guardianship, error) {
	now = stamp(now)
	start := stamp(r.Start)
	if start.IsZero() {
		start = now
	}
	end := stamp(r.End)
	switch {
	case r.ID == "" || r.ChildID == "":
		return Guardianship{}, fault.Invalid("child", "required")
	case r.GuardianID == "":
		return Guardianship{}, fault.Invalid("guardian", "required")
	case r.GuardianID == r.ChildID:
		return Guardianship{}, fault.Invalid("guardian", "not the child")
	case !slices.Contains([]Relationship{Parent, LegalGuardian, Carer}, r.Relationship):
		return Guardianship{}, fault.Invalid("relationship", "oneof=parent legal-guardian carer")
	case !slices.Contains([]LegalBasis{ParentalResponsibility, PatientConsent}, r.LegalBasis):
		return Guardianship{}, fault.Invalid("legalBasis", "oneof=parental-responsibility patient-consent")
	case r.Relationship == Carer && r.LegalBasis != PatientConsent:
		return Guardianship{}, fault.Invalid("legalBasis", "a carer acts on the patient's consent")
	case r.Relationship != Carer && r.LegalBasis != ParentalResponsibility:
		return Guardianship{}, fault.Invalid("legalBasis", "a parent or legal guardian acts on parental responsibility")
	case !slices.Contains([]EvidenceKind{BirthCertificate, AdoptionCertificate, ParentalOrder, CourtOrder, ConsentRecord}, r.Evidence.Kind):
		return Guardianship{}, fault.Invalid("evidence.kind", "oneof=birth-certificate adoption-certificate parental-order court-order patient-consent")
	case strings.TrimSpace(r.Evidence.Reference) == "":
		return Guardianship{}, fault.Invalid("evidence.reference", "required")
	case len(r.Evidence.Reference) > MaxEvidenceReference:
		return Guardianship{}, fault.Invalid("evidence.reference", "max=100")
	case r.EstablishedBy.Kind == "" || r.EstablishedBy.ID == "":
		return Guardianship{}, fault.Invalid("establishedBy", "required")
	case !end.IsZero() && !end.After(start):
		return Guardianship{}, fault.Invalid("end", "after start")
	case !end.IsZero() && !end.After(now):
		return Guardianship{}, fault.Invalid("end", "in the future")
	}
	for _, c := range r.Access {
		if !record.KnownCategory(c) {
			return Guardianship{}, fault.Invalid("access", "oneof categories")
		}
	}
	return Guardianship{
		ID: r.ID, ChildID: r.ChildID, GuardianID: r.GuardianID,
		Relationship: r.Relationship, LegalBasis: r.LegalBasis,
		Evidence: Evidence{Kind: r.Evidence.Kind, Reference: strings.TrimSpace(r.Evidence.Reference)}, EstablishedBy: r.EstablishedBy,
		Start: start, End: end, Status: Active, Access: slices.Clone(r.Access),
		LastActionAt: now, CreatedAt: now, UpdatedAt: now, Version: 1,
	}, nil
}

// Restrict bars the guardian at once. Restricting twice keeps the first.
func (g *Guardianship) Restrict(by Establisher, reason string, now time.Time) {
	if g.Restriction != nil {
		return
	}
	g.Restriction = &Restriction{At: stamp(now), By: by, Reason: reason}
	g.UpdatedAt = stamp(now)
}

// Lift removes a safeguarding restriction.
func (g *Guardianship) Lift(now time.Time) {
	g.Restriction = nil
	g.UpdatedAt = stamp(now)
}

// SuspendByChild is the young person suspending this guardian (from 11, with
// their own account); resuming is theirs too.
func (g *Guardianship) SuspendByChild(now time.Time) {
	g.Status, g.StatusReason, g.UpdatedAt = Suspended, ReasonSuspendedByChild, stamp(now)
}

// ResumeByChild undoes SuspendByChild; a suspension by anyone else stays.
func (g *Guardianship) ResumeByChild(now time.Time) error {
	if g.Status != Suspended || g.StatusReason != ReasonSuspendedByChild {
		return fault.Invalid("status", "only a suspension by the young person can be resumed by them")
	}
	g.Status, g.StatusReason, g.UpdatedAt = Active, "", stamp(now)
	return nil
}

// Renew is the young person, at 16 or over, keeping the relationship as a carer on
// their own consent, with the categories they choose.
func (g *Guardianship) Renew(categories []record.Category, now time.Time) error {
	for _, c := range categories {
		if !record.KnownCategory(c) {
			return fault.Invalid("categories", "oneof categories")
		}
	}
	if len(categories) == 0 {
		return fault.Invalid("categories", "required")
	}
	g.Renewed, g.Relationship, g.LegalBasis = true, Carer, PatientConsent
	g.Evidence = Evidence{Kind: ConsentRecord, Reference: "renewed by the young person"}
	g.Access, g.ChildGranted = slices.Clone(categories), nil
	g.Status, g.StatusReason = Active, ""
	g.UpdatedAt, g.LastActionAt = stamp(now), stamp(now)
	return nil
}

// End closes the relationship for good.
func (g *Guardianship) EndNow(reason string, now time.Time) {
	g.Status, g.StatusReason, g.UpdatedAt = Inactive, reason, stamp(now)
	if g.End.IsZero() || g.End.After(stamp(now)) {
		g.End = stamp(now)
	}
}

// Grant lets the guardian read more categories, on the child's word.
func (g *Guardianship) Grant(categories []record.Category, now time.Time) error {
	for _, c := range categories {
		if !record.KnownCategory(c) {
			return fault.Invalid("categories", "oneof categories")
		}
	}
	g.ChildGranted = slices.Clone(categories)
	g.UpdatedAt = stamp(now)
	return nil
}

func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

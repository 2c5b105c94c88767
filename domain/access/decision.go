package access

import (
	"slices"
	"time"

	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// Basis is why a disclosure is allowed.
type Basis string

const (
	BasisSelf       Basis = "self"
	BasisGuardian   Basis = "guardian"
	BasisGrant      Basis = "grant"
	BasisShareCode  Basis = "share-code"
	BasisBreakGlass Basis = "break-glass"
)

// Action is what the subject wants to do with the record.
type Action string

const (
	// Read is any read of clinical data: a summary, a list, an entry, a change feed,
	// an export.
	Read Action = "read"
	// Manage changes who may see what (grants, settings, share codes) or the record
	// itself (uploads, erasure).
	Manage Action = "manage"
)

// Subject is who asks, as the verified principal says.
type Subject struct {
	Kind identity.Kind
	// PatientID is the asking patient's own account (KindPatient).
	PatientID string
	Proofing  patient.ProofingLevel
	// Organisation is the ODS code of an organisation's staff (KindOrganisation).
	Organisation string
	// ShareCodeID is the code a viewer session was opened with (KindViewer).
	ShareCodeID string
}

// Owner is what the decision needs to know of the patient whose record it is.
type Owner struct {
	ID                string
	BreakGlassAllowed bool
	// BirthDate sets a child's age band for their guardians.
	BirthDate patient.BirthDate
}

// Question is everything the decision looks at. Grants holds the evidence: the
// patient's grants and break-glass accesses (of any status: the decision checks
// them) and, for a viewer, the share code's permission in the same shape.
type Question struct {
	Subject Subject
	Owner   Owner
	Action  Action
	// Category and Sensitive describe the one entry asked for; an empty Category
	// asks what the subject may see of the whole record (a summary, a list, an
	// export), answered by Decision.Scope.
	Category  record.Category
	Sensitive bool
	Now       time.Time
	Grants    []Grant
	// Guardianships are the owner's relationships with guardians (of any status:
	// the decision checks them), Screen what the owner's record screens from every
	// guardian, and Policy the deployment's proxy rules.
	Guardianships []guardianship.Guardianship
	Screen        guardianship.Screen
	Policy        guardianship.Policy
}

// Scope maps each category the subject may see to whether sensitive entries of it
// are included.
type Scope map[record.Category]bool

// Decision is the answer: allowed or not, on what basis, through which grants,
// and what is withheld.
type Decision struct {
	Allowed bool
	Basis   Basis
	// GrantIDs are the grants (or break-glass, or share code) the basis rests on.
	GrantIDs []string
	Scope    Scope
	Withheld Withheld
	// Reason is a stable slug saying why a request was denied.
	Reason string
	// Screen, for a guardian, is what the owner's record screens from guardians
	// entry by entry (Permits cannot know entries; PermitsEntry does).
	Screen *guardianship.Screen
	// Standing, for a guardian, is what their guardianship allows today.
	Standing *guardianship.Standing
}

// Withheld is what the subject may not see of the record.
type Withheld struct {
	Categories []record.Category
	// Sensitive is true when sensitive entries of a visible category are withheld.
	Sensitive bool
}

// Reasons a disclosure is denied.
const (
	DenyOperator       = "operators-never-read-clinical-data"
	DenyNotYourRecord  = "not-your-record"
	DenyIdentityLevel  = "identity-level-too-low"
	DenyNoPermission   = "no-active-permission"
	DenyCategory       = "category-not-granted"
	DenySensitive      = "sensitive-withheld"
	DenyOnlyThePatient = "only-the-patient-manages-access"
	DenyUnknownSubject = "unknown-subject"
	DenyGuardianManage = "guardian-may-not-manage-at-this-age"
)

// Decide is the one rule for every disclosure of a record, and for who may change
// who sees it. It is pure: the same question always gets the same answer.
//
//   - A patient reads and manages their own record, at identity level P9.
//   - Operators administer Kith and never read clinical data.
//   - An organisation reads what its active grants cover; only when it holds none,
//     an active break-glass access while the patient allows break-glass.
//   - A share-code viewer reads what that one code covers while it is active.
//   - A guardian reads, and for a young child manages, what their guardianship
//     allows today (guardianship.Policy.Evaluate): never sensitive entries, never
//     what the child's record screens from guardians. A guardianship not in force
//     reads as no guardianship at all: a restricted guardian learns nothing.
//   - Nobody else manages access.
func Decide(q Question) Decision {
	switch q.Subject.Kind {
	case identity.KindPatient:
		if q.Subject.PatientID != "" && q.Owner.ID != "" && q.Subject.PatientID != q.Owner.ID {
			return decideGuardian(q)
		}
		return decideSelf(q)
	case identity.KindOperator:
		return deny(DenyOperator)
	case identity.KindOrganisation, identity.KindViewer:
		if q.Action != Read {
			return deny(DenyOnlyThePatient)
		}
		return decideByPermission(q)
	}
	return deny(DenyUnknownSubject)
}

func decideSelf(q Question) Decision {
	switch {
	case q.Subject.PatientID == "" || q.Subject.PatientID != q.Owner.ID:
		return deny(DenyNotYourRecord)
	case !q.Subject.Proofing.AtLeast(patient.NeedForClinicalData):
		return deny(DenyIdentityLevel)
	}
	scope := Scope{}
	for _, c := range record.Categories {
		scope[c] = true
	}
	return Decision{Allowed: true, Basis: BasisSelf, Scope: scope}
}

func decideGuardian(q Question) Decision {
	for _, g := range q.Guardianships {
		if g.GuardianID != q.Subject.PatientID || g.ChildID != q.Owner.ID {
			continue
		}
		st := q.Policy.Evaluate(g, q.Owner.BirthDate, q.Screen, q.Now)
		if !st.InForce {
			continue
		}
		if !q.Subject.Proofing.AtLeast(patient.NeedForClinicalData) {
			return deny(DenyIdentityLevel)
		}
		if q.Action == Manage && !st.Manage {
			return deny(DenyGuardianManage)
		}
		scope := Scope{}
		for _, c := range st.Read {
			scope[c] = false
		}
		d := within(q, scope)
		if d.Allowed {
			d.Basis, d.GrantIDs, d.Screen, d.Standing = BasisGuardian, []string{g.ID}, &q.Screen, &st
		}
		return d
	}
	return deny(DenyNotYourRecord)
}

func decideByPermission(q Question) Decision {
	basis, ids, scope, guardianMade := BasisGrant, []string(nil), Scope{}, false
	add := func(g Grant) {
		ids = append(ids, g.ID)
		guardianMade = guardianMade || g.MadeByGuardian()
		for _, c := range g.Categories {
			scope[c] = scope[c] || g.IncludeSensitive
		}
	}
	switch q.Subject.Kind {
	case identity.KindViewer:
		basis = BasisShareCode
		for _, g := range q.Grants {
			if g.Basis == BasisShareCode && g.ID == q.Subject.ShareCodeID && q.Subject.ShareCodeID != "" &&
				g.PatientID == q.Owner.ID && g.StatusAt(q.Now) == StatusActive {
				add(g)
			}
		}
	case identity.KindOrganisation:
		held := func(b Basis) []Grant {
			var out []Grant
			for _, g := range q.Grants {
				if g.Basis == b && g.Organisation == q.Subject.Organisation && q.Subject.Organisation != "" &&
					g.PatientID == q.Owner.ID && g.StatusAt(q.Now) == StatusActive {
					out = append(out, g)
				}
			}
			return out
		}
		grants := held(BasisGrant)
		if len(grants) == 0 && q.Owner.BreakGlassAllowed {
			basis, grants = BasisBreakGlass, held(BasisBreakGlass)
		}
		for _, g := range grants {
			add(g)
		}
	}
	d := within(q, scope)
	if d.Allowed {
		d.Basis, d.GrantIDs = basis, ids
		if guardianMade {
			d.Screen = &q.Screen
		}
	}
	return d
}

// MadeByGuardian reports whether a grant or share code was given by a guardian
// for the patient: whoever reads through it sees no more than that guardian could,
// the child's screen included.
func (g Grant) MadeByGuardian() bool {
	return g.Basis != BasisBreakGlass && g.CreatedBy != "" && g.CreatedBy != g.PatientID
}

// within answers a question from the scope the subject's permissions add up to.
func within(q Question, scope Scope) Decision {
	if len(scope) == 0 {
		return deny(DenyNoPermission)
	}
	if q.Category != "" {
		sensitiveOK, ok := scope[q.Category]
		switch {
		case !ok:
			return deny(DenyCategory)
		case q.Sensitive && !sensitiveOK:
			return deny(DenySensitive)
		}
	}
	d := Decision{Allowed: true, Scope: scope}
	for _, c := range record.Categories {
		sensitiveOK, ok := scope[c]
		if !ok {
			d.Withheld.Categories = append(d.Withheld.Categories, c)
		} else if !sensitiveOK {
			d.Withheld.Sensitive = true
		}
	}
	return d
}

func deny(reason string) Decision { return Decision{Reason: reason} }

// Permits reports whether an entry of category c (sensitive or not) is within an
// allowed decision's scope.
func (d Decision) Permits(c record.Category, sensitive bool) bool {
	if !d.Allowed {
		return false
	}
	sensitiveOK, ok := d.Scope[c]
	return ok && (sensitiveOK || !sensitive)
}

// PermitsEntry is Permits for one entry, which a guardian's screen may hide.
func (d Decision) PermitsEntry(id string, c record.Category, sensitive bool) bool {
	return d.Permits(c, sensitive) && (d.Screen == nil || !d.Screen.Hides(id))
}

// Categories lists the scope's categories in the app's order.
func (d Decision) Categories() []record.Category {
	var out []record.Category
	for _, c := range record.Categories {
		if _, ok := d.Scope[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// Whole reports whether the decision covers the entire record, sensitive included.
func (d Decision) Whole() bool {
	return d.Allowed && len(d.Withheld.Categories) == 0 && !d.Withheld.Sensitive &&
		!slices.ContainsFunc(record.Categories, func(c record.Category) bool { return !d.Scope[c] })
}

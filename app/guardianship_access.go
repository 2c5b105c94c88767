package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// WithProxyPolicy replaces guardianship.DefaultPolicy: the deployment's proxy rules.
func WithProxyPolicy(p guardianship.Policy) Option { return func(a *App) { a.proxy = p } }

// errNoSuchChild is what a patient hears for an account they may not act for: one
// that does not exist, one they never were guardian of, and one whose guardianship
// was restricted, suspended or ended, alike. A restricted guardian learns nothing.
var errNoSuchChild = fmt.Errorf("no record this caller may act for: %w", fault.ErrNotFound)

// lastActionGrain is how stale a guardian's last action may be before a new one is
// written down: the lapse of unused access counts years, so a write per read is waste.
const lastActionGrain = 24 * time.Hour

// patientQuestion is what the access decision needs for a patient's request about
// their own record or, when the request names another account, a child's: the
// child's date of birth, guardianships and screen, read fresh for every request so
// a restriction takes effect on the very next one.
func (a *App) patientQuestion(ctx context.Context, caller identity.Principal, action access.Action) (access.Question, error) {
	s := subjectOf(caller)
	q := access.Question{Subject: s, Owner: access.Owner{ID: s.PatientID}, Action: action, Now: a.now(), Policy: a.proxy}
	if caller.ActingFor == "" || caller.ActingFor == s.PatientID {
		return q, nil
	}
	child, err := a.store.Patient(ctx, caller.ActingFor)
	if errors.Is(err, fault.ErrNotFound) {
		return q, errNoSuchChild
	}
	if err != nil {
		return q, err
	}
	if q.Guardianships, err = a.store.GuardianshipsOfChild(ctx, child.ID); err != nil {
		return q, err
	}
	if q.Screen, err = a.store.Screen(ctx, child.ID); err != nil {
		return q, err
	}
	q.Owner = access.Owner{ID: child.ID, BirthDate: child.BirthDate, BreakGlassAllowed: child.Settings.BreakGlassAllowed}
	return q, nil
}

// managing is a patient's change to a record, decided: their own, or a child's
// through a guardianship.
type managing struct {
	caller   identity.Principal
	ownerID  string
	decision access.Decision
	// via is the guardianship a guardian acts through.
	via guardianship.Guardianship
}

// actorID is the account making the change: the patient, or the guardian.
func (m managing) actorID() string {
	return patient.IDFor(m.caller.Patient.Issuer, m.caller.Patient.Subject)
}

// within refuses a grant or share code that would let someone see more than the
// guardian giving it may: a guardian never sees sensitive entries, and sees only
// the categories their guardianship allows today.
func (m managing) within(categories []record.Category, sensitive bool) error {
	if !m.guardian() {
		return nil
	}
	if sensitive {
		return fault.Invalid("includeSensitive", "a guardian cannot share what they may not see")
	}
	for _, c := range categories {
		if !m.decision.Permits(c, false) {
			return fault.Invalid("categories", "a guardian cannot share what they may not see")
		}
	}
	return nil
}

// ownerAccount is the account whose record a change is about.
func (a *App) ownerAccount(ctx context.Context, m managing) (patient.Patient, error) {
	if m.guardian() {
		return a.store.Patient(ctx, m.ownerID)
	}
	return a.Me(ctx, m.caller)
}

// guardian reports whether the change is made for someone else's record.
func (m managing) guardian() bool { return m.decision.Basis == access.BasisGuardian }

// manage decides whether the caller may change who sees the record their request
// is about, or what is in it.
func (a *App) manage(ctx context.Context, caller identity.Principal) (managing, error) {
	if caller.Kind != identity.KindPatient {
		return managing{}, fmt.Errorf("%s: %w", access.DenyOnlyThePatient, fault.ErrForbidden)
	}
	q, err := a.patientQuestion(ctx, caller, access.Manage)
	if err != nil {
		return managing{}, err
	}
	d := access.Decide(q)
	if !d.Allowed {
		return managing{}, a.refusePatient(ctx, caller, q, d, "record.managed")
	}
	m := managing{caller: caller, ownerID: q.Owner.ID, decision: d, via: through(q, d)}
	a.touchGuardianship(ctx, q.Owner.ID, d)
	return m, nil
}

// refusePatient answers a patient's denied request. For someone else's record it
// is errNoSuchChild whatever the reason, except a guardian whose guardianship is in
// force but does not let them manage at the child's age: they know the child, and
// hear why. An attempt by someone who holds or held a guardianship of the child is
// audited in the child's log, which organisations and operators see.
func (a *App) refusePatient(ctx context.Context, caller identity.Principal, q access.Question, d access.Decision, action string) error {
	if q.Owner.ID == q.Subject.PatientID {
		if d.Reason == access.DenyIdentityLevel {
			return fault.Denied(d.Reason)
		}
		return fmt.Errorf("%s: %w", d.Reason, fault.ErrForbidden)
	}
	for _, g := range q.Guardianships {
		if g.GuardianID != q.Subject.PatientID {
			continue
		}
		if err := a.recordGuardianEvent(ctx, caller, q.Owner.ID, g, audit.Event{Action: action, Reason: d.Reason, Outcome: audit.OutcomeDenied}); err != nil {
			return err
		}
		break
	}
	switch d.Reason {
	case access.DenyGuardianManage, access.DenyIdentityLevel:
		return fault.Denied(d.Reason)
	}
	return errNoSuchChild
}

// recordChange audits a change a patient made to a record or to who may see it:
// their own (basis self) or a child's (basis guardian, naming the guardian).
func (a *App) recordChange(ctx context.Context, m managing, e audit.Event) error {
	if !m.guardian() {
		return a.recordOwnChange(ctx, m.ownerID, e)
	}
	return a.recordGuardianEvent(ctx, m.caller, m.ownerID, m.via, e)
}

// through is the guardianship an allowed guardian's decision rests on.
func through(q access.Question, d access.Decision) guardianship.Guardianship {
	for _, g := range q.Guardianships {
		if d.Basis == access.BasisGuardian && len(d.GrantIDs) > 0 && g.ID == d.GrantIDs[0] {
			return g
		}
	}
	return guardianship.Guardianship{}
}

// guardianActor names a guardian in the child's access log: who they are and what
// they are to the child, so the young person later reads "Priya Shah (parent)".
func guardianActor(caller identity.Principal, g guardianship.Guardianship) audit.Actor {
	n := caller.Patient.Name
	return audit.Actor{Kind: audit.ActorGuardian, ID: patient.IDFor(caller.Patient.Issuer, caller.Patient.Subject),
		PractitionerName: strings.TrimSpace(n.Given + " " + n.Family), PractitionerRole: string(g.Relationship)}
}

func (a *App) recordGuardianEvent(ctx context.Context, caller identity.Principal, childID string, g guardianship.Guardianship, e audit.Event) error {
	e.PatientID, e.Basis = childID, string(access.BasisGuardian)
	e.Actor = guardianActor(caller, g)
	e.GrantIDs = []string{g.ID}
	if e.Outcome == "" {
		e.Outcome = audit.OutcomeDone
	}
	_, err := a.RecordAccess(ctx, e)
	return err
}

// touchGuardianship writes down a guardian's action, at most once a day, for the
// lapse of unused access. It is bookkeeping: a failure is retried by the next action.
func (a *App) touchGuardianship(ctx context.Context, childID string, d access.Decision) {
	if d.Basis != access.BasisGuardian || len(d.GrantIDs) == 0 {
		return
	}
	now := a.now()
	_, _ = a.store.UpdateGuardianship(ctx, childID, d.GrantIDs[0], func(g *guardianship.Guardianship) error {
		if now.Sub(g.LastActionAt) < lastActionGrain {
			return errUnchanged
		}
		g.LastActionAt = patient.Timestamp(now)
		return nil
	})
}

// errUnchanged stops an update that finds nothing to change.
var errUnchanged = errors.New("unchanged")

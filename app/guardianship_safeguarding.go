package app

import (
	"context"
	"strings"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
)

// MaxRestrictionReason bounds the recorded reason for a restriction.
const MaxRestrictionReason = 500

// ChildGuardianships lists a child's guardianships, restrictions included, for an
// operator or an organisation holding a grant for the child: the safeguarding view
// no guardian ever gets.
func (a *App) ChildGuardianships(ctx context.Context, caller identity.Principal, child patient.NHSNumber) ([]GuardianView, error) {
	if _, err := a.establisher(ctx, caller, child); err != nil {
		return nil, err
	}
	p, err := a.childByNHSNumber(ctx, child)
	if err != nil {
		return nil, err
	}
	held, err := a.store.GuardianshipsOfChild(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	screen, err := a.store.Screen(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	out := []GuardianView{}
	for _, g := range held {
		guardian, err := a.store.Patient(ctx, g.GuardianID)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		st := a.proxy.Evaluate(g, p.BirthDate, screen, a.now())
		out = append(out, GuardianView{Guardianship: g, Name: guardian.Name, Standing: &st})
	}
	return out, nil
}

// RestrictGuardian bars one guardian of a child at once (restrict true), or lifts
// the bar. The guardian's very next request finds nothing: every guardian request
// reads the guardianships afresh. The restriction is in the child's log.
func (a *App) RestrictGuardian(ctx context.Context, caller identity.Principal, child patient.NHSNumber, id string, restrict bool, reason string) (GuardianView, error) {
	by, err := a.establisher(ctx, caller, child)
	if err != nil {
		return GuardianView{}, err
	}
	reason = strings.TrimSpace(reason)
	if restrict && (reason == "" || len(reason) > MaxRestrictionReason) {
		return GuardianView{}, fault.Invalid("reason", "required,max=500")
	}
	p, err := a.childByNHSNumber(ctx, child)
	if err != nil {
		return GuardianView{}, err
	}
	now := a.now()
	g, err := a.store.UpdateGuardianship(ctx, p.ID, id, func(g *guardianship.Guardianship) error {
		if restrict {
			g.Restrict(by, reason, now)
		} else {
			g.Lift(now)
		}
		return nil
	})
	if err != nil {
		return GuardianView{}, err
	}
	actor, err := a.actorOf(ctx, caller)
	if err != nil {
		return GuardianView{}, err
	}
	action := "guardianship.lifted"
	if restrict {
		action = "guardianship.restricted"
	}
	if _, err := a.RecordAccess(ctx, audit.Event{PatientID: p.ID, Actor: actor, Action: action, Basis: string(access.BasisGuardian),
		GrantIDs: []string{g.ID}, Outcome: audit.OutcomeDone}); err != nil {
		return GuardianView{}, err
	}
	guardian, err := a.store.Patient(ctx, g.GuardianID)
	if err != nil && !isNotFound(err) {
		return GuardianView{}, err
	}
	screen, err := a.store.Screen(ctx, p.ID)
	if err != nil {
		return GuardianView{}, err
	}
	st := a.proxy.Evaluate(g, p.BirthDate, screen, now)
	return GuardianView{Guardianship: g, Name: guardian.Name, Standing: &st}, nil
}

// MarkSafeguarding is an organisation with a grant for the child marking entries
// safeguarding-sensitive: no guardian sees them again, through any route. Marks
// are kept for entries Kith does not hold yet, so a mark may come first.
func (a *App) MarkSafeguarding(ctx context.Context, caller identity.Principal, child patient.NHSNumber, entryIDs []string) (int, error) {
	if caller.Kind != identity.KindOrganisation {
		return 0, fault.ErrForbidden
	}
	if _, err := a.establisher(ctx, caller, child); err != nil {
		return 0, err
	}
	if len(entryIDs) == 0 || len(entryIDs) > 500 {
		return 0, fault.Invalid("entryIds", "min=1,max=500")
	}
	for _, e := range entryIDs {
		if e == "" || len(e) > 200 {
			return 0, fault.Invalid("entryIds", "entry ids")
		}
	}
	p, err := a.childByNHSNumber(ctx, child)
	if err != nil {
		return 0, err
	}
	s, err := a.store.UpdateScreen(ctx, p.ID, func(s *guardianship.Screen) error {
		s.MarkSafeguarding(entryIDs, a.now())
		return nil
	})
	if err != nil {
		return 0, err
	}
	actor, err := a.actorOf(ctx, caller)
	if err != nil {
		return 0, err
	}
	_, err = a.RecordAccess(ctx, audit.Event{PatientID: p.ID, Actor: actor, Action: "guardianship.safeguarding.marked",
		Basis: string(access.BasisGrant), Outcome: audit.OutcomeDone})
	return len(s.Safeguarding), err
}

// childByNHSNumber is the child's account an operator or organisation names.
func (a *App) childByNHSNumber(ctx context.Context, nhs patient.NHSNumber) (patient.Patient, error) {
	p, ok, err := a.verifiedByNHSNumber(ctx, nhs)
	if err == nil && !ok {
		err = errNoSuchRecord
	}
	return p, err
}

// verifiedByNHSNumber is the account verified to P9 under an NHS number, if any:
// the one a guardianship names, never one opened on a lower level of proof.
func (a *App) verifiedByNHSNumber(ctx context.Context, nhs patient.NHSNumber) (patient.Patient, bool, error) {
	found, err := a.store.PatientsByNHSNumber(ctx, nhs)
	if err != nil {
		return patient.Patient{}, false, err
	}
	for _, p := range found {
		if p.Proofing.AtLeast(patient.NeedForClinicalData) {
			return p, true, nil
		}
	}
	return patient.Patient{}, false, nil
}

package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
)

// ChildView is one child as their guardian sees them: who, how old, and what the
// guardianship lets the guardian do today.
type ChildView struct {
	Guardianship guardianship.Guardianship
	Child        patient.Patient
	Standing     guardianship.Standing
	// Notice is what the guardian is told ahead of the child's 16th birthday.
	Notice string
}

// Children lists the children the caller is guardian of, oldest guardianship
// first, each with what the caller may do today. A restricted guardianship is not
// listed at all: the guardian sees what they would for a child they never had.
func (a *App) Children(ctx context.Context, caller identity.Principal) ([]ChildView, error) {
	me, err := a.verifiedPatient(ctx, caller)
	if err != nil {
		return nil, err
	}
	// The claim at first login is retried here, where it matters.
	if err := a.claimAwaitingGuardianships(ctx, me); err != nil {
		return nil, err
	}
	held, err := a.store.GuardianshipsOfGuardian(ctx, me.ID)
	if err != nil {
		return nil, err
	}
	out := []ChildView{}
	for _, g := range held {
		if g.Restriction != nil {
			continue
		}
		child, err := a.store.Patient(ctx, g.ChildID)
		if errors.Is(err, fault.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		screen, err := a.store.Screen(ctx, g.ChildID)
		if err != nil {
			return nil, err
		}
		st := a.proxy.Evaluate(g, child.BirthDate, screen, a.now())
		v := ChildView{Guardianship: g, Child: child, Standing: st}
		switch {
		case st.Notice(guardianship.LondonDate(a.now())):
			v.Notice = fmt.Sprintf("On %s, their 16th birthday, your access to this record ends unless they renew it from their own account.", st.AdultOn)
		case st.Reason == guardianship.ReasonTurned16:
			v.Notice = fmt.Sprintf("Since %s, their 16th birthday, they alone decide who sees their record. Your access is suspended unless they renew it from their own account.", st.AdultOn)
		}
		out = append(out, v)
	}
	return out, nil
}

// GuardianView is one guardian as the record's owner, or a fellow guardian, sees them.
type GuardianView struct {
	Guardianship guardianship.Guardianship
	Name         patient.Name
	// Standing is shown to the record's owner only.
	Standing *guardianship.Standing
	// Notice, for a young person near 16, says how to take over.
	Notice string
}

// Guardians lists who acts for the record the request is about. The owner (a child
// with their own account) sees every guardian with their status; a guardian sees
// which other guardians exist and what they are to the child, never what they did
// or whether they are restricted. Restrictions are never shown here: they are in
// the log organisations and operators read.
func (a *App) Guardians(ctx context.Context, caller identity.Principal) ([]GuardianView, error) {
	if caller.Kind != identity.KindPatient {
		return nil, fmt.Errorf("%s: %w", access.DenyOnlyThePatient, fault.ErrForbidden)
	}
	q, err := a.patientQuestion(ctx, caller, access.Read)
	if err != nil {
		return nil, err
	}
	owner := q.Owner.ID == q.Subject.PatientID
	if owner {
		if !q.Subject.Proofing.AtLeast(patient.NeedForClinicalData) {
			return nil, fault.Denied(access.DenyIdentityLevel)
		}
		if q.Guardianships, err = a.store.GuardianshipsOfChild(ctx, q.Owner.ID); err != nil {
			return nil, err
		}
		me, err := a.store.Patient(ctx, q.Owner.ID)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return nil, err
		}
		q.Owner.BirthDate = me.BirthDate
		if q.Screen, err = a.store.Screen(ctx, q.Owner.ID); err != nil {
			return nil, err
		}
	} else if d := access.Decide(q); !d.Allowed {
		return nil, a.refusePatient(ctx, caller, q, d, "guardians.listed")
	}
	out := []GuardianView{}
	for _, g := range q.Guardianships {
		if !owner && g.GuardianID == q.Subject.PatientID {
			continue
		}
		p, err := a.store.Patient(ctx, g.GuardianID)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return nil, err
		}
		v := GuardianView{Guardianship: g, Name: p.Name}
		if owner {
			st := a.proxy.Evaluate(g, q.Owner.BirthDate, q.Screen, a.now())
			if st.Reason == guardianship.ReasonRestricted {
				st.Reason = guardianship.ReasonSuspended
			}
			v.Standing = &st
			switch {
			case st.Notice(guardianship.LondonDate(a.now())):
				v.Notice = fmt.Sprintf("From %s you alone decide who sees your record. To let this person keep helping, renew their access as a carer.", st.AdultOn)
			case st.Reason == guardianship.ReasonTurned16:
				v.Notice = "You alone decide who sees your record now. This person's access is suspended; renew it as a carer if you want them to keep helping."
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// verifiedPatient is the caller's own account, verified to P9.
func (a *App) verifiedPatient(ctx context.Context, caller identity.Principal) (patient.Patient, error) {
	if caller.Kind != identity.KindPatient {
		return patient.Patient{}, fmt.Errorf("%s: %w", access.DenyOnlyThePatient, fault.ErrForbidden)
	}
	if !caller.Patient.Proofing.AtLeast(patient.NeedForClinicalData) {
		return patient.Patient{}, fault.Denied(access.DenyIdentityLevel)
	}
	return a.Me(ctx, caller)
}

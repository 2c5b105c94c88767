package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
)

// Me returns the calling patient's account, opening it on their first call and
// bringing it up to date with what their token now says (a proofing upgrade, say).
// Concurrent first calls open exactly one account.
func (a *App) Me(ctx context.Context, caller identity.Principal) (patient.Patient, error) {
	if caller.Kind != identity.KindPatient {
		return patient.Patient{}, fmt.Errorf("only patients have a profile: %w", fault.ErrForbidden)
	}
	claims := caller.Patient
	p, err := a.store.Patient(ctx, patient.IDFor(claims.Issuer, claims.Subject))
	if errors.Is(err, fault.ErrNotFound) {
		p, err = a.openAccount(ctx, claims)
		if err != nil {
			return p, err
		}
		return p, a.claimAwaitingGuardianships(ctx, p)
	}
	if err != nil {
		return patient.Patient{}, err
	}
	if !p.Refresh(claims, a.now()) {
		return p, nil
	}
	p, err = a.store.UpdatePatient(ctx, p.ID, func(stored *patient.Patient) error {
		stored.Refresh(claims, a.now())
		return nil
	})
	if err != nil {
		return p, err
	}
	// A proofing upgrade to P9 is when guardianships held for the NHS number move in.
	return p, a.claimAwaitingGuardianships(ctx, p)
}

func (a *App) openAccount(ctx context.Context, claims patient.Claims) (patient.Patient, error) {
	id := patient.IDFor(claims.Issuer, claims.Subject)
	p, err := patient.New(id, claims, a.now())
	if err != nil {
		return patient.Patient{}, err
	}
	err = a.store.CreatePatient(ctx, p)
	if errors.Is(err, fault.ErrConflict) {
		// Another request for the same person won the race: theirs is the account.
		return a.store.Patient(ctx, id)
	}
	return p, err
}

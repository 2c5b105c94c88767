package app

import (
	"context"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
)

// RecordAccess appends an event to its patient's audit chain and returns it sealed.
// Callers that disclose data call it first and disclose only if it succeeds.
func (a *App) RecordAccess(ctx context.Context, e audit.Event) (audit.Event, error) {
	if e.ID == "" {
		e.ID = a.newID()
	}
	if e.At.IsZero() {
		e.At = a.now()
	}
	if e.Route == "" {
		e.Route = routeFrom(ctx)
	}
	if err := e.Validate(); err != nil {
		return audit.Event{}, err
	}
	return a.store.AppendAccessEvent(ctx, e)
}

// recordOwnChange audits a change patients make to their own record or to who may
// see it: the patient is the actor, the basis is self and, unless e says otherwise,
// the outcome is done.
func (a *App) recordOwnChange(ctx context.Context, owner string, e audit.Event) error {
	e.PatientID, e.Actor, e.Basis = owner, audit.Actor{Kind: audit.ActorPatient, ID: owner}, string(access.BasisSelf)
	if e.Outcome == "" {
		e.Outcome = audit.OutcomeDone
	}
	_, err := a.RecordAccess(ctx, e)
	return err
}

package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
)

// maxChainRetries bounds how often RecordAccess re-reads the chain when other writers
// keep appending to the same patient's log; hitting it means heavy contention, and the
// caller gets ErrUnavailable rather than a silently missing event.
const maxChainRetries = 20

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
	for range maxChainRetries {
		var prev *audit.Event
		last, err := a.store.LastAccessEvent(ctx, e.PatientID)
		switch {
		case err == nil:
			prev = &last
		case !errors.Is(err, fault.ErrNotFound):
			return audit.Event{}, err
		}
		sealed := e.Seal(prev)
		err = a.store.AppendAccessEvent(ctx, sealed)
		if err == nil {
			return sealed, nil
		}
		if !errors.Is(err, fault.ErrConflict) {
			return audit.Event{}, err
		}
	}
	return audit.Event{}, fmt.Errorf("audit chain of one patient kept moving: %w", fault.ErrUnavailable)
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

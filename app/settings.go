package app

import (
	"context"
	"strconv"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
)

// Settings reads the caller's settings.
func (a *App) Settings(ctx context.Context, caller identity.Principal) (patient.Settings, error) {
	if _, err := ownRecordToManage(caller, a.now()); err != nil {
		return patient.Settings{}, err
	}
	p, err := a.Me(ctx, caller)
	return p.Settings, err
}

// ChangeSettings replaces the caller's settings; every one must be given. Switching break-glass off ends
// any break-glass access running now: the decision reads the setting on every
// request. A change is an access event, since it changes who may see the record.
func (a *App) ChangeSettings(ctx context.Context, caller identity.Principal, want *patient.Settings) (patient.Settings, error) {
	owner, err := ownRecordToManage(caller, a.now())
	if err != nil {
		return patient.Settings{}, err
	}
	if want == nil {
		return patient.Settings{}, fault.Invalid("breakGlassAllowed", "required")
	}
	s := *want
	switch s.AlertMode {
	case "", patient.AlertEveryView, patient.AlertFirstView: // "" keeps the mode as it is
	default:
		return patient.Settings{}, fault.Invalid("alertMode", "oneof=every-view first-view")
	}
	if _, err := a.Me(ctx, caller); err != nil {
		return patient.Settings{}, err
	}
	changed := false
	p, err := a.store.UpdatePatient(ctx, owner, func(p *patient.Patient) error {
		next := s
		if next.AlertMode == "" {
			next.AlertMode = p.Settings.AlertMode
		}
		changed = p.Settings != next
		p.Settings = next
		return nil
	})
	if err != nil || !changed {
		return p.Settings, err
	}
	_, err = a.RecordAccess(ctx, audit.Event{
		PatientID: owner, Actor: audit.Actor{Kind: audit.ActorPatient, ID: owner},
		Action: "settings.changed", Basis: string(access.BasisSelf),
		Query:   "breakGlassAllowed=" + strconv.FormatBool(s.BreakGlassAllowed) + "&alertMode=" + string(s.AlertMode),
		Outcome: audit.OutcomeDone,
	})
	return p.Settings, err
}

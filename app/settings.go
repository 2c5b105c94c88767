package app

import (
	"context"
	"fmt"

	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
)

// Settings reads the caller's settings.
func (a *App) Settings(ctx context.Context, caller identity.Principal) (patient.Settings, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return patient.Settings{}, err
	}
	p, err := a.ownerAccount(ctx, m)
	return p.Settings, err
}

// SettingsChange is a patient's new settings. BreakGlassAllowed is required, so a
// forgotten one is an error rather than a silent change; the others, when nil,
// stay as they are.
type SettingsChange struct {
	BreakGlassAllowed *bool
	AlertMode         *patient.AlertMode
	QuietHours        *alert.QuietHours
}

// ChangeSettings changes the caller's settings. Switching break-glass off ends any
// break-glass access running now: the decision reads the setting on every request.
// A change is an access event, since it can change who may see the record.
func (a *App) ChangeSettings(ctx context.Context, caller identity.Principal, c SettingsChange) (patient.Settings, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return patient.Settings{}, err
	}
	owner := m.ownerID
	if c.BreakGlassAllowed == nil {
		return patient.Settings{}, fault.Invalid("breakGlassAllowed", "required")
	}
	if c.AlertMode != nil {
		switch *c.AlertMode {
		case patient.AlertEveryView, patient.AlertFirstView, patient.AlertDailyDigest:
		default:
			return patient.Settings{}, fault.Invalid("alertMode", "oneof=every-view first-view daily-digest")
		}
	}
	if _, err := a.ownerAccount(ctx, m); err != nil {
		return patient.Settings{}, err
	}
	changed := false
	p, err := a.store.UpdatePatient(ctx, owner, func(p *patient.Patient) error {
		next := p.Settings
		next.BreakGlassAllowed = *c.BreakGlassAllowed
		if c.AlertMode != nil {
			next.AlertMode = *c.AlertMode
		}
		if c.QuietHours != nil {
			next.QuietHours = *c.QuietHours
		}
		changed = p.Settings != next
		p.Settings = next
		return nil
	})
	if err != nil || !changed {
		return p.Settings, err
	}
	q := p.Settings.QuietHours
	err = a.recordChange(ctx, m, audit.Event{Action: "settings.changed",
		Query: fmt.Sprintf("breakGlassAllowed=%t&alertMode=%s&quietHours=%s-%s",
			p.Settings.BreakGlassAllowed, p.Settings.AlertMode, q.Start, q.End)})
	return p.Settings, err
}

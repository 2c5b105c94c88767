package app

import (
	"context"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/record"
)

// BreakGlassCommand is an organisation's request for emergency access.
type BreakGlassCommand struct {
	Ref    RecordRef
	Reason string
	// Minutes is how long it is needed: at most 240, which is also the default.
	Minutes int
}

// BreakGlass gives an organisation without a grant emergency access to the
// non-sensitive record of the patient it names, for at most four hours, when the
// patient allows break-glass. The access event is marked for alerting at once. A
// patient who refuses break-glass, or is unknown, is answered alike (not found).
// Asking again while an access is running returns it rather than opening another,
// so a retried request is harmless. It reports whether this call opened it.
func (a *App) BreakGlass(ctx context.Context, caller identity.Principal, c BreakGlassCommand) (GrantView, bool, error) {
	if caller.Kind != identity.KindOrganisation {
		return GrantView{}, false, fault.ErrForbidden
	}
	// The request is checked before the patient is looked up, so bad input is
	// answered alike for every NHS number and reveals nothing.
	g, err := access.NewBreakGlass(access.BreakGlassRequest{ID: a.newID(), PatientID: "(looked up next)", Organisation: caller.ODSCode,
		Practitioner: caller.Practitioner.ID, Reason: c.Reason, Length: time.Duration(c.Minutes) * time.Minute}, a.now())
	if err != nil {
		return GrantView{}, false, err
	}
	p, err := a.patientByRef(ctx, c.Ref)
	if err != nil {
		return GrantView{}, false, err
	}
	g.PatientID = p.ID
	r := &reading{caller: caller, ownerID: p.ID, subject: subjectOf(caller),
		owner: access.Owner{ID: p.ID, BreakGlassAllowed: p.Settings.BreakGlassAllowed}}
	if !p.Settings.BreakGlassAllowed {
		r.decision = access.Decision{Basis: access.BasisBreakGlass}
		if _, err := a.audit(ctx, r, audit.Event{Action: "break-glass.requested", Reason: "break-glass-switched-off",
			Outcome: audit.OutcomeDenied}); err != nil {
			return GrantView{}, false, err
		}
		return GrantView{}, false, errNoSuchRecord
	}
	if r.grants, err = a.store.Grants(ctx, p.ID); err != nil {
		return GrantView{}, false, err
	}
	if d := r.decide("", false, a.now()); d.Allowed {
		if d.Basis == access.BasisGrant {
			return GrantView{}, false, fault.Denied("grant-in-force")
		}
		for _, running := range r.grants {
			if running.ID == d.GrantIDs[0] {
				view, err := a.viewGrant(ctx, running, map[string]string{})
				return view, false, err
			}
		}
	}
	if _, _, err := a.store.CreateGrant(ctx, g); err != nil {
		return GrantView{}, false, err
	}
	r.decision = access.Decision{Basis: access.BasisBreakGlass}
	if _, err := a.audit(ctx, r, audit.Event{Action: "break-glass.started", Reason: g.Reason, GrantIDs: []string{g.ID},
		Categories: categoryNames(record.Categories), Query: "until=" + g.End.Format(time.RFC3339),
		Outcome: audit.OutcomeAllowed}); err != nil {
		return GrantView{}, false, err
	}
	view, err := a.viewGrant(ctx, g, map[string]string{})
	return view, true, err
}

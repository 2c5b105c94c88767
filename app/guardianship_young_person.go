package app

import (
	"context"
	"fmt"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// GuardianChange is what a young person (or an adult with a carer) does to one of
// their guardians.
type GuardianChange string

const (
	SuspendGuardian GuardianChange = "suspend"
	ResumeGuardian  GuardianChange = "resume"
	GrantGuardian   GuardianChange = "grant"
	RenewGuardian   GuardianChange = "renew"
	EndGuardian     GuardianChange = "end"
)

// Reasons a young person's change is refused.
const (
	DenyTooYoung     = "only-from-the-review-age"
	DenyNotYet16     = "only-from-the-16th-birthday"
	DenyAfter16Renew = "from-16-renew-instead"
)

// ChangeGuardian lets the record's owner change one guardian's access: from the
// review age (11) suspend and resume them, or let them see more; from 16 renew the
// relationship as a consent-based carer with chosen categories, or end it. Each
// change is in the owner's log, which guardians never see.
func (a *App) ChangeGuardian(ctx context.Context, caller identity.Principal, id string, change GuardianChange, categories []record.Category) (GuardianView, error) {
	me, age, err := a.youngPerson(ctx, caller)
	if err != nil {
		return GuardianView{}, err
	}
	// Another record's guardianship is not found, whatever the caller's age.
	if _, err := a.store.Guardianship(ctx, me.ID, id); err != nil {
		return GuardianView{}, err
	}
	p := a.proxy
	switch {
	case age < p.ReviewAge:
		return GuardianView{}, fault.Denied(DenyTooYoung)
	case (change == RenewGuardian) && age < p.AdultAge:
		return GuardianView{}, fault.Denied(DenyNotYet16)
	case change == GrantGuardian && age >= p.AdultAge:
		return GuardianView{}, fault.Denied(DenyAfter16Renew)
	}
	action := map[GuardianChange]string{SuspendGuardian: "guardianship.suspended", ResumeGuardian: "guardianship.resumed",
		GrantGuardian: "guardianship.changed", RenewGuardian: "guardianship.renewed", EndGuardian: "guardianship.ended"}[change]
	if action == "" {
		return GuardianView{}, fault.Invalid("change", "oneof=suspend resume grant renew end")
	}
	now := a.now()
	g, err := a.store.UpdateGuardianship(ctx, me.ID, id, func(g *guardianship.Guardianship) error {
		switch change {
		case SuspendGuardian:
			g.SuspendByChild(now)
		case ResumeGuardian:
			return g.ResumeByChild(now)
		case GrantGuardian:
			return g.Grant(categories, now)
		case RenewGuardian:
			if g.Restriction != nil {
				return fault.Invalid("guardianship", "restricted for safeguarding: ask the organisation that restricted it")
			}
			return g.Renew(categories, now)
		case EndGuardian:
			if age < p.AdultAge && g.LegalBasis != guardianship.PatientConsent {
				return fault.Denied(DenyNotYet16)
			}
			g.EndNow(guardianship.ReasonEnded, now)
		}
		return nil
	})
	if err != nil {
		return GuardianView{}, err
	}
	if err := a.recordOwnChange(ctx, me.ID, audit.Event{Action: action, GrantIDs: []string{g.ID}, Categories: categoryNames(categories)}); err != nil {
		return GuardianView{}, err
	}
	screen, err := a.store.Screen(ctx, me.ID)
	if err != nil {
		return GuardianView{}, err
	}
	st := p.Evaluate(g, me.BirthDate, screen, now)
	if st.Reason == guardianship.ReasonRestricted {
		st.Reason = guardianship.ReasonSuspended
	}
	guardian, err := a.store.Patient(ctx, g.GuardianID)
	if err != nil && !isNotFound(err) {
		return GuardianView{}, err
	}
	return GuardianView{Guardianship: g, Name: guardian.Name, Standing: &st}, nil
}

// ScreenChange hides from every guardian, or shows again, categories and entries.
type ScreenChange struct {
	Hide, Show               []record.Category
	HideEntries, ShowEntries []string
}

// ChangeScreen is the record's owner, from the review age, hiding items or whole
// categories from their guardians. Guardians are not told what is hidden.
func (a *App) ChangeScreen(ctx context.Context, caller identity.Principal, c ScreenChange) (guardianship.Screen, error) {
	me, age, err := a.youngPerson(ctx, caller)
	if err != nil {
		return guardianship.Screen{}, err
	}
	if age < a.proxy.ReviewAge {
		return guardianship.Screen{}, fault.Denied(DenyTooYoung)
	}
	if len(c.Hide)+len(c.Show)+len(c.HideEntries)+len(c.ShowEntries) == 0 {
		return guardianship.Screen{}, fault.Invalid("hide", "at least one change")
	}
	for _, cs := range [][]record.Category{c.Hide, c.Show} {
		for _, cat := range cs {
			if !record.KnownCategory(cat) {
				return guardianship.Screen{}, fault.Invalid("categories", "oneof categories")
			}
		}
	}
	for _, es := range [][]string{c.HideEntries, c.ShowEntries} {
		if len(es) > 500 {
			return guardianship.Screen{}, fault.Invalid("entries", "max=500")
		}
		for _, e := range es {
			if e == "" || len(e) > 200 {
				return guardianship.Screen{}, fault.Invalid("entries", "entry ids")
			}
		}
	}
	now := a.now()
	s, err := a.store.UpdateScreen(ctx, me.ID, func(s *guardianship.Screen) error {
		s.Unhide(c.Show, c.ShowEntries, now)
		s.Hide(c.Hide, c.HideEntries, now)
		return nil
	})
	if err != nil {
		return guardianship.Screen{}, err
	}
	return s, a.recordOwnChange(ctx, me.ID, audit.Event{Action: "guardianship.screen.changed"})
}

// Screen is what the caller's own record screens from their guardians.
func (a *App) OwnScreen(ctx context.Context, caller identity.Principal) (guardianship.Screen, error) {
	me, _, err := a.youngPerson(ctx, caller)
	if err != nil {
		return guardianship.Screen{}, err
	}
	s, err := a.store.Screen(ctx, me.ID)
	s.Safeguarding = nil // an organisation's marks are not the young person's to see here
	return s, err
}

// youngPerson is the caller acting on their own record, with their age today.
func (a *App) youngPerson(ctx context.Context, caller identity.Principal) (patient.Patient, int, error) {
	if caller.ActingFor != "" && caller.ActingFor != subjectOf(caller).PatientID {
		return patient.Patient{}, 0, fmt.Errorf("only the record's owner changes their guardians: %w", fault.ErrNotFound)
	}
	me, err := a.verifiedPatient(ctx, caller)
	if err != nil {
		return patient.Patient{}, 0, err
	}
	born, ok := guardianship.ParseDate(me.BirthDate)
	if !ok {
		return me, 0, fault.Denied("date-of-birth-unknown")
	}
	return me, guardianship.AgeOn(born, guardianship.LondonDate(a.now())), nil
}

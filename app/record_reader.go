package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// RecordRef says whose record a request reads: the caller's own (the zero value),
// or the patient an organisation names by NHS number and, where the deployment
// asks for it (WithBirthDateCheck), date of birth.
type RecordRef struct {
	NHSNumber string
	BirthDate string
}

// errNoSuchRecord is what an organisation hears for an unknown patient, a patient
// it holds no grant for, and a birth date that does not match alike: it cannot
// learn whether a person uses Kith.
var errNoSuchRecord = fmt.Errorf("no record this caller may read: %w", fault.ErrNotFound)

// reading is one read of one record, decided and not yet audited. Every path that
// discloses clinical data goes through openRead and then disclose.
type reading struct {
	caller   identity.Principal
	ownerID  string
	grants   []access.Grant
	owner    access.Owner
	subject  access.Subject
	decision access.Decision
	// question is the whole question for a patient's reading (their own record or
	// a child's), so each entry's decision weighs the same guardianships.
	question *access.Question
	// screen is what the owner's record screens from guardians, read when a grant
	// or share code was given by a guardian: its reader sees no more than they could.
	screen guardianship.Screen
}

// openRead finds the record ref names and decides whether the caller may read it.
// A denial of an organisation for a patient Kith knows is audited (the patient
// sees who tried) and answered errNoSuchRecord.
func (a *App) openRead(ctx context.Context, caller identity.Principal, ref RecordRef, action string) (*reading, error) {
	r := &reading{caller: caller, subject: subjectOf(caller)}
	switch caller.Kind {
	case identity.KindPatient:
		q, err := a.patientQuestion(ctx, caller, access.Read)
		if err != nil {
			return nil, err
		}
		r.ownerID, r.owner, r.question = q.Owner.ID, q.Owner, &q
		if r.decision = access.Decide(q); !r.decision.Allowed {
			return nil, a.refusePatient(ctx, caller, q, r.decision, action)
		}
		a.touchGuardianship(ctx, r.ownerID, r.decision)
		return r, nil
	case identity.KindOrganisation:
		p, err := a.patientByRef(ctx, ref)
		if err != nil {
			return nil, err
		}
		if r.grants, err = a.store.Grants(ctx, p.ID); err != nil {
			return nil, err
		}
		r.ownerID = p.ID
		r.owner = access.Owner{ID: p.ID, BreakGlassAllowed: p.Settings.BreakGlassAllowed}
	case identity.KindViewer:
		// The code is read on every request: its revocation ends the session at once.
		code, err := a.store.ShareCode(ctx, caller.Viewer.PatientID, caller.Viewer.ShareCodeID)
		if err != nil {
			return nil, err
		}
		r.ownerID = code.PatientID
		r.owner = access.Owner{ID: code.PatientID}
		r.grants = []access.Grant{code.Permission()}
	}
	if slices.ContainsFunc(r.grants, access.Grant.MadeByGuardian) {
		var err error
		if r.screen, err = a.store.Screen(ctx, r.ownerID); err != nil {
			return nil, err
		}
	}
	r.decision = r.decide("", false, a.now())
	if !r.decision.Allowed {
		return nil, a.refuse(ctx, r, action, r.decision.Reason)
	}
	return r, nil
}

// shows reports whether one entry is within what the reading may see: its category
// and sensitivity, and, for a guardian, the child's screen.
func (r *reading) shows(e record.Entry) bool {
	return r.decision.PermitsEntry(e.ID, e.Category, e.Sensitive)
}

// screened keeps the entries the reading may see.
func (r *reading) screened(es []record.Entry) []record.Entry {
	if r.decision.Screen == nil {
		return es
	}
	return slices.DeleteFunc(es, func(e record.Entry) bool { return !r.shows(e) })
}

// decide asks the access decision about the record (c empty) or one entry.
func (r *reading) decide(c record.Category, sensitive bool, now time.Time) access.Decision {
	if r.question != nil {
		q := *r.question
		q.Category, q.Sensitive, q.Now = c, sensitive, now
		return access.Decide(q)
	}
	return access.Decide(access.Question{Subject: r.subject, Owner: r.owner, Action: access.Read,
		Category: c, Sensitive: sensitive, Now: now, Grants: r.grants, Screen: r.screen})
}

// refuse answers a denial: an organisation hears errNoSuchRecord, after the attempt
// is audited; a patient hears why (their identity level, say).
func (a *App) refuse(ctx context.Context, r *reading, action, reason string) error {
	switch r.caller.Kind {
	case identity.KindOrganisation, identity.KindViewer:
		if _, err := a.audit(ctx, r, audit.Event{Action: action, Reason: reason, Outcome: audit.OutcomeDenied}); err != nil {
			return err
		}
		return errNoSuchRecord
	case identity.KindPatient:
		if reason == access.DenyIdentityLevel {
			return fault.Denied(reason)
		}
	}
	return fmt.Errorf("%s: %w", reason, fault.ErrForbidden)
}

// disclose audits an allowed read; only when the event is stored may the data
// leave. A store that cannot take the event fails the read.
func (a *App) disclose(ctx context.Context, r *reading, e audit.Event) error {
	e.Outcome = audit.OutcomeAllowed
	if len(e.GrantIDs) == 0 {
		e.GrantIDs = r.decision.GrantIDs
	}
	if e.Categories == nil {
		e.Categories = categoryNames(r.decision.Categories())
	}
	_, err := a.audit(ctx, r, e)
	return err
}

// audit fills in who read whose record on what basis and appends the event.
// Reads by anyone but the patient are marked for alerting.
func (a *App) audit(ctx context.Context, r *reading, e audit.Event) (audit.Event, error) {
	e.PatientID = r.ownerID
	e.Basis = string(r.decision.Basis)
	if r.caller.Kind == identity.KindViewer {
		e.Basis, e.Label = string(access.BasisShareCode), r.caller.Viewer.Label
	}
	actor, err := a.actorOf(ctx, r.caller)
	if err != nil {
		return audit.Event{}, err
	}
	if r.decision.Basis == access.BasisGuardian && r.question != nil {
		actor = guardianActor(r.caller, through(*r.question, r.decision))
	}
	e.Actor = actor
	if e.Outcome == audit.OutcomeAllowed && !(actor.Kind == audit.ActorPatient && actor.ID == r.ownerID) {
		e.Alert = audit.AlertPending
	}
	return a.RecordAccess(ctx, e)
}

// actorOf describes the caller for the access log, with the organisation's name as
// it is now, so the patient later reads the name they would have recognised.
func (a *App) actorOf(ctx context.Context, caller identity.Principal) (audit.Actor, error) {
	switch caller.Kind {
	case identity.KindPatient:
		return audit.Actor{Kind: audit.ActorPatient, ID: patient.IDFor(caller.Patient.Issuer, caller.Patient.Subject)}, nil
	case identity.KindOrganisation:
		o, err := a.store.Organisation(ctx, caller.ODSCode)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return audit.Actor{}, err
		}
		return audit.Actor{Kind: audit.ActorOrganisation, ID: caller.ODSCode, Organisation: caller.ODSCode,
			OrganisationName: o.Name, PractitionerID: caller.Practitioner.ID,
			PractitionerName: caller.Practitioner.Name, PractitionerRole: caller.Practitioner.Role}, nil
	case identity.KindOperator:
		return audit.Actor{Kind: audit.ActorOperator, ID: caller.Operator}, nil
	case identity.KindViewer:
		return viewerActor(caller.Viewer), nil
	}
	return audit.Actor{Kind: audit.ActorKind(caller.Kind)}, nil
}

// patientByRef finds the account an organisation names. Of two accounts with one
// NHS number (an identity provider change) the oldest verified one holds the record.
func (a *App) patientByRef(ctx context.Context, ref RecordRef) (patient.Patient, error) {
	nhs, err := patient.ParseNHSNumber(ref.NHSNumber)
	if err != nil {
		return patient.Patient{}, err
	}
	if a.requireBirthDate && ref.BirthDate == "" {
		return patient.Patient{}, fault.Invalid("birthDate", "required")
	}
	if ref.BirthDate != "" {
		if _, err := patient.ParseBirthDate(ref.BirthDate, a.now()); err != nil {
			return patient.Patient{}, err
		}
	}
	found, err := a.store.PatientsByNHSNumber(ctx, nhs)
	if err != nil {
		return patient.Patient{}, err
	}
	for _, p := range found {
		if !p.Proofing.AtLeast(patient.NeedForClinicalData) {
			continue
		}
		if ref.BirthDate != "" && ref.BirthDate != p.BirthDate.Value() {
			return patient.Patient{}, errNoSuchRecord
		}
		return p, nil
	}
	return patient.Patient{}, errNoSuchRecord
}

// subjectOf is the caller as the access decision sees them.
func subjectOf(caller identity.Principal) access.Subject {
	s := access.Subject{Kind: caller.Kind}
	switch caller.Kind {
	case identity.KindPatient:
		s.PatientID = patient.IDFor(caller.Patient.Issuer, caller.Patient.Subject)
		s.Proofing = caller.Patient.Proofing
	case identity.KindOrganisation:
		s.Organisation = caller.ODSCode
	case identity.KindViewer:
		s.ShareCodeID = caller.Viewer.ShareCodeID
	}
	return s
}

func categoryNames(cs []record.Category) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

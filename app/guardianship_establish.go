package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// Issuers of accounts opened before their holder ever logs in. A child's account
// (a baby who may never log in) is vouched for by whoever established the
// guardianship; a guardian's is claimed at their first login at P9 with that NHS
// number.
const (
	ProxyChildIssuer    = "urn:kith:proxy-child"
	AwaitingLoginIssuer = "urn:kith:awaiting-login"
)

// Person names someone by NHS number, with what an account opened for them needs.
type Person struct {
	NHSNumber string
	BirthDate string
	Given     string
	Family    string
}

// GuardianshipCommand is an operator's or organisation's record of who acts for a child.
type GuardianshipCommand struct {
	Child, Guardian patient.NHSNumber
	// ChildDetails open the child's account when Kith has none (a baby).
	ChildDetails Person
	Relationship guardianship.Relationship
	LegalBasis   guardianship.LegalBasis
	Evidence     guardianship.Evidence
	Start, End   time.Time
	Access       []record.Category
}

// EstablishGuardianship records that a guardian acts for a child. Only an operator,
// or an organisation holding an active grant for the child, may: never the guardian.
// Both people are named by NHS number; an account is opened for either when Kith
// has none (the guardian's is claimed at their first login). Establishing a pair
// that already holds one in force is a conflict; one that ended is re-established.
func (a *App) EstablishGuardianship(ctx context.Context, caller identity.Principal, c GuardianshipCommand) (guardianship.Guardianship, error) {
	by, err := a.establisher(ctx, caller, c.Child)
	if err != nil {
		return guardianship.Guardianship{}, err
	}
	switch c.Guardian {
	case "":
		return guardianship.Guardianship{}, fault.Invalid("guardianNhsNumber", "nhs")
	case c.Child:
		return guardianship.Guardianship{}, fault.Invalid("guardianNhsNumber", "not the child")
	}
	child, err := a.childAccount(ctx, c.Child, c.ChildDetails)
	if err != nil {
		return guardianship.Guardianship{}, err
	}
	guardian, err := a.guardianAccount(ctx, c.Guardian)
	if err != nil {
		return guardianship.Guardianship{}, err
	}
	g, err := guardianship.New(guardianship.Request{ID: pairID(child.ID, guardian.ID), ChildID: child.ID, GuardianID: guardian.ID,
		Relationship: c.Relationship, LegalBasis: c.LegalBasis, Evidence: c.Evidence, EstablishedBy: by,
		Start: c.Start, End: c.End, Access: c.Access}, a.now())
	if err != nil {
		return guardianship.Guardianship{}, err
	}
	existing, err := a.store.GuardianshipsOfChild(ctx, child.ID)
	if err != nil {
		return guardianship.Guardianship{}, err
	}
	for _, old := range existing {
		if old.GuardianID != guardian.ID {
			continue
		}
		if old.Status != guardianship.Inactive || old.Restriction != nil {
			return guardianship.Guardianship{}, fmt.Errorf("this guardian already has a guardianship of this child: %w", fault.ErrConflict)
		}
		g.ID = old.ID
		if err := a.auditEstablished(ctx, caller, g); err != nil {
			return guardianship.Guardianship{}, err
		}
		stored, err := a.store.UpdateGuardianship(ctx, child.ID, old.ID, func(s *guardianship.Guardianship) error {
			if s.Status != guardianship.Inactive {
				return fmt.Errorf("re-established meanwhile: %w", fault.ErrConflict)
			}
			fresh := g
			fresh.Version, fresh.CreatedAt = s.Version, s.CreatedAt
			*s = fresh
			return nil
		})
		if err != nil {
			return guardianship.Guardianship{}, err
		}
		return stored, nil
	}
	// Audited first: a guardianship nobody can see being made must never exist. A
	// process killed between the two leaves an event a retry completes.
	if err := a.auditEstablished(ctx, caller, g); err != nil {
		return guardianship.Guardianship{}, err
	}
	if err := a.store.CreateGuardianship(ctx, g); err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return guardianship.Guardianship{}, fmt.Errorf("this guardian already has a guardianship of this child: %w", fault.ErrConflict)
		}
		return guardianship.Guardianship{}, err
	}
	return g, nil
}

func (a *App) auditEstablished(ctx context.Context, caller identity.Principal, g guardianship.Guardianship) error {
	actor, err := a.actorOf(ctx, caller)
	if err != nil {
		return err
	}
	_, err = a.RecordAccess(ctx, audit.Event{PatientID: g.ChildID, Actor: actor, Action: "guardianship.established",
		Basis: string(access.BasisGuardian), GrantIDs: []string{g.ID}, Outcome: audit.OutcomeDone,
		Query: url.Values{"relationship": {string(g.Relationship)}}.Encode()})
	return err
}

// pairID makes one id per child and guardian, so two concurrent establishments of
// one pair meet at the store's uniqueness check.
func pairID(childID, guardianID string) string {
	sum := sha256.Sum256([]byte(childID + "\x00" + guardianID))
	return "gs-" + hex.EncodeToString(sum[:12])
}

// establisher checks the caller may establish or restrict guardianships of the
// child: an operator, or an organisation holding an active grant for the child.
// An organisation without one hears that the child is unknown.
func (a *App) establisher(ctx context.Context, caller identity.Principal, child patient.NHSNumber) (guardianship.Establisher, error) {
	switch caller.Kind {
	case identity.KindOperator:
		return guardianship.Establisher{Kind: "operator", ID: caller.Operator}, nil
	case identity.KindOrganisation:
		p, err := a.patientByRef(ctx, RecordRef{NHSNumber: string(child)})
		if err != nil {
			return guardianship.Establisher{}, err
		}
		grants, err := a.store.Grants(ctx, p.ID)
		if err != nil {
			return guardianship.Establisher{}, err
		}
		d := access.Decide(access.Question{Subject: subjectOf(caller), Owner: access.Owner{ID: p.ID}, Action: access.Read,
			Now: a.now(), Grants: grants})
		if !d.Allowed || d.Basis != access.BasisGrant {
			return guardianship.Establisher{}, errNoSuchRecord
		}
		return guardianship.Establisher{Kind: "organisation", ID: caller.Practitioner.ID, Organisation: caller.ODSCode,
			Name: caller.Practitioner.Name}, nil
	}
	return guardianship.Establisher{}, fmt.Errorf("only an operator or an organisation with a grant: %w", fault.ErrForbidden)
}

// childAccount is the child's verified account or, when Kith has none, one opened
// for them on the establisher's word, which needs their date of birth.
func (a *App) childAccount(ctx context.Context, nhs patient.NHSNumber, details Person) (patient.Patient, error) {
	if p, ok, err := a.verifiedByNHSNumber(ctx, nhs); ok || err != nil {
		return p, err
	}
	birth, err := patient.ParseBirthDate(details.BirthDate, a.now())
	if err != nil {
		return patient.Patient{}, fault.Invalid("child.birthDate", "required for a child Kith has no account for")
	}
	claims := patient.Claims{Issuer: ProxyChildIssuer, Subject: string(nhs), NHSNumber: nhs, BirthDate: birth,
		Name: patient.Name{Given: details.Given, Family: details.Family}, Proofing: patient.ProofingP9}
	return a.openAccount(ctx, claims)
}

// guardianAccount is the guardian's verified account or, when Kith has none, one
// awaiting their first login.
func (a *App) guardianAccount(ctx context.Context, nhs patient.NHSNumber) (patient.Patient, error) {
	if p, ok, err := a.verifiedByNHSNumber(ctx, nhs); ok || err != nil {
		return p, err
	}
	return a.openAccount(ctx, patient.Claims{Issuer: AwaitingLoginIssuer, Subject: string(nhs), NHSNumber: nhs, Proofing: patient.ProofingP0})
}

// claimAwaitingGuardianships hands the guardianships held for an NHS number
// before its holder's first login to their new account, once it is verified to P9.
// Each one moves in its own conditional write; a retry moves the rest.
func (a *App) claimAwaitingGuardianships(ctx context.Context, p patient.Patient) error {
	if p.NHSNumber == "" || !p.Proofing.AtLeast(patient.NeedForClinicalData) || p.Issuer == AwaitingLoginIssuer || p.Issuer == ProxyChildIssuer {
		return nil
	}
	waiting := patient.IDFor(AwaitingLoginIssuer, string(p.NHSNumber))
	held, err := a.store.GuardianshipsOfGuardian(ctx, waiting)
	if err != nil {
		return err
	}
	for _, g := range held {
		if _, err := a.store.UpdateGuardianship(ctx, g.ChildID, g.ID, func(s *guardianship.Guardianship) error {
			if s.GuardianID != waiting {
				return errUnchanged
			}
			s.GuardianID, s.UpdatedAt = p.ID, patient.Timestamp(a.now())
			return nil
		}); err != nil && !errors.Is(err, errUnchanged) {
			return err
		}
	}
	return nil
}

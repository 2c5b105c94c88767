package app

import (
	"context"
	"errors"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/organisation"
	"github.com/kith-health/kith/domain/patient"
)

// DemoPrincipal is someone the development issuer can sign in as, so the app, the
// README's examples and tests have people to be. Their NHS numbers are in the 999
// range, which the NHS never issues to real people.
type DemoPrincipal struct {
	Name        string
	Kind        string // patient, guardian, organisation or operator
	Description string
	Patient     patient.Claims // patients and guardians
	Gender      string         // for the demo record: male, female
	ODSCode     string         // organisations
	OrgName     string
	Acting      identity.Practitioner // who acts for an organisation
}

// DemoIssuer is the iss of demo patients' tokens: the development issuer's.
const DemoIssuer = "urn:kith:development-issuer"

// DemoRoster is the fixed cast of development mode.
func DemoRoster() []DemoPrincipal {
	p := func(sub, nhs, dob, given, family string, level patient.ProofingLevel) patient.Claims {
		return patient.Claims{Issuer: DemoIssuer, Subject: sub, NHSNumber: patient.NHSNumber(nhs), BirthDate: patient.BirthDate(dob),
			Name: patient.Name{Given: given, Family: family}, Proofing: level}
	}
	return []DemoPrincipal{
		{Name: "amelia", Kind: "patient", Gender: "female", Description: "Amelia Hughes, 38, fully verified (P9)",
			Patient: p("demo-amelia", "9990000018", "1987-06-05", "Amelia", "Hughes", patient.ProofingP9)},
		{Name: "oliver", Kind: "patient", Gender: "male", Description: "Oliver Bennett, 54, partly verified (P5): demographics only",
			Patient: p("demo-oliver", "9990000026", "1971-11-30", "Oliver", "Bennett", patient.ProofingP5)},
		{Name: "priya", Kind: "guardian", Gender: "female", Description: "Priya Shah, 41, parent of three (P9)",
			Patient: p("demo-priya", "9990000034", "1984-02-17", "Priya", "Shah", patient.ProofingP9)},
		{Name: "leeds-registrar", Kind: "organisation", Description: "A&E registrar at Leeds Teaching Hospitals",
			ODSCode: "RR8", OrgName: "Leeds Teaching Hospitals NHS Trust",
			Acting: identity.Practitioner{ID: "GMC-7654321", Name: "Dr Sam Patel", Role: "Emergency medicine registrar"}},
		{Name: "gp-reception", Kind: "organisation", Description: "Care navigator at a GP practice",
			ODSCode: "B86001", OrgName: "Demo Street Surgery",
			Acting: identity.Practitioner{ID: "SDS-555000123", Name: "Jo Evans", Role: "Care navigator"}},
		{Name: "operator", Kind: "operator", Description: "A Kith operator: administers organisations, reads no clinical data"},
	}
}

// DemoPrincipalNamed finds one of the cast; an unknown name is invalid input.
func DemoPrincipalNamed(name string) (DemoPrincipal, error) {
	for _, d := range DemoRoster() {
		if d.Name == name {
			return d, nil
		}
	}
	return DemoPrincipal{}, fault.Invalid("as", "oneof demo principals (GET /dev/principals)")
}

// SeedDemoOrganisations registers the cast's organisations, once: they get tokens
// through the development issuer, so their registered keys are never used and the
// inline key set is empty-but-valid.
func (a *App) SeedDemoOrganisations(ctx context.Context) error {
	for _, d := range DemoRoster() {
		if d.Kind != "organisation" {
			continue
		}
		o, err := organisation.New(organisation.Registration{ODSCode: d.ODSCode, Name: d.OrgName, JWKS: []byte(`{"keys":[]}`)}, a.now())
		if err != nil {
			return err
		}
		if err := a.store.CreateOrganisation(ctx, o); err != nil && !errors.Is(err, fault.ErrConflict) {
			return err
		}
	}
	return nil
}

// DemoSource is the source the demo records come from.
const DemoSource = "kith-demo"

// SeedDemoRecords gives each demo patient a record on first start, through the same
// ingest path as every source; generate makes a patient's FHIR Bundle. A patient whose
// record already has anything is left alone, so restarts cost one read each.
func (a *App) SeedDemoRecords(ctx context.Context, generate func(d DemoPrincipal, anchor time.Time) ([]byte, error)) error {
	for _, d := range DemoRoster() {
		if d.Patient.Subject == "" {
			continue
		}
		p, err := a.Me(ctx, identity.Principal{Kind: identity.KindPatient, Patient: d.Patient})
		if err != nil {
			return err
		}
		t, err := a.store.RecordTally(ctx, p.ID)
		if err != nil {
			return err
		}
		if len(t.Rows) > 0 {
			continue
		}
		bundle, err := generate(d, p.CreatedAt)
		if err != nil {
			return err
		}
		if _, err := a.Ingest(ctx, p, Delivery{Source: DemoSource, Data: bundle}); err != nil {
			return err
		}
	}
	return nil
}

// DemoAccount is a demo patient with their account.
type DemoAccount struct {
	DemoPrincipal
	Account patient.Patient
}

// DemoAccounts opens (or finds) the demo patients' accounts, for the development
// sandbox exchange to serve their records and link them.
func (a *App) DemoAccounts(ctx context.Context) ([]DemoAccount, error) {
	var out []DemoAccount
	for _, d := range DemoRoster() {
		if d.Patient.Subject == "" {
			continue
		}
		p, err := a.Me(ctx, identity.Principal{Kind: identity.KindPatient, Patient: d.Patient})
		if err != nil {
			return nil, err
		}
		out = append(out, DemoAccount{DemoPrincipal: d, Account: p})
	}
	return out, nil
}

// LinkDemoPatients links every demo patient verified to P9 to the exchange, as if
// each had chosen to, so a new developer sees pulls happen at once.
func (a *App) LinkDemoPatients(ctx context.Context, exchangeID string) error {
	accounts, err := a.DemoAccounts(ctx)
	if err != nil {
		return err
	}
	for _, d := range accounts {
		if d.Patient.Proofing != patient.ProofingP9 {
			continue
		}
		caller := identity.Principal{Kind: identity.KindPatient, Patient: d.Patient}
		if _, _, err := a.LinkExchange(ctx, caller, LinkCommand{Exchange: exchangeID}); err != nil {
			return err
		}
	}
	return nil
}

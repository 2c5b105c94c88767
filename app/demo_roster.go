package app

import (
	"context"
	"errors"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/organisation"
	"github.com/kith-health/kith/domain/patient"
)

// DemoPrincipal is someone the development issuer can sign in as, so the app, the
// README's examples and tests have people to be. Their NHS numbers are in the 999
// range, which the NHS never issues to real people.
type DemoPrincipal struct {
	Name        string
	Kind        string // patient, guardian, child (no account of their own), organisation or operator
	Description string
	Patient     patient.Claims // patients and guardians
	Gender      string         // for the demo record: male, female
	ODSCode     string         // organisations
	OrgName     string
	Acting      identity.Practitioner // who acts for an organisation
}

// DemoIssuer is the iss of demo patients' tokens: the development issuer's.
const DemoIssuer = "urn:kith:development-issuer"

// DemoRoster is the cast of development mode today.
func DemoRoster() []DemoPrincipal { return DemoRosterOn(time.Now()) }

// DemoRosterOn is the cast on the day now falls on. The adults' dates of birth are
// fixed; the children's are counted back from that day, so Priya's family always
// shows every proxy rule: a child under 11, one of 13, one who turned 16 four days ago.
func DemoRosterOn(now time.Time) []DemoPrincipal {
	p := func(sub, nhs, dob, given, family string, level patient.ProofingLevel) patient.Claims {
		return patient.Claims{Issuer: DemoIssuer, Subject: sub, NHSNumber: patient.NHSNumber(nhs), BirthDate: patient.BirthDate(dob),
			Name: patient.Name{Given: given, Family: family}, Proofing: level}
	}
	today := guardianship.LondonDate(now)
	born := func(years, days int) string {
		return time.Date(today.Year-years, today.Month, today.Day-days, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	leo := p("9990000115", "9990000115", born(7, 40), "Leo", "Shah", patient.ProofingP9)
	leo.Issuer = ProxyChildIssuer // a child who never signs in: the guardians act for him
	return []DemoPrincipal{
		{Name: "amelia", Kind: "patient", Gender: "female", Description: "Amelia Hughes, 38, fully verified (P9)",
			Patient: p("demo-amelia", "9990000018", "1987-06-05", "Amelia", "Hughes", patient.ProofingP9)},
		{Name: "oliver", Kind: "patient", Gender: "male", Description: "Oliver Bennett, 54, partly verified (P5): demographics only",
			Patient: p("demo-oliver", "9990000026", "1971-11-30", "Oliver", "Bennett", patient.ProofingP5)},
		{Name: "priya", Kind: "guardian", Gender: "female", Description: "Priya Shah, 41, parent of three (P9)",
			Patient: p("demo-priya", "9990000034", "1984-02-17", "Priya", "Shah", patient.ProofingP9)},
		{Name: "leo", Kind: "child", Gender: "male", Description: "Leo Shah, 7, Priya's son: no account of his own (Priya and Dan are his guardians)",
			Patient: leo},
		{Name: "zara", Kind: "patient", Gender: "female", Description: "Zara Shah, 13, Priya's daughter, with her own account (P9): she decides what Priya sees beyond the basics",
			Patient: p("demo-zara", "9990000123", born(13, 100), "Zara", "Shah", patient.ProofingP9)},
		{Name: "sam", Kind: "patient", Gender: "male", Description: "Sam Shah, turned 16 four days ago (P9): Priya's guardianship has suspended until he renews it",
			Patient: p("demo-sam", "9990000131", born(16, 4), "Sam", "Shah", patient.ProofingP9)},
		{Name: "dan", Kind: "guardian", Gender: "male", Description: "Dan Shah, 45, Leo's father (P9): his guardianship is restricted for safeguarding, so he sees no children",
			Patient: p("demo-dan", "9990000158", "1981-08-09", "Dan", "Shah", patient.ProofingP9)},
		{Name: "leeds-registrar", Kind: "organisation", Description: "A&E registrar at Leeds Teaching Hospitals",
			ODSCode: "RR8", OrgName: "Leeds Teaching Hospitals NHS Trust",
			Acting: identity.Practitioner{ID: "GMC-7654321", Name: "Dr Sam Patel", Role: "Emergency medicine registrar"}},
		{Name: "gp-reception", Kind: "organisation", Description: "Care navigator at a GP practice",
			ODSCode: "B86001", OrgName: "Demo Street Surgery",
			Acting: identity.Practitioner{ID: "SDS-555000123", Name: "Jo Evans", Role: "Care navigator"}},
		{Name: "operator", Kind: "operator", Description: "A Kith operator: administers organisations, reads no clinical data"},
	}
}

// DemoPrincipalNamed finds one of the cast who can sign in; an unknown name is
// invalid input, and so is a child who has no account of their own.
func DemoPrincipalNamed(name string, now time.Time) (DemoPrincipal, error) {
	for _, d := range DemoRosterOn(now) {
		if d.Name == name && d.Kind == "child" {
			return DemoPrincipal{}, fault.Invalid("as", "a child without an account never signs in: act for them as a guardian")
		}
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
	for _, d := range DemoRosterOn(a.now()) {
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
	for _, d := range DemoRosterOn(a.now()) {
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
	for _, d := range DemoRosterOn(a.now()) {
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
		if d.Patient.Proofing != patient.ProofingP9 || d.Kind == "child" {
			continue
		}
		caller := identity.Principal{Kind: identity.KindPatient, Patient: d.Patient}
		if _, _, err := a.LinkExchange(ctx, caller, LinkCommand{Exchange: exchangeID}); err != nil {
			return err
		}
	}
	return nil
}

// demoFamily is who acts for whom in development mode.
var demoFamily = []struct {
	guardian, child string
	restricted      string // the safeguarding reason, when restricted
}{
	{"priya", "leo", ""}, {"priya", "zara", ""}, {"priya", "sam", ""},
	{"dan", "leo", "Court order (demo): no contact pending a hearing"},
}

// SeedDemoFamilies establishes the demo guardianships as an operator would, once:
// a guardianship that exists is left as it is (a demo user's suspension stays).
func (a *App) SeedDemoFamilies(ctx context.Context) error {
	cast := map[string]DemoPrincipal{}
	for _, d := range DemoRosterOn(a.now()) {
		cast[d.Name] = d
	}
	operator := identity.Principal{Kind: identity.KindOperator, Operator: "kith-demo-seed"}
	for _, f := range demoFamily {
		g, c := cast[f.guardian], cast[f.child]
		for _, d := range []DemoPrincipal{g, c} { // both accounts exist, as after their first sign-in
			if _, err := a.Me(ctx, identity.Principal{Kind: identity.KindPatient, Patient: d.Patient}); err != nil {
				return err
			}
		}
		est, err := a.EstablishGuardianship(ctx, operator, GuardianshipCommand{Child: c.Patient.NHSNumber, Guardian: g.Patient.NHSNumber,
			Relationship: guardianship.Parent, LegalBasis: guardianship.ParentalResponsibility,
			Evidence: guardianship.Evidence{Kind: guardianship.BirthCertificate, Reference: "Demo birth certificate " + c.Patient.NHSNumber.Value()[6:]}})
		if errors.Is(err, fault.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		if f.restricted != "" {
			if _, err := a.RestrictGuardian(ctx, operator, c.Patient.NHSNumber, est.ID, true, f.restricted); err != nil {
				return err
			}
		}
	}
	return nil
}

package access_test

import (
	"testing"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

func guardianOf(t *testing.T, child, guardian string) guardianship.Guardianship {
	t.Helper()
	g, err := guardianship.New(guardianship.Request{ID: "gs-" + guardian, ChildID: child, GuardianID: guardian,
		Relationship: guardianship.Parent, LegalBasis: guardianship.ParentalResponsibility,
		Evidence:      guardianship.Evidence{Kind: guardianship.BirthCertificate, Reference: "BC 1"},
		EstablishedBy: guardianship.Establisher{Kind: "operator", ID: "op"}}, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestDecideForAGuardian(t *testing.T) {
	parent := access.Subject{Kind: identity.KindPatient, PatientID: "parent", Proofing: patient.ProofingP9}
	young := access.Owner{ID: owner, BirthDate: "2020-01-01"}
	teen := access.Owner{ID: owner, BirthDate: "2013-01-01"}
	g := guardianOf(t, owner, "parent")
	restricted := g
	restricted.Restrict(guardianship.Establisher{Kind: "organisation", ID: "B86001"}, "court order", now)
	ask := func(s access.Subject, o access.Owner, a access.Action, c record.Category, sensitive bool, gs ...guardianship.Guardianship) access.Decision {
		return access.Decide(access.Question{Subject: s, Owner: o, Action: a, Category: c, Sensitive: sensitive, Now: now,
			Guardianships: gs, Policy: guardianship.DefaultPolicy})
	}
	cases := []struct {
		name   string
		d      access.Decision
		allow  bool
		reason string
	}{
		{"a young child's record, read", ask(parent, young, access.Read, record.Allergies, false, g), true, ""},
		{"a young child's record, managed", ask(parent, young, access.Manage, "", false, g), true, ""},
		{"a young child's sensitive entry", ask(parent, young, access.Read, record.Conditions, true, g), false, access.DenySensitive},
		{"a teenager's immunizations", ask(parent, teen, access.Read, record.Immunizations, false, g), true, ""},
		{"a teenager's medications", ask(parent, teen, access.Read, record.Medications, false, g), false, access.DenyCategory},
		{"a teenager's record, managed", ask(parent, teen, access.Manage, "", false, g), false, access.DenyGuardianManage},
		{"restricted: as if never a guardian", ask(parent, young, access.Read, "", false, restricted), false, access.DenyNotYourRecord},
		{"someone else's guardianship", ask(access.Subject{Kind: identity.KindPatient, PatientID: "stranger", Proofing: patient.ProofingP9}, young, access.Read, "", false, g), false, access.DenyNotYourRecord},
		{"no guardianship", ask(parent, young, access.Read, "", false), false, access.DenyNotYourRecord},
		{"a guardian below P9", ask(access.Subject{Kind: identity.KindPatient, PatientID: "parent", Proofing: patient.ProofingP5}, young, access.Read, "", false, g), false, access.DenyIdentityLevel},
	}
	for _, c := range cases {
		if c.d.Allowed != c.allow || c.d.Reason != c.reason {
			t.Errorf("%s: allowed %v reason %q; want %v %q", c.name, c.d.Allowed, c.d.Reason, c.allow, c.reason)
		}
		if c.d.Allowed && (c.d.Basis != access.BasisGuardian || len(c.d.GrantIDs) != 1 || c.d.GrantIDs[0] != g.ID) {
			t.Errorf("%s: basis %s through %v, want guardian through %s", c.name, c.d.Basis, c.d.GrantIDs, g.ID)
		}
	}
	whole := ask(parent, young, access.Read, "", false, g)
	if !whole.Withheld.Sensitive || whole.Whole() {
		t.Error("a guardian's view always withholds sensitive entries")
	}
	screen := guardianship.Screen{ChildID: owner, Safeguarding: []string{"entry-7"}}
	d := access.Decide(access.Question{Subject: parent, Owner: young, Action: access.Read, Now: now,
		Guardianships: []guardianship.Guardianship{g}, Screen: screen, Policy: guardianship.DefaultPolicy})
	if d.PermitsEntry("entry-7", record.Allergies, false) || !d.PermitsEntry("entry-8", record.Allergies, false) {
		t.Error("a safeguarding-sensitive entry is screened from guardians, and only it")
	}
	self := access.Decide(access.Question{Subject: self(patient.ProofingP9), Owner: young, Action: access.Read, Now: now, Screen: screen})
	if !self.PermitsEntry("entry-7", record.Allergies, false) {
		t.Error("the screen is for guardians; the patient sees their own entry")
	}
}

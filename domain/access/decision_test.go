package access_test

import (
	"testing"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const owner = "patient-1"

func self(level patient.ProofingLevel) access.Subject {
	return access.Subject{Kind: identity.KindPatient, PatientID: owner, Proofing: level}
}

var (
	leeds    = access.Subject{Kind: identity.KindOrganisation, Organisation: "RR8"}
	gp       = access.Subject{Kind: identity.KindOrganisation, Organisation: "B86001"}
	viewer   = access.Subject{Kind: identity.KindViewer, ShareCodeID: "code-1"}
	operator = access.Subject{Kind: identity.KindOperator}
)

// grant is an active grant to RR8 for allergies and medications, changed by edit.
func grant(edit func(*access.Grant)) access.Grant {
	g := access.Grant{ID: "grant-1", PatientID: owner, Organisation: "RR8", Basis: access.BasisGrant,
		Categories: []record.Category{record.Allergies, record.Medications},
		Start:      now.Add(-time.Hour), End: now.Add(24 * time.Hour)}
	if edit != nil {
		edit(&g)
	}
	return g
}

func breakGlass(edit func(*access.Grant)) access.Grant {
	return grant(func(g *access.Grant) {
		g.ID, g.Basis, g.Categories = "glass-1", access.BasisBreakGlass, record.Categories
		g.End = now.Add(3 * time.Hour)
		if edit != nil {
			edit(g)
		}
	})
}

func shareCode(edit func(*access.Grant)) access.Grant {
	return grant(func(g *access.Grant) {
		g.ID, g.Basis, g.Organisation = "code-1", access.BasisShareCode, ""
		if edit != nil {
			edit(g)
		}
	})
}

func TestDecide(t *testing.T) {
	allowing := access.Owner{ID: owner, BreakGlassAllowed: true}
	refusing := access.Owner{ID: owner, BreakGlassAllowed: false}
	cases := []struct {
		name      string
		subject   access.Subject
		owner     access.Owner
		action    access.Action
		category  record.Category
		sensitive bool
		grants    []access.Grant
		basis     access.Basis // "" means denied
		reason    string
	}{
		{name: "a P9 patient reads their own record", subject: self(patient.ProofingP9), basis: access.BasisSelf},
		{name: "a P9 patient reads their own sensitive entry", subject: self(patient.ProofingP9),
			category: record.Conditions, sensitive: true, basis: access.BasisSelf},
		{name: "a P9 patient manages their own access", subject: self(patient.ProofingP9), action: access.Manage, basis: access.BasisSelf},
		{name: "a P5 patient may not read their clinical record", subject: self(patient.ProofingP5), reason: access.DenyIdentityLevel},
		{name: "a P0 patient may not read their clinical record", subject: self(patient.ProofingP0), reason: access.DenyIdentityLevel},
		{name: "another patient may not read the record",
			subject: access.Subject{Kind: identity.KindPatient, PatientID: "patient-2", Proofing: patient.ProofingP9},
			reason:  access.DenyNotYourRecord},
		{name: "an operator never reads clinical data", subject: operator, grants: []access.Grant{grant(nil)}, reason: access.DenyOperator},
		{name: "an operator never manages access", subject: operator, action: access.Manage, reason: access.DenyOperator},
		{name: "an organisation reads a granted category", subject: leeds, category: record.Allergies,
			grants: []access.Grant{grant(nil)}, basis: access.BasisGrant},
		{name: "an organisation sees the scope of its grant", subject: leeds, grants: []access.Grant{grant(nil)}, basis: access.BasisGrant},
		{name: "an organisation may not read a category it was not granted", subject: leeds, category: record.Conditions,
			grants: []access.Grant{grant(nil)}, reason: access.DenyCategory},
		{name: "a sensitive entry is withheld from a grant without sensitive data", subject: leeds, category: record.Allergies,
			sensitive: true, grants: []access.Grant{grant(nil)}, reason: access.DenySensitive},
		{name: "a sensitive entry is disclosed under a grant that includes it", subject: leeds, category: record.Allergies,
			sensitive: true, grants: []access.Grant{grant(func(g *access.Grant) { g.IncludeSensitive = true })}, basis: access.BasisGrant},
		{name: "a grant starting tomorrow does not cover today", subject: leeds,
			grants: []access.Grant{grant(func(g *access.Grant) { g.Start = now.Add(24 * time.Hour) })}, reason: access.DenyNoPermission},
		{name: "a grant starting this instant covers it", subject: leeds,
			grants: []access.Grant{grant(func(g *access.Grant) { g.Start = now })}, basis: access.BasisGrant},
		{name: "a grant ending at this instant no longer covers it", subject: leeds,
			grants: []access.Grant{grant(func(g *access.Grant) { g.End = now })}, reason: access.DenyNoPermission},
		{name: "a grant ending a millisecond from now still covers it", subject: leeds,
			grants: []access.Grant{grant(func(g *access.Grant) { g.End = now.Add(time.Millisecond) })}, basis: access.BasisGrant},
		{name: "a grant revoked a second ago covers nothing", subject: leeds,
			grants: []access.Grant{grant(func(g *access.Grant) { g.RevokedAt = now.Add(-time.Second) })}, reason: access.DenyNoPermission},
		{name: "another organisation's grant covers nothing", subject: gp, grants: []access.Grant{grant(nil)}, reason: access.DenyNoPermission},
		{name: "a grant of another patient's record covers nothing", subject: leeds,
			grants: []access.Grant{grant(func(g *access.Grant) { g.PatientID = "patient-2" })}, reason: access.DenyNoPermission},
		{name: "an organisation never manages access", subject: leeds, action: access.Manage,
			grants: []access.Grant{grant(nil)}, reason: access.DenyOnlyThePatient},
		{name: "an organisation without a grant reads nothing", subject: leeds, reason: access.DenyNoPermission},
		{name: "break-glass covers a category without a grant", subject: leeds, category: record.Conditions,
			grants: []access.Grant{breakGlass(nil)}, basis: access.BasisBreakGlass},
		{name: "break-glass never covers sensitive data", subject: leeds, category: record.Conditions, sensitive: true,
			grants: []access.Grant{breakGlass(nil)}, reason: access.DenySensitive},
		{name: "break-glass ends when the patient switches it off", subject: leeds, owner: refusing,
			grants: []access.Grant{breakGlass(nil)}, reason: access.DenyNoPermission},
		{name: "break-glass at its fourth hour has ended", subject: leeds,
			grants: []access.Grant{breakGlass(func(g *access.Grant) { g.End = now })}, reason: access.DenyNoPermission},
		{name: "an active grant is the basis even beside break-glass", subject: leeds, category: record.Allergies,
			grants: []access.Grant{breakGlass(nil), grant(nil)}, basis: access.BasisGrant},
		{name: "grants still disclose when break-glass is switched off", subject: leeds, owner: refusing,
			grants: []access.Grant{grant(nil)}, basis: access.BasisGrant},
		{name: "a viewer reads what the share code covers", subject: viewer, category: record.Medications,
			grants: []access.Grant{shareCode(nil)}, basis: access.BasisShareCode},
		{name: "a viewer may not read beyond the share code", subject: viewer, category: record.Results,
			grants: []access.Grant{shareCode(nil)}, reason: access.DenyCategory},
		{name: "a viewer of an expired share code reads nothing", subject: viewer,
			grants: []access.Grant{shareCode(func(g *access.Grant) { g.End = now.Add(-time.Minute) })}, reason: access.DenyNoPermission},
		{name: "a viewer of a revoked share code reads nothing", subject: viewer,
			grants: []access.Grant{shareCode(func(g *access.Grant) { g.RevokedAt = now })}, reason: access.DenyNoPermission},
		{name: "a viewer cannot ride on an organisation's grant", subject: viewer,
			grants: []access.Grant{grant(func(g *access.Grant) { g.ID = "code-1" })}, reason: access.DenyNoPermission},
		{name: "an organisation cannot ride on a share code", subject: leeds,
			grants: []access.Grant{shareCode(func(g *access.Grant) { g.Organisation = "RR8" })}, reason: access.DenyNoPermission},
		{name: "a caller of no known kind reads nothing", subject: access.Subject{Kind: "robot"}, reason: access.DenyUnknownSubject},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.owner
			if o.ID == "" {
				o = allowing
			}
			action := c.action
			if action == "" {
				action = access.Read
			}
			d := access.Decide(access.Question{Subject: c.subject, Owner: o, Action: action,
				Category: c.category, Sensitive: c.sensitive, Now: now, Grants: c.grants})
			if d.Allowed != (c.basis != "") || d.Basis != c.basis || (!d.Allowed && d.Reason != c.reason) {
				t.Fatalf("Decide = allowed %v basis %q reason %q; want basis %q reason %q", d.Allowed, d.Basis, d.Reason, c.basis, c.reason)
			}
		})
	}
}

func TestAGrantsScopeSaysWhatIsWithheld(t *testing.T) {
	d := access.Decide(access.Question{Subject: leeds, Owner: access.Owner{ID: owner}, Action: access.Read, Now: now,
		Grants: []access.Grant{grant(nil), grant(func(g *access.Grant) {
			g.ID, g.Categories, g.IncludeSensitive = "grant-2", []record.Category{record.Results}, true
		})}})
	if !d.Allowed || len(d.GrantIDs) != 2 {
		t.Fatalf("two active grants: %+v", d)
	}
	for _, c := range []struct {
		category  record.Category
		sensitive bool
		want      bool
	}{
		{record.Allergies, false, true}, {record.Allergies, true, false},
		{record.Results, true, true}, {record.Conditions, false, false},
	} {
		if got := d.Permits(c.category, c.sensitive); got != c.want {
			t.Errorf("Permits(%s, sensitive %v) = %v, want %v", c.category, c.sensitive, got, c.want)
		}
	}
	if got := d.Categories(); len(got) != 3 || got[0] != record.Allergies || got[2] != record.Results {
		t.Errorf("Categories = %v, want allergies, medications, results in the app's order", got)
	}
	if !d.Withheld.Sensitive || len(d.Withheld.Categories) != len(record.Categories)-3 || d.Whole() {
		t.Errorf("Withheld = %+v", d.Withheld)
	}
	if !access.Decide(access.Question{Subject: self(patient.ProofingP9), Owner: access.Owner{ID: owner}, Action: access.Read, Now: now}).Whole() {
		t.Error("a patient's own decision should cover the whole record")
	}
	if (access.Decision{}).Permits(record.Allergies, false) {
		t.Error("a denial permits nothing")
	}
}

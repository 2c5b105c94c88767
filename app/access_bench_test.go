package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/organisation"
	"github.com/kith-health/kith/domain/record"
)

// BenchmarkDisclosure compares, in one run, the access decision alone with whole
// reads: the patient's own summary and an organisation's (NHS number lookup, grants
// read fresh, decision, audit write), so the cost of consent and audit shows as a
// ratio rather than a wall-clock figure.
func BenchmarkDisclosure(b *testing.B) {
	a, p, self := recordApp(b)
	ctx := context.Background()
	allergy := `{"resourceType":"AllergyIntolerance","id":"a1","code":{"text":"Penicillin"},"patient":{"reference":"Patient/x"}}`
	if _, err := a.Ingest(ctx, p, app.Delivery{Source: "gncr", Data: []byte(allergy)}); err != nil {
		b.Fatal(err)
	}
	if _, err := a.RegisterOrganisation(ctx, identity.Principal{Kind: identity.KindOperator},
		organisation.Registration{ODSCode: "RR8", Name: "Leeds", JWKS: []byte(`{"keys":[]}`)}); err != nil {
		b.Fatal(err)
	}
	g, _, err := a.CreateGrant(ctx, self, app.GrantCommand{Organisation: "RR8", Categories: []record.Category{record.Allergies, record.Medications}})
	if err != nil {
		b.Fatal(err)
	}
	leeds := identity.Principal{Kind: identity.KindOrganisation, ODSCode: "RR8"}
	b.Run("decide", func(b *testing.B) {
		q := access.Question{Subject: access.Subject{Kind: identity.KindOrganisation, Organisation: "RR8"},
			Owner: access.Owner{ID: p.ID, BreakGlassAllowed: true}, Action: access.Read, Now: time.Now(),
			Grants: []access.Grant{g.Grant}}
		for b.Loop() {
			if !access.Decide(q).Allowed {
				b.Fatal("denied")
			}
		}
	})
	b.Run("own-summary", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.RecordSummary(ctx, self, app.RecordRef{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("organisation-summary", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.RecordSummary(ctx, leeds, app.RecordRef{NHSNumber: p.NHSNumber.Value()}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/organisation"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// auditOutage is the real store with one fault: the access log cannot be written.
type auditOutage struct{ app.Store }

func (auditOutage) AppendAccessEvent(context.Context, audit.Event) (audit.Event, error) {
	return audit.Event{}, fmt.Errorf("disk full: %w", fault.ErrUnavailable)
}

// When the access log cannot take the event, nothing is disclosed: to the patient
// or to an organisation, by any read path.
func TestNoDisclosureWithoutItsAccessEvent(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	healthy, err := app.New(store, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	self := identity.Principal{Kind: identity.KindPatient, Patient: patient.Claims{
		Issuer: "https://idp.test", Subject: "outage", NHSNumber: "9990000042", Proofing: patient.ProofingP9}}
	p, err := healthy.Me(ctx, self)
	if err != nil {
		t.Fatal(err)
	}
	allergy := `{"resourceType":"AllergyIntolerance","id":"a1","code":{"text":"Penicillin"},"patient":{"reference":"Patient/x"}}`
	if _, err := healthy.Ingest(ctx, p, app.Delivery{Source: "gncr", Data: []byte(allergy)}); err != nil {
		t.Fatal(err)
	}
	o, _ := organisation.New(organisation.Registration{ODSCode: "RR8", Name: "Leeds", JWKS: []byte(`{"keys":[]}`)}, time.Now())
	if err := store.CreateOrganisation(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, _, err := healthy.CreateGrant(ctx, self, app.GrantCommand{Organisation: "RR8", Categories: []record.Category{record.Allergies}}); err != nil {
		t.Fatal(err)
	}
	heads, _, err := healthy.RecordEntries(ctx, self, app.RecordRef{}, app.EntryQuery{Limit: 10})
	if err != nil || len(heads) != 1 {
		t.Fatalf("entries = %v, %v", heads, err)
	}
	entryID := heads[0].ID

	encode := func(s record.Summary) ([]byte, error) { return []byte(fmt.Sprint(s.Counts)), nil }
	leeds := identity.Principal{Kind: identity.KindOrganisation, ODSCode: "RR8"}
	byNHS := app.RecordRef{NHSNumber: "9990000042"}
	// Both summaries read once, so their docs are kept in the store.
	for _, c := range []struct {
		who identity.Principal
		ref app.RecordRef
	}{{self, app.RecordRef{}}, {leeds, byNHS}} {
		if _, err := healthy.EncodedRecordSummary(ctx, c.who, c.ref, encode); err != nil {
			t.Fatal(err)
		}
	}

	down, err := app.New(auditOutage{store}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, caller := range []struct {
		name string
		who  identity.Principal
		ref  app.RecordRef
	}{{"the patient", self, app.RecordRef{}}, {"an organisation with a grant", leeds, byNHS}} {
		t.Run(caller.name, func(t *testing.T) {
			summary, err := down.RecordSummary(ctx, caller.who, caller.ref)
			wantUnavailable(t, "summary", err, len(summary.Counts) == 0)
			kept, err := down.EncodedRecordSummary(ctx, caller.who, caller.ref, encode)
			wantUnavailable(t, "kept summary doc", err, kept.Doc == nil)
			entries, _, err := down.RecordEntries(ctx, caller.who, caller.ref, app.EntryQuery{Limit: 10})
			wantUnavailable(t, "entries", err, entries == nil)
			entry, err := down.RecordEntry(ctx, caller.who, caller.ref, entryID)
			wantUnavailable(t, "entry", err, entry.Resource == nil)
			export, err := down.ExportRecord(ctx, caller.who, caller.ref)
			wantUnavailable(t, "export", err, export == nil)
			if export != nil {
				export(io.Discard)
			}
		})
	}
	changes, err := down.RecordChanges(ctx, self, "", 10)
	wantUnavailable(t, "changes", err, changes.Changes == nil)
}

func wantUnavailable(t *testing.T, what string, err error, nothing bool) {
	t.Helper()
	if !errors.Is(err, fault.ErrUnavailable) || !nothing {
		t.Errorf("%s without its access event: err %v, nothing disclosed %v", what, err, nothing)
	}
}

package app

import (
	"context"
	"fmt"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// ownRecord is the patient id whose record the caller reads as themself, once their
// identity is proven well enough for clinical data. (Guardians reading a child's
// record come with guardianships.)
func ownRecord(caller identity.Principal) (string, error) {
	if caller.Kind != identity.KindPatient {
		return "", fmt.Errorf("only patients have a record of their own: %w", fault.ErrForbidden)
	}
	if err := caller.Patient.Proofing.Require(patient.NeedForClinicalData); err != nil {
		return "", err
	}
	return patient.IDFor(caller.Patient.Issuer, caller.Patient.Subject), nil
}

// RecordSummary is the caller's own summary: one store read.
func (a *App) RecordSummary(ctx context.Context, caller identity.Principal) (record.Summary, error) {
	id, err := ownRecord(caller)
	if err != nil {
		return record.Summary{}, err
	}
	return a.store.Summary(ctx, id)
}

// RecordEntries lists the caller's own entries, newest first, without resources.
func (a *App) RecordEntries(ctx context.Context, caller identity.Principal, q EntryQuery) ([]record.Entry, string, error) {
	id, err := ownRecord(caller)
	if err != nil {
		return nil, "", err
	}
	if q.Category != "" && !record.KnownCategory(q.Category) {
		return nil, "", fault.Invalid("category", "oneof categories")
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return nil, "", fault.Invalid("until", "after since")
	}
	return a.store.EntryHeads(ctx, id, q)
}

// RecordEntry reads one of the caller's own entries with its resource.
func (a *App) RecordEntry(ctx context.Context, caller identity.Principal, entryID string) (record.Entry, error) {
	id, err := ownRecord(caller)
	if err != nil {
		return record.Entry{}, err
	}
	return a.store.EntryForDisclosure(ctx, id, entryID)
}

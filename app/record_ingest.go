package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// IngestReport says what one delivery changed.
type IngestReport struct {
	Received  int
	Created   int
	Updated   int
	Unchanged int
}

// entryChange is one entry before and after a write, for the summary.
type entryChange struct {
	before *record.Entry
	after  record.Entry
}

// Ingest is the one path every source's resources take into a patient's record: an
// exchange pull, the patient's own upload, the demo data. The whole delivery is
// checked before anything is written, so bad input stores nothing. Delivering the
// same input again changes nothing.
func (a *App) Ingest(ctx context.Context, p patient.Patient, source string, data []byte) (IngestReport, error) {
	incoming, err := record.ParseInput(data, a.limits.MaxResourceBytes)
	if err != nil {
		return IngestReport{}, err
	}
	now := a.now()
	keys := record.DeliveryIdentifierKeys(incoming)
	report := IngestReport{Received: len(incoming)}
	var changes []entryChange
	for i, in := range incoming {
		e := a.newEntry(p, source, in, keys[i], now)
		before, after, change, err := a.mergeEntry(ctx, e)
		if err != nil {
			return report, fmt.Errorf("entry %d: %w", in.Index, err)
		}
		switch change {
		case record.Created:
			report.Created++
		case record.Unchanged:
			report.Unchanged++
			continue
		default:
			report.Updated++
		}
		changes = append(changes, entryChange{before, after})
	}
	return report, a.applyToSummary(ctx, p.ID, changes)
}

// newEntry builds the entry one delivered resource would be, before merging.
func (a *App) newEntry(p patient.Patient, source string, in record.Incoming, idKey string, now time.Time) record.Entry {
	sourceID := sourceIDOf(in)
	sensitive, labels := a.sensitivity.Classify(in.Raw)
	e := record.Entry{
		ID:             record.EntryID(p.ID, in.ResourceType, idKey, source, sourceID),
		PatientID:      p.ID,
		ResourceType:   in.ResourceType,
		Provenances:    []record.Provenance{{Source: source, SourceID: sourceID, FullURL: in.FullURL, ReceivedAt: now}},
		IdentifierKey:  idKey,
		Version:        record.VersionOf(in.Raw),
		Category:       record.CategoryOf(in.ResourceType, in.Raw),
		Sensitive:      sensitive,
		SecurityLabels: labels,
		Hash:           record.Hash(in.Raw),
		Resource:       in.Raw,
		Display:        record.DisplayOf(in.ResourceType, in.Raw),
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if in.ResourceType == "Patient" && source == record.PatientSource && !matchesAccount(p, in.Raw) {
		e.Flags = append(e.Flags, record.IdentityMismatch)
	}
	return e
}

// sourceIDOf is how the source names a resource: its absolute fullUrl when it has
// one (one delivery may hold Observation/14 from two servers), else its id, else its
// urn:uuid fullUrl, else, for an anonymous resource, its content.
func sourceIDOf(in record.Incoming) string {
	switch {
	case strings.HasPrefix(in.FullURL, "https://") || strings.HasPrefix(in.FullURL, "http://"):
		return in.FullURL
	case in.ID != "":
		return in.ID
	case in.FullURL != "":
		return in.FullURL
	default:
		return "sha256:" + record.Hash(in.Raw)
	}
}

// matchesAccount: an uploaded Patient that states an NHS number or birth date must
// state the account's. Stating neither is no mismatch.
func matchesAccount(p patient.Patient, raw []byte) bool {
	nhs, dob := record.PatientIdentity(raw)
	nhs = strings.ReplaceAll(nhs, " ", "")
	return (nhs == "" || nhs == p.NHSNumber.Value()) && (dob == "" || dob == p.BirthDate.Value())
}

// mergeEntry merges e into what is stored and writes the result with compare-and-set,
// re-reading when another writer got there first.
func (a *App) mergeEntry(ctx context.Context, e record.Entry) (*record.Entry, record.Entry, record.Change, error) {
	for range maxChainRetries {
		var before *record.Entry
		existing, err := a.store.EntryState(ctx, e.PatientID, e.ID)
		switch {
		case err == nil:
			before = &existing
		case !errors.Is(err, fault.ErrNotFound):
			return nil, record.Entry{}, "", err
		}
		merged, change := record.Merge(before, e)
		if change == record.Unchanged {
			return before, merged, change, nil
		}
		var expect int64
		if before != nil {
			expect = before.Revision
		}
		stored, err := a.store.PutEntry(ctx, merged, expect)
		if err == nil {
			return before, stored, change, nil
		}
		if !errors.Is(err, fault.ErrConflict) {
			return nil, record.Entry{}, "", err
		}
	}
	return nil, record.Entry{}, "", fmt.Errorf("entry kept changing under us: %w", fault.ErrUnavailable)
}

// applyToSummary folds the changes into the patient's summary with compare-and-set.
func (a *App) applyToSummary(ctx context.Context, patientID string, changes []entryChange) error {
	if len(changes) == 0 {
		return nil
	}
	for range maxChainRetries {
		s, err := a.store.Summary(ctx, patientID)
		if err != nil {
			return err
		}
		s.PatientID = patientID
		for _, c := range changes {
			s.Apply(c.before, c.after)
		}
		_, err = a.store.SaveSummary(ctx, s)
		if !errors.Is(err, fault.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("summary kept changing under us: %w", fault.ErrUnavailable)
}

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

// Delivery is one batch of resources from one source for one patient's record.
type Delivery struct {
	Source string
	Data   []byte
	// KeepMismatched keeps a delivery whose Patient contradicts the account's NHS
	// number or birth date, every resource of it flagged identity-mismatch, instead
	// of refusing it.
	KeepMismatched bool
	// Base is the FHIR base URL of an exchange the delivery was pulled from: the
	// resources' absolute fullUrls under it are kept relative ("Observation/42"),
	// so an exchange that moves host still names its resources the same.
	Base string
}

// IngestReport says what one delivery changed.
type IngestReport struct {
	Received  int
	Created   int
	Updated   int
	Unchanged int
	// Created, by summary section, so a pull can tell the patient of new results.
	CreatedIn map[record.Section]int
	// SourceIDs lists how the source names each resource delivered, in order.
	SourceIDs []string
}

// Ingest is the one path every source's resources take into a patient's record: an
// exchange pull, the patient's own upload, the demo data. The whole delivery is
// checked before anything is written, so bad input stores nothing; then each entry
// is one conditional write, and since the summary is read from the entries there
// is nothing else to keep in step. A delivery cut short anywhere (a crash, a
// cancelled context, a store error) leaves a record that is right as far as it
// goes, and delivering the same input again finishes it.
func (a *App) Ingest(ctx context.Context, p patient.Patient, d Delivery) (IngestReport, error) {
	incoming, err := record.ParseInput(d.Data, a.limits.MaxResourceBytes)
	if err != nil {
		return IngestReport{}, err
	}
	var flags []string
	if err := record.IdentityConflicts(incoming, p.NHSNumber.Value(), p.BirthDate.Value()); err != nil {
		if !d.KeepMismatched {
			return IngestReport{}, err
		}
		flags = []string{record.IdentityMismatch}
	}
	var lookupErr error
	found := map[[3]string]string{} // a Synthea bundle names the same practitioner hundreds of times
	incoming = record.ResolveConditionalReferences(incoming, func(resourceType, system, value string) (string, bool) {
		key := [3]string{resourceType, system, value}
		if ref, seen := found[key]; seen {
			return ref, ref != ""
		}
		ref, err := a.referenceInRecord(ctx, p.ID, resourceType, system, value)
		if err != nil && lookupErr == nil {
			lookupErr = err
		}
		found[key] = ref
		return ref, ref != ""
	})
	if lookupErr != nil {
		return IngestReport{}, lookupErr
	}

	now := a.now()
	keys := record.DeliveryIdentifierKeys(incoming)
	medicines := medicinesIn(incoming)
	report := IngestReport{Received: len(incoming), CreatedIn: map[record.Section]int{}}
	for i, in := range incoming {
		// Between entries is a clean point to stop: what is stored is whole.
		if err := ctx.Err(); err != nil {
			return report, fmt.Errorf("delivery stopped after %d of %d entries: %w", i, len(incoming), err)
		}
		e := a.newEntry(p, d, in, keys[i], flags, now)
		report.SourceIDs = append(report.SourceIDs, e.Provenances[0].SourceID)
		if err := a.nameMedicine(ctx, &e, medicines); err != nil {
			return report, fmt.Errorf("entry %d: %w", in.Index, err)
		}
		change, err := a.mergeEntry(ctx, e)
		if err != nil {
			return report, fmt.Errorf("entry %d: %w", in.Index, err)
		}
		switch change {
		case record.Created:
			report.Created++
			report.CreatedIn[e.Clinical.Section]++
		case record.Unchanged:
			report.Unchanged++
		default:
			report.Updated++
		}
	}
	return report, nil
}

// newEntry builds the entry one delivered resource would be, before merging.
func (a *App) newEntry(p patient.Patient, d Delivery, in record.Incoming, idKey string, flags []string, now time.Time) record.Entry {
	source, sourceID := d.Source, sourceIDOf(in, d.Base)
	sensitive, labels := a.sensitivity.Classify(in.Raw)
	display, clinical := record.Read(in.ResourceType, in.Raw, flags)
	return record.Entry{
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
		Display:        display,
		Clinical:       clinical,
		Flags:          flags,
		CreatedAt:      now,
		UpdatedAt:      now,
	}
}

// sourceIDOf is how the source names a resource: its absolute fullUrl when it has
// one (one delivery may hold Observation/14 from two servers), else its id, else its
// urn:uuid fullUrl, else, for an anonymous resource, its content. A fullUrl under
// base (the exchange's FHIR base) is kept relative to it.
func sourceIDOf(in record.Incoming, base string) string {
	switch {
	case base != "" && strings.HasPrefix(in.FullURL, base+"/"):
		return strings.TrimPrefix(in.FullURL, base+"/")
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

// mergeEntry merges e into what is stored and writes the result with compare-and-set,
// re-reading when another writer got there first.
func (a *App) mergeEntry(ctx context.Context, e record.Entry) (record.Change, error) {
	for range maxChainRetries {
		var before *record.Entry
		existing, err := a.store.EntryState(ctx, e.PatientID, e.ID)
		switch {
		case err == nil:
			before = &existing
		case !errors.Is(err, fault.ErrNotFound):
			return "", err
		}
		merged, change := record.Merge(before, e)
		if change == record.Unchanged {
			return change, nil
		}
		var expect int64
		if before != nil {
			expect = before.Revision
		}
		_, err = a.store.PutEntry(ctx, merged, expect)
		if err == nil {
			return change, nil
		}
		if !errors.Is(err, fault.ErrConflict) {
			return "", err
		}
	}
	return "", fmt.Errorf("entry kept changing under us: %w", fault.ErrUnavailable)
}

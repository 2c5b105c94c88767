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
	// SourcePatient is the source's id of the patient a pulled delivery is for:
	// a resource about another Patient refuses the whole delivery.
	SourcePatient string
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
	if d.SourcePatient != "" {
		if err := record.SubjectConflicts(incoming, d.SourcePatient); err != nil {
			return IngestReport{}, err
		}
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
	build := func(ctx context.Context, start int) ([]record.Entry, error) {
		batch := incoming[start:min(start+ingestBatch, len(incoming))]
		built := make([]record.Entry, len(batch))
		for j, in := range batch {
			built[j] = a.newEntry(p, d, in, keys[start+j], flags, now)
			if err := a.nameMedicine(ctx, &built[j], medicines); err != nil {
				return nil, fmt.Errorf("entry %d: %w", in.Index, err)
			}
		}
		return built, nil
	}
	// The next batch is built while this one is written: examining resources and
	// SQLite's writing each keep one core busy.
	next, stop := ingestPipeline(ctx, len(incoming), build)
	defer stop()
	for start := 0; start < len(incoming); start += ingestBatch {
		// Between batches is a clean point to stop: what is stored is whole.
		if err := ctx.Err(); err != nil {
			return report, fmt.Errorf("delivery stopped after %d of %d entries: %w", start, len(incoming), err)
		}
		built, err := next()
		if err != nil {
			return report, err
		}
		for _, e := range built {
			report.SourceIDs = append(report.SourceIDs, e.Provenances[0].SourceID)
		}
		changes, err := a.mergeEntries(ctx, p.ID, built)
		if err != nil {
			first, last := incoming[start], incoming[start+len(built)-1]
			return report, fmt.Errorf("entries %d to %d: %w", first.Index, last.Index, err)
		}
		for j, change := range changes {
			switch change {
			case record.Created:
				report.Created++
				report.CreatedIn[built[j].Clinical.Section]++
			case record.Unchanged:
				report.Unchanged++
			default:
				report.Updated++
			}
		}
	}
	return report, nil
}

// ingestPipeline builds the batches of n entries, ingestBatch at a time, one
// ahead of the caller: next answers them in order. A build that fails ends the
// pipeline with its error. stop cancels the build under way and returns once the
// builder has gone, so nothing of a delivery runs after its request.
func ingestPipeline(ctx context.Context, n int, build func(ctx context.Context, start int) ([]record.Entry, error)) (next func() ([]record.Entry, error), stop func()) {
	type built struct {
		entries []record.Entry
		err     error
	}
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan built, 1)
	go func() {
		defer close(out)
		for start := 0; start < n; start += ingestBatch {
			es, err := build(ctx, start)
			select {
			case out <- built{es, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return func() ([]record.Entry, error) {
			b, ok := <-out
			if !ok {
				return nil, fmt.Errorf("delivery stopped: %w", context.Cause(ctx))
			}
			return b.entries, b.err
		}, func() {
			cancel()
			for range out { // until the builder closes it
			}
		}
}

// ingestBatch is how many entries are read and written together: one read of
// what is stored and one batch write (one commit on SQLite) per batch. 250 was
// half again as fast as 100; 500 faster still, but holds SQLite's one writer
// for about 20 ms, which every audited read behind it would wait.
const ingestBatch = 250

// mergeEntries merges each entry into what is stored and writes the changed ones
// with one PutEntries. An entry the batch names twice (two resources with one
// business identifier) merges in order, as one by one would. When another writer
// got to one first, the entries the batch did not write are merged one by one.
func (a *App) mergeEntries(ctx context.Context, patientID string, es []record.Entry) ([]record.Change, error) {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	stored, err := a.store.EntryStates(ctx, patientID, ids)
	if err != nil {
		return nil, err
	}
	changes := make([]record.Change, len(es))
	putOf := make([]int, len(es)) // which put holds entry i's write, -1 for none
	puts := make([]EntryPut, 0, len(es))
	pending := map[string]int{} // entry id -> index in puts
	for i, e := range es {
		putOf[i] = -1
		if k, ok := pending[e.ID]; ok {
			merged, change := record.Merge(&puts[k].Entry, e)
			changes[i] = laterChange(change)
			if change != record.Unchanged {
				puts[k].Entry, putOf[i] = merged, k
			}
			continue
		}
		var before *record.Entry
		var expect int64
		if s, ok := stored[e.ID]; ok {
			before, expect = &s, s.Revision
		}
		merged, change := record.Merge(before, e)
		changes[i] = change
		if change == record.Unchanged {
			continue
		}
		pending[e.ID], putOf[i] = len(puts), len(puts)
		puts = append(puts, EntryPut{Entry: merged, Expect: expect})
	}
	n, err := a.store.PutEntries(ctx, puts)
	if err == nil {
		return changes, nil
	}
	if !errors.Is(err, fault.ErrConflict) {
		return nil, err
	}
	for i, e := range es {
		if putOf[i] < n {
			continue // written by the batch, or nothing to write
		}
		if changes[i], err = a.mergeEntry(ctx, e); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

// laterChange is what a second delivery of one fact in a batch did: the first
// created the entry, so the second at most updated it.
func laterChange(c record.Change) record.Change {
	if c == record.Created {
		return record.Updated
	}
	return c
}

// newEntry builds the entry one delivered resource would be, before merging.
func (a *App) newEntry(p patient.Patient, d Delivery, in record.Incoming, idKey string, flags []string, now time.Time) record.Entry {
	source, sourceID := d.Source, sourceIDOf(in, d.Base)
	x := record.Examine(in.ResourceType, in.Raw, a.sensitivity, flags)
	return record.Entry{
		ID:             record.EntryID(p.ID, in.ResourceType, idKey, source, sourceID),
		PatientID:      p.ID,
		ResourceType:   in.ResourceType,
		Provenances:    []record.Provenance{{Source: source, SourceID: sourceID, FullURL: in.FullURL, ReceivedAt: now}},
		IdentifierKey:  idKey,
		Version:        x.Version,
		Category:       x.Category,
		Sensitive:      x.Sensitive,
		SecurityLabels: x.Labels,
		Hash:           record.Hash(in.Raw),
		Resource:       in.Raw,
		Display:        x.Display,
		Clinical:       x.Clinical,
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

// maxRetries bounds how often a compare-and-set write re-reads when other writers
// keep getting there first; hitting it means heavy contention on one entry, and the
// caller gets ErrUnavailable rather than a silent overwrite.
const maxRetries = 20

// mergeEntry merges e into what is stored and writes the result with compare-and-set,
// re-reading when another writer got there first.
func (a *App) mergeEntry(ctx context.Context, e record.Entry) (record.Change, error) {
	for range maxRetries {
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

package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// RebuildReport says what rebuilding one patient's entries changed.
type RebuildReport struct {
	PatientID string
	Entries   int // live entries read
	Changed   int // entries whose reading changed, and were written again
}

// RebuildSummaries reads every live entry's resource again with the rules of this
// version (display, clinical reading, medicine names) and writes back each entry
// whose reading changed, with compare-and-set. The summary is read from those
// readings, so this is how an upgrade that improves the rules (or a store
// restored from entries written by an older version) brings every summary up to
// date. One patient (patientID) or all; idempotent, and safe beside live traffic:
// an entry changed meanwhile is read again.
func (a *App) RebuildSummaries(ctx context.Context, patientID string, report func(RebuildReport) error) error {
	return a.eachPatient(ctx, patientID, func(id string) error {
		r, err := a.rebuildRecord(ctx, id)
		if err != nil {
			return err
		}
		return report(r)
	})
}

func (a *App) rebuildRecord(ctx context.Context, patientID string) (RebuildReport, error) {
	r := RebuildReport{PatientID: patientID}
	err := a.store.EachEntryForDisclosure(ctx, patientID, func(e record.Entry) error {
		r.Entries++
		changed, err := a.reread(ctx, e)
		if changed {
			r.Changed++
		}
		return err
	})
	return r, err
}

// reread writes e back with the current reading of its resource, if that differs.
func (a *App) reread(ctx context.Context, e record.Entry) (bool, error) {
	for range maxRetries {
		fresh := e
		fresh.Display, fresh.Clinical = record.Read(e.ResourceType, e.Resource, e.Flags)
		if err := a.nameMedicine(ctx, &fresh, nil); err != nil {
			return false, err
		}
		if record.SameReading(e, fresh) {
			return false, nil
		}
		_, err := a.store.PutEntry(ctx, fresh, e.Revision)
		if !errors.Is(err, fault.ErrConflict) {
			return err == nil, err
		}
		if e, err = a.store.EntryState(ctx, e.PatientID, e.ID); err != nil || e.Deleted {
			return false, err
		}
	}
	return false, fmt.Errorf("entry kept changing under us: %w", fault.ErrUnavailable)
}

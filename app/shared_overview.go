package app

import (
	"context"
	"time"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// SharedOverview is what a share-code viewer sees first: who the patient is, so
// the right person is confirmed, and the summary of what was shared.
type SharedOverview struct {
	Patient   patient.Patient
	Summary   record.Summary
	Label     string
	ExpiresAt time.Time
}

// SharedRecordOverview reads the overview for a viewer session: one decision, one
// audit event, then the patient's identity and the summary within the code's scope.
func (a *App) SharedRecordOverview(ctx context.Context, caller identity.Principal) (SharedOverview, error) {
	r, err := a.openRead(ctx, caller, RecordRef{}, "record.summary.read")
	if err != nil {
		return SharedOverview{}, err
	}
	p, err := a.store.Patient(ctx, r.ownerID)
	if err != nil {
		return SharedOverview{}, err
	}
	s, err := a.summaryFor(ctx, r, true)
	if err != nil {
		return SharedOverview{}, err
	}
	if err := a.disclose(ctx, r, audit.Event{Action: "record.summary.read"}); err != nil {
		return SharedOverview{}, err
	}
	return SharedOverview{Patient: p, Summary: s, Label: caller.Viewer.Label,
		ExpiresAt: caller.Viewer.ExpiresAt}, nil
}

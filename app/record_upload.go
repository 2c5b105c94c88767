package app

import (
	"context"

	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/record"
)

// UploadRecord adds what the patient holds (a discharge letter bundle, an IPS) to
// their own record, through the same path as every source, with source "patient".
func (a *App) UploadRecord(ctx context.Context, caller identity.Principal, data []byte) (IngestReport, error) {
	if _, err := ownRecordToManage(caller, a.now()); err != nil {
		return IngestReport{}, err
	}
	p, err := a.Me(ctx, caller)
	if err != nil {
		return IngestReport{}, err
	}
	return a.Ingest(ctx, p, record.PatientSource, data)
}

package app

import (
	"context"

	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/record"
)

// UploadRecord adds what the patient holds (a discharge letter bundle, an IPS) to
// their own record, through the same path as every source, with source "patient".
// keepMismatched keeps a bundle whose Patient is not the account holder, flagged
// (see Delivery).
func (a *App) UploadRecord(ctx context.Context, caller identity.Principal, data []byte, keepMismatched bool) (IngestReport, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return IngestReport{}, err
	}
	p, err := a.ownerAccount(ctx, m)
	if err != nil {
		return IngestReport{}, err
	}
	return a.Ingest(ctx, p, Delivery{Source: record.PatientSource, Data: data, KeepMismatched: keepMismatched})
}

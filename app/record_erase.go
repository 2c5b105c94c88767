package app

import (
	"context"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
)

// EraseConfirmation must be sent, exactly, to erase a record: a deliberate act, never
// a stray request.
const EraseConfirmation = "erase my record"

// EraseRecord deletes every entry of the caller's own record and its summary. The
// access log keeps a note that it happened and when, nothing of what was erased.
// Erasing an empty record is fine: the request may be retried.
func (a *App) EraseRecord(ctx context.Context, caller identity.Principal, confirm string) error {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return err
	}
	if m.guardian() {
		// Erasure is the patient's own choice; no guardian makes it for them.
		return fault.Denied(access.DenyOnlyThePatient)
	}
	id := m.ownerID
	if confirm != EraseConfirmation {
		return fault.Invalid("confirm", "eq="+EraseConfirmation)
	}
	if err := a.store.EraseRecord(ctx, id); err != nil {
		return err
	}
	// Kept inputs and docs of an erased record are never used again (its mark has moved
	// on), but nothing of it should stay in memory either. Another node forgets
	// them at its next read of the record, or as they age out.
	a.summaries.forget(id)
	a.forgetDocs(id)
	return a.recordChange(ctx, m, audit.Event{Action: "record.erased", Outcome: "erased"})
}

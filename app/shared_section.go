package app

import (
	"context"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// SharedSectionQuery asks for one page of one summary section of a shared record.
type SharedSectionQuery struct {
	Section record.Section
	// State is StateCurrent or StatePast; "" is StateCurrent.
	State  EntryState
	Cursor string
	Limit  int
}

// SharedSectionPage is one page of a section as a share-code viewer sees it: the
// patient (for the banner), the section's true counts beyond this page, and the
// page's entries, newest first.
type SharedSectionPage struct {
	Patient patient.Patient
	// Section carries the counts the summary gives the section; its Items are empty.
	Section   record.SectionSummary
	Entries   []record.Entry
	Next      string // the cursor of the next page, "" on the last
	Label     string
	ExpiresAt time.Time
}

// SharedSection reads one page of a section for a viewer session: one decision,
// one audit event (that of listing the section's entries), then the patient and
// the section's counts, from the same tally as the summary, so the two always
// agree. A section outside the code's scope is audited as denied and answered
// with a fault.DeniedError, its counts unread; an unknown section or state is a
// fault.ValidationError. A session whose code has ended is fault.ErrNotFound.
func (a *App) SharedSection(ctx context.Context, caller identity.Principal, q SharedSectionQuery) (SharedSectionPage, error) {
	if caller.Kind != identity.KindViewer {
		return SharedSectionPage{}, fault.ErrForbidden
	}
	if !record.KnownSection(q.Section) {
		return SharedSectionPage{}, fault.Invalid("section", "oneof sections")
	}
	if q.State == "" {
		q.State = StateCurrent
	}
	eq := EntryQuery{Section: q.Section, State: q.State, Cursor: q.Cursor, Limit: q.Limit}
	if err := eq.check(); err != nil {
		return SharedSectionPage{}, err
	}
	r, err := a.openRead(ctx, caller, RecordRef{}, "record.entries.listed")
	if err != nil {
		return SharedSectionPage{}, err
	}
	page := SharedSectionPage{Label: caller.Viewer.Label, ExpiresAt: caller.Viewer.ExpiresAt}
	if page.Entries, page.Next, err = a.listEntries(ctx, r, eq); err != nil {
		return SharedSectionPage{}, err
	}
	if page.Patient, err = a.store.Patient(ctx, r.ownerID); err != nil {
		return SharedSectionPage{}, err
	}
	t, err := a.store.RecordTally(ctx, r.ownerID)
	if err != nil {
		return SharedSectionPage{}, err
	}
	for _, s := range record.Summarise(r.ownerID, t, nil, nil, r.decision.Permits).Sections {
		if s.Section == q.Section {
			page.Section = s
		}
	}
	return page, nil
}

package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
)

// ReportAccess flags one of the caller's access events as one they do not
// recognise, with an optional note, so operators and the organisation concerned
// see it. Reporting again keeps the first report.
func (a *App) ReportAccess(ctx context.Context, caller identity.Principal, eventID, note string) (AccessLogItem, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return AccessLogItem{}, err
	}
	owner := m.ownerID
	note = strings.TrimSpace(note)
	if len(note) > 1000 {
		return AccessLogItem{}, fault.Invalid("note", "max=1000")
	}
	e, err := a.store.ReportAccessEvent(ctx, owner, eventID, audit.Report{At: patient.Timestamp(a.now()), Note: note})
	if err != nil {
		return AccessLogItem{}, err
	}
	return AccessLogItem{Event: e, Description: DescribeEvent(e)}, nil
}

// ReportedAccess is a reported event as someone who must look into it sees it:
// the event and the NHS number of the patient whose record it was.
type ReportedAccess struct {
	audit.Event
	NHSNumber patient.NHSNumber
}

// maxReports bounds one listing; reports are rare, and each needs a person.
const maxReports = 500

// AccessReports lists reported events, most recently reported first: every one
// for operators, only its own for an organisation.
func (a *App) AccessReports(ctx context.Context, caller identity.Principal) ([]ReportedAccess, error) {
	organisation := ""
	switch caller.Kind {
	case identity.KindOperator:
	case identity.KindOrganisation:
		organisation = caller.ODSCode
	default:
		return nil, fmt.Errorf("operators and organisations only: %w", fault.ErrForbidden)
	}
	events, err := a.store.ReportedAccessEvents(ctx, organisation, maxReports)
	if err != nil {
		return nil, err
	}
	out := make([]ReportedAccess, len(events))
	for i, e := range events {
		out[i].Event = e
		p, err := a.store.Patient(ctx, e.PatientID)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return nil, err
		}
		out[i].NHSNumber = p.NHSNumber
	}
	return out, nil
}

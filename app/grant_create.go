package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/organisation"
	"github.com/kith-health/kith/domain/record"
)

// GrantCommand is a patient's request to let an organisation see some of their record.
type GrantCommand struct {
	Organisation     string
	Categories       []record.Category
	IncludeSensitive bool
	Start, End       time.Time
	// IdempotencyKey is the client's key: a retried request with the same key
	// finds the grant the first made.
	IdempotencyKey string
}

// GrantView is a grant as the patient reads it, with the organisation's name.
type GrantView struct {
	access.Grant
	OrganisationName string
	Status           access.Status
}

// CreateGrant lets a registered organisation read the chosen categories of the
// caller's record, for direct care, from now (or Start) until End (a year by
// default, at most five). It reports whether this call created the grant: false
// when a retry with the same Idempotency-Key found the first. A key reused for a
// different request is a conflict.
func (a *App) CreateGrant(ctx context.Context, caller identity.Principal, c GrantCommand) (GrantView, bool, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return GrantView{}, false, err
	}
	owner := m.ownerID
	if err := m.within(c.Categories, c.IncludeSensitive); err != nil {
		return GrantView{}, false, err
	}
	if len(c.IdempotencyKey) > 255 {
		return GrantView{}, false, fault.Invalid("Idempotency-Key", "max=255")
	}
	code, err := organisation.ParseODSCode(c.Organisation)
	if err != nil {
		return GrantView{}, false, fault.Invalid("organisation", "ods")
	}
	org, err := a.store.Organisation(ctx, code)
	if errors.Is(err, fault.ErrNotFound) {
		return GrantView{}, false, fault.Invalid("organisation", "registered")
	}
	if err != nil {
		return GrantView{}, false, err
	}
	req := access.GrantRequest{ID: a.newID(), PatientID: owner, Organisation: code, Categories: c.Categories,
		IncludeSensitive: c.IncludeSensitive, Start: c.Start, End: c.End, IdempotencyKey: c.IdempotencyKey,
		CreatedBy: m.actorID()}
	g, err := access.NewGrant(req, a.now())
	if err != nil {
		return GrantView{}, false, err
	}
	stored, created, err := a.store.CreateGrant(ctx, g)
	if err != nil {
		return GrantView{}, false, err
	}
	view := GrantView{Grant: stored, OrganisationName: org.Name, Status: stored.StatusAt(a.now())}
	if !created {
		if !stored.SameRequest(req) {
			return GrantView{}, false, fmt.Errorf("Idempotency-Key was used for another grant: %w", fault.ErrConflict)
		}
		return view, false, nil
	}
	err = a.recordChange(ctx, m, audit.Event{Action: "grant.created", Categories: categoryNames(stored.Categories),
		GrantIDs: []string{stored.ID}, Query: grantTerms(stored)})
	return view, true, err
}

// grantTerms is what the access log keeps of a grant's terms.
func grantTerms(g access.Grant) string {
	return fmt.Sprintf("organisation=%s&includeSensitive=%t&start=%s&end=%s", g.Organisation, g.IncludeSensitive,
		g.Start.Format(time.RFC3339), g.End.Format(time.RFC3339))
}

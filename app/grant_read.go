package app

import (
	"context"
	"errors"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
)

// Grants lists the caller's grants and the break-glass accesses taken to their
// record, in force or not, newest first: the history of who was let in.
func (a *App) Grants(ctx context.Context, caller identity.Principal) ([]GrantView, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return nil, err
	}
	owner := m.ownerID
	grants, err := a.store.Grants(ctx, owner)
	if err != nil {
		return nil, err
	}
	views := make([]GrantView, len(grants))
	names := map[string]string{}
	for i, g := range grants {
		if views[i], err = a.viewGrant(ctx, g, names); err != nil {
			return nil, err
		}
	}
	return views, nil
}

// Grant reads one of the caller's grants.
func (a *App) Grant(ctx context.Context, caller identity.Principal, id string) (GrantView, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return GrantView{}, err
	}
	owner := m.ownerID
	g, err := a.store.Grant(ctx, owner, id)
	if err != nil {
		return GrantView{}, err
	}
	return a.viewGrant(ctx, g, map[string]string{})
}

// viewGrant adds the organisation's name, remembering names in names so a list
// reads each organisation once.
func (a *App) viewGrant(ctx context.Context, g access.Grant, names map[string]string) (GrantView, error) {
	name, ok := names[g.Organisation]
	if !ok {
		o, err := a.store.Organisation(ctx, g.Organisation)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return GrantView{}, err
		}
		name = o.Name
		names[g.Organisation] = name
	}
	return GrantView{Grant: g, OrganisationName: name, Status: g.StatusAt(a.now())}, nil
}

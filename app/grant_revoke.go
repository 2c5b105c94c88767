package app

import (
	"context"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/identity"
)

// RevokeGrant ends one of the caller's grants (or a break-glass access to their
// record) now. When it returns, the organisation's next request is refused: reads
// take grants from the store every time, and no cache sits between. Revoking again
// changes nothing and writes no second event.
func (a *App) RevokeGrant(ctx context.Context, caller identity.Principal, id string) (GrantView, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return GrantView{}, err
	}
	owner := m.ownerID
	already := false
	g, err := a.store.UpdateGrant(ctx, owner, id, func(g *access.Grant) error {
		already = !g.RevokedAt.IsZero()
		g.Revoke(m.actorID(), a.now())
		return nil
	})
	if err != nil {
		return GrantView{}, err
	}
	if !already {
		err := a.recordChange(ctx, m, audit.Event{Action: "grant.revoked", Categories: categoryNames(g.Categories),
			GrantIDs: []string{g.ID}, Query: "organisation=" + g.Organisation})
		if err != nil {
			return GrantView{}, err
		}
	}
	return a.viewGrant(ctx, g, map[string]string{})
}

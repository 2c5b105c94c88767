package app

import (
	"context"
	"errors"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/exchange"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
)

// LinkCommand is a patient's consent that Kith pulls their record from an exchange.
type LinkCommand struct {
	Exchange string
	// AlertNewResults asks for a push when a pull brings new results (off by
	// default; the push says only that something arrived).
	AlertNewResults bool
}

// LinkView is a link as the patient's app shows it.
type LinkView struct {
	exchange.Link
	ExchangeName string
}

// LinkExchange links the caller's record to an exchange: their consent, audited,
// that Kith pulls what the exchange holds under their NHS number. The link is due
// at once. It reports whether this call made the link: linking again finds the
// first and changes nothing.
func (a *App) LinkExchange(ctx context.Context, caller identity.Principal, c LinkCommand) (LinkView, bool, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return LinkView{}, false, err
	}
	owner := m.ownerID
	if c.Exchange == "" || len(c.Exchange) > 63 {
		return LinkView{}, false, fault.Invalid("exchange", "required,max=63")
	}
	if _, err := a.ownerAccount(ctx, m); err != nil { // the pull needs the account's NHS number
		return LinkView{}, false, err
	}
	x, err := a.store.Exchange(ctx, c.Exchange)
	if errors.Is(err, fault.ErrNotFound) || (err == nil && x.Status != exchange.Active) {
		return LinkView{}, false, fault.Invalid("exchange", "registered and active")
	}
	if err != nil {
		return LinkView{}, false, err
	}
	l, created, err := a.store.CreateLink(ctx, exchange.NewLink(a.newID(), owner, x.ID, c.AlertNewResults, a.now()))
	if err != nil {
		return LinkView{}, false, err
	}
	if created {
		if err := a.recordChange(ctx, m, audit.Event{Action: "exchange.linked", Query: "exchange=" + x.ID}); err != nil {
			return LinkView{}, false, err
		}
		a.wakeScheduler()
	}
	return a.viewLink(l, x), created, nil
}

// ExchangeLinks lists the caller's links, oldest first, each with its status.
func (a *App) ExchangeLinks(ctx context.Context, caller identity.Principal) ([]LinkView, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return nil, err
	}
	owner := m.ownerID
	links, err := a.store.Links(ctx, owner)
	if err != nil {
		return nil, err
	}
	views := make([]LinkView, 0, len(links))
	exchanges := map[string]exchange.Exchange{}
	for _, l := range links {
		x, seen := exchanges[l.ExchangeID]
		if !seen {
			if x, err = a.store.Exchange(ctx, l.ExchangeID); err != nil && !isNotFound(err) {
				return nil, err
			}
			exchanges[l.ExchangeID] = x
		}
		views = append(views, a.viewLink(l, x))
	}
	return views, nil
}

// ExchangeLink reads one of the caller's links.
func (a *App) ExchangeLink(ctx context.Context, caller identity.Principal, id string) (LinkView, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return LinkView{}, err
	}
	owner := m.ownerID
	l, err := a.store.Link(ctx, owner, id)
	if err != nil {
		return LinkView{}, err
	}
	x, err := a.store.Exchange(ctx, l.ExchangeID)
	if err != nil && !isNotFound(err) {
		return LinkView{}, err
	}
	return a.viewLink(l, x), nil
}

// SyncExchangeLink asks for a pull of one link now. A patient may ask once per
// Schedule.SyncNowEvery per link: sooner is fault.RateLimited with when to ask again.
func (a *App) SyncExchangeLink(ctx context.Context, caller identity.Principal, id string) (LinkView, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return LinkView{}, err
	}
	owner := m.ownerID
	var retryAt = a.now()
	l, err := a.store.UpdateLink(ctx, owner, id, func(l *exchange.Link) error {
		at, ok := l.RequestSync(a.pulls.Schedule, a.now())
		if !ok {
			retryAt = at
			return fault.RateLimited(at.Sub(a.now()))
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, fault.ErrRateLimited) {
			return LinkView{}, fault.RateLimited(retryAt.Sub(a.now()))
		}
		return LinkView{}, err
	}
	a.wakeScheduler()
	x, err := a.store.Exchange(ctx, l.ExchangeID)
	if err != nil && !isNotFound(err) {
		return LinkView{}, err
	}
	return a.viewLink(l, x), nil
}

// UnlinkExchange withdraws the caller's consent to pull from one exchange: pulls
// stop (one running now stores at most the page in flight); what was pulled stays
// in the record until the patient erases it. Audited.
func (a *App) UnlinkExchange(ctx context.Context, caller identity.Principal, id string) error {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return err
	}
	owner := m.ownerID
	l, err := a.store.Link(ctx, owner, id)
	if err != nil {
		return err
	}
	if err := a.store.DeleteLink(ctx, owner, id); err != nil {
		return err
	}
	return a.recordChange(ctx, m, audit.Event{Action: "exchange.unlinked", Query: "exchange=" + l.ExchangeID})
}

// viewLink is what the patient sees of l: paused while its exchange is suspended
// (or gone), syncing while a pull holds it.
func (a *App) viewLink(l exchange.Link, x exchange.Exchange) LinkView {
	v := LinkView{Link: l, ExchangeName: x.Name}
	switch {
	case x.ID == "" || x.Status != exchange.Active:
		v.Status = exchange.Paused
	case l.LeaseHolder != "" && l.LeaseUntil.After(a.now()):
		v.Status = exchange.Syncing
	}
	return v
}

// wakeScheduler nudges this node's scheduler; a full nudge is as good as two.
func (a *App) wakeScheduler() {
	select {
	case a.syncWake <- struct{}{}:
	default:
	}
}

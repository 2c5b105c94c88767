package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/kith-health/kith/domain/exchange"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
)

// errNoExchanges answers exchange routes on a Kith wired without an exchange client.
var errNoExchanges = fmt.Errorf("pulls from exchanges are not configured: %w", fault.ErrNotFound)

// RegisterExchange registers an exchange after reading what it supports (its
// CapabilityStatement, its SMART configuration), so pulls ask each resource type
// only what it can answer. With replace, an exchange registered under r.ID is
// brought up to date instead (a moved base URL, a new key, a changed profile);
// without it, that is a conflict. Operators only.
func (a *App) RegisterExchange(ctx context.Context, caller identity.Principal, r exchange.Registration, replace bool) (exchange.Exchange, error) {
	if err := requireOperator(caller); err != nil {
		return exchange.Exchange{}, err
	}
	return a.registerExchange(ctx, r, replace)
}

func (a *App) registerExchange(ctx context.Context, r exchange.Registration, replace bool) (exchange.Exchange, error) {
	if a.exchanges == nil {
		return exchange.Exchange{}, errNoExchanges
	}
	// Check the registration before asking anything of the URL it names.
	if _, err := exchange.New(r, nil, false, a.now()); err != nil {
		return exchange.Exchange{}, err
	}
	found, err := a.exchanges.Discover(ctx, r)
	if err != nil {
		var f *ExchangeFault
		if errors.As(err, &f) {
			return exchange.Exchange{}, fmt.Errorf("reading the exchange's capabilities: %s: %w", f.Message, fault.ErrUnavailable)
		}
		return exchange.Exchange{}, err
	}
	if r.Client.TokenURL == "" {
		r.Client.TokenURL = found.TokenURL
	}
	if r.Client.TokenURL == "" {
		return exchange.Exchange{}, fault.Invalid("tokenUrl", "required: the exchange publishes no token endpoint")
	}
	x, err := exchange.New(r, found.Types, found.Everything, a.now())
	if err != nil {
		return exchange.Exchange{}, err
	}
	err = a.store.CreateExchange(ctx, x)
	if !replace || !errors.Is(err, fault.ErrConflict) {
		return x, err
	}
	return a.store.UpdateExchange(ctx, x.ID, func(old *exchange.Exchange) error {
		created, version, status := old.CreatedAt, old.Version, old.Status
		*old = x
		old.CreatedAt, old.Version, old.Status = created, version, status
		return nil
	})
}

// Exchanges lists the registered exchanges: for operators, to administer them; for
// patients, to choose which to link.
func (a *App) Exchanges(ctx context.Context, caller identity.Principal) ([]exchange.Exchange, error) {
	if caller.Kind != identity.KindOperator && caller.Kind != identity.KindPatient {
		return nil, fmt.Errorf("patients and operators only: %w", fault.ErrForbidden)
	}
	return a.store.Exchanges(ctx)
}

// ExchangeDetails lists the registered exchanges with how Kith reaches them and
// what they support. Operators only.
func (a *App) ExchangeDetails(ctx context.Context, caller identity.Principal) ([]exchange.Exchange, error) {
	if err := requireOperator(caller); err != nil {
		return nil, err
	}
	return a.store.Exchanges(ctx)
}

// SetExchangeStatus suspends an exchange (every link to it pauses: no pull asks
// it anything) or makes it active again. Operators only.
func (a *App) SetExchangeStatus(ctx context.Context, caller identity.Principal, id string, s exchange.Status) (exchange.Exchange, error) {
	if err := requireOperator(caller); err != nil {
		return exchange.Exchange{}, err
	}
	if s != exchange.Active && s != exchange.Suspended {
		return exchange.Exchange{}, fault.Invalid("status", "oneof=active suspended")
	}
	return a.store.UpdateExchange(ctx, id, func(x *exchange.Exchange) error {
		x.Status, x.UpdatedAt = s, a.now().UTC()
		return nil
	})
}

// EnsureExchange registers, or brings up to date, an exchange the deployment
// itself configures (the development sandbox), with no operator acting.
func (a *App) EnsureExchange(ctx context.Context, r exchange.Registration) (exchange.Exchange, error) {
	return a.registerExchange(ctx, r, true)
}

package app

import (
	"context"
	"time"

	"github.com/kith-health/kith/domain/exchange"
)

// PaceExchange waits until a request to x keeps within its rate ceiling across every
// Kith node: requests are counted in one-second windows in the store (the same
// counter share code attempts use), and a request over the ceiling waits for the
// next window.
func (a *App) PaceExchange(ctx context.Context, x exchange.Exchange) error {
	for {
		now := a.now()
		window := now.Truncate(time.Second)
		n, err := a.store.CountAttempt(ctx, "exchange-rate/"+x.ID, window, window.Add(time.Minute))
		if err != nil {
			return err
		}
		if n <= x.RatePerSecond {
			return nil
		}
		if err := a.pulls.Sleep(ctx, window.Add(time.Second).Sub(now)); err != nil {
			return err
		}
	}
}

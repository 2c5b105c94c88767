package app

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/kith-health/kith/domain/exchange"
)

// ExchangeSettings tune pulls from exchanges.
type ExchangeSettings struct {
	Schedule exchange.Schedule
	// Lease is how long a pull holds its link (and its exchange slot) before
	// another node may take over; each stored page renews it, so only a pull that
	// died waits it out.
	Lease time.Duration
	// Workers is how many pulls this node runs at once.
	Workers int
	// Poll is how often an idle scheduler looks for due links.
	Poll time.Duration
	// Overlap re-asks for this much before a type's cursor, since an exchange may
	// make a change visible after stamping it: a change is pulled twice (and found
	// unchanged) rather than missed.
	Overlap time.Duration
	// Sleep waits on the clock tests control (pacing under the rate ceiling).
	Sleep func(ctx context.Context, d time.Duration) error
	// Spread draws the jitter of the next due time, in [0, 1).
	Spread func() float64
	// Log hears of each pull's end, by exchange, link and reason: never a
	// patient's name, NHS number or the exchange's own words.
	Log *slog.Logger
}

// DefaultExchangeSettings pull every six hours, four at a time on each node.
var DefaultExchangeSettings = ExchangeSettings{Schedule: exchange.DefaultSchedule, Lease: 2 * time.Minute,
	Workers: 4, Poll: 2 * time.Second, Overlap: time.Minute, Sleep: sleepCtx, Spread: rand.Float64, Log: discardLog}

var discardLog = slog.New(slog.DiscardHandler)

// WithExchanges enables pulls from regional exchanges through c.
func WithExchanges(c ExchangeClient, s ExchangeSettings) Option {
	return func(a *App) {
		if s.Sleep == nil {
			s.Sleep = sleepCtx
		}
		if s.Spread == nil {
			s.Spread = rand.Float64
		}
		if s.Log == nil {
			s.Log = discardLog
		}
		a.exchanges, a.pulls = c, s
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

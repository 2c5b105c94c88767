package app

import (
	"context"
	"log/slog"
	"time"
)

// PurgeExpiredAssertionsEvery forgets used client assertions once they have expired
// (their exp check refuses a replay by then), every interval until ctx ends. Several
// nodes may run it: the purge is idempotent.
func (a *App) PurgeExpiredAssertionsEvery(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// The margin is twice the clock skew the assertion check allows on exp.
		n, err := a.store.PurgeAssertions(ctx, a.now().Add(-2*time.Minute))
		if err != nil {
			log.WarnContext(ctx, "purging expired client assertions failed; will retry", "error", err)
			continue
		}
		log.DebugContext(ctx, "purged expired client assertions", "count", n)
	}
}

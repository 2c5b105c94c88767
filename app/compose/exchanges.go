package compose

import (
	"context"
	"log/slog"

	"github.com/kith-health/kith/adapters/fhirclient"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/config"
	"github.com/kith-health/kith/domain/exchange"
)

// exchangeClient is the FHIR client pulls go through, paced under each exchange's
// rate ceiling by the app (whose store counts requests across nodes). pace is
// filled in once the app exists.
func exchangeClient(pace *func(context.Context, exchange.Exchange) error) *fhirclient.Client {
	return fhirclient.New(fhirclient.Options{Pace: func(ctx context.Context, x exchange.Exchange) error {
		if *pace == nil {
			return nil
		}
		return (*pace)(ctx, x)
	}})
}

// exchangeSettings are the pull settings from the configuration.
func exchangeSettings(cfg config.Config, log *slog.Logger) app.ExchangeSettings {
	s := app.DefaultExchangeSettings
	s.Log = log
	s.Schedule.Interval, s.Workers, s.Poll, s.Lease = cfg.SyncInterval, cfg.SyncWorkers, cfg.SyncPoll, cfg.SyncLease
	if s.Schedule.FirstRetry > s.Schedule.Interval {
		s.Schedule.FirstRetry = s.Schedule.Interval
	}
	return s
}

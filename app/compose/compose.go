// Package compose is the composition root: it wires the adapters into the app and
// the app into the HTTP server, once, for the binary and for tests of the real wiring.
package compose

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kith-health/kith/adapters/httpapi"
	"github.com/kith-health/kith/adapters/synthetic"
	"github.com/kith-health/kith/adapters/web"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/config"
	"github.com/kith-health/kith/domain/exchange"
)

// Server is a wired Kith, ready to listen.
type Server struct {
	App  *app.App
	HTTP *fiber.App
	// InFlight stops the requests still running when shutdown's grace ends.
	InFlight *httpapi.InFlight
	// DevIssuer is on in development only.
	DevIssuer bool
}

// Build wires everything on store, which must be migrated. Background work (the
// purge of expired client assertions) runs until ctx ends.
func Build(ctx context.Context, cfg config.Config, store app.Store, log *slog.Logger) (*Server, error) {
	id, err := newIdentity(ctx, cfg, store)
	if err != nil {
		return nil, err
	}
	shares, err := shareCodeSettings(cfg)
	if err != nil {
		return nil, err
	}
	push, inbox, err := pusher(ctx, cfg)
	if err != nil {
		return nil, err
	}
	alerts := app.DefaultAlertSettings
	alerts.Window, alerts.Poll = cfg.AlertWindow, cfg.AlertPoll
	var pace func(context.Context, exchange.Exchange) error
	a, err := app.New(store, time.Now,
		app.WithExchanges(exchangeClient(&pace), exchangeSettings(cfg, log)),
		app.WithShareCodes(shares),
		app.WithPush(push, alerts),
		app.WithOrganisationTokens(id.assertions, id.kith),
		app.WithPublicURL(cfg.BaseURL()),
		app.WithBirthDateCheck(cfg.OrgLookupRequiresBirthDate))
	if err != nil {
		return nil, err
	}
	pace = a.PaceExchange
	if id.dev != nil {
		if err := a.SeedDemoOrganisations(ctx); err != nil {
			return nil, fmt.Errorf("demo organisations: %w", err)
		}
	}
	if cfg.DemoDataOn() {
		if err := seedDemoRecords(ctx, a); err != nil {
			return nil, err
		}
		if err := a.SeedDemoFamilies(ctx); err != nil {
			return nil, fmt.Errorf("demo families: %w", err)
		}
	}
	go a.PurgeExpiredAssertionsEvery(ctx, time.Hour, log)
	go a.PurgeStaleDevicesEvery(ctx, 24*time.Hour, log)
	if push != nil {
		go a.RunAlertDispatcher(ctx, claimantName(), log)
	}
	if cfg.SandboxOn() {
		if err := startSandbox(ctx, cfg, a, log); err != nil {
			return nil, fmt.Errorf("sandbox exchange: %w", err)
		}
	}
	if cfg.Sync {
		go a.RunExchangeSync(ctx, claimantName(), log)
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	inFlight := httpapi.NewInFlight()
	hc := httpapi.Config{
		App: a, Verifier: viewerSessions{tokens: id.authenticator, app: a}, Keys: id.kith, Logger: log, Metrics: registry,
		InFlight:  inFlight,
		BodyLimit: cfg.BodyLimitBytes, ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout,
	}
	if id.dev != nil {
		hc.DevIssuer = id.dev
	}
	if inbox != nil {
		hc.PushInbox = inbox
	}
	viewer, err := web.New(a, strings.HasPrefix(cfg.BaseURL(), "https://"), log)
	if err != nil {
		return nil, err
	}
	hc.Pages = viewer.Register
	srv, err := httpapi.New(hc)
	if err != nil {
		return nil, err
	}
	return &Server{App: a, HTTP: srv, InFlight: inFlight, DevIssuer: id.dev != nil}, nil
}

// seedDemoRecords gives each demo patient a believable record from the synthetic
// generator, on first start.
func seedDemoRecords(ctx context.Context, a *app.App) error {
	err := a.SeedDemoRecords(ctx, demoRecord)
	if err != nil {
		return fmt.Errorf("demo records: %w", err)
	}
	return nil
}

// demoRecord is a demo patient's synthetic record, dated from anchor (their
// account's creation), so the seed and the sandbox exchange serve the same facts.
func demoRecord(d app.DemoPrincipal, anchor time.Time) ([]byte, error) {
	return synthetic.Demo(synthetic.Person{
		NHSNumber: d.Patient.NHSNumber.Value(), GivenName: d.Patient.Name.Given,
		FamilyName: d.Patient.Name.Family, BirthDate: d.Patient.BirthDate.Value(), Gender: d.Gender,
	}, anchor)
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/sethvargo/go-envconfig"
	"github.com/spf13/cobra"

	"github.com/kith-health/kith/adapters/auth"
	"github.com/kith-health/kith/adapters/httpapi"
	"github.com/kith-health/kith/adapters/logging"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/config"
)

// devIssuerID is the iss of tokens the development issuer signs.
const devIssuerID = "urn:kith:development-issuer"

func serveCommand(env envconfig.Lookuper, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the API server",
		Long: "Runs the API server until SIGINT or SIGTERM, then drains in-flight requests\n" +
			"for up to KITH_SHUTDOWN_TIMEOUT. With no settings: development mode, SQLite in\n" +
			"./data, the development token issuer, listening on 127.0.0.1:8080.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cmd.Context(), env)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, logging.New(stderr, cfg.JSONLogs(), cfg.SlogLevel()))
		},
	}
}

// serve is the composition root: it wires the adapters into the app and runs the
// HTTP server until ctx ends.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	store, where, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close(context.Background())

	// Development migrates by itself so a fresh clone just runs; production expects
	// `kith migrate` to have run as a release step, and refuses a schema it does not know.
	var applied []int
	if cfg.Mode == config.Development {
		applied, err = store.Migrate(ctx)
	} else {
		err = store.CheckSchema(ctx)
	}
	if err != nil {
		return err
	}

	verifier, devIssuer, err := identityFor(cfg)
	if err != nil {
		return err
	}
	a, err := app.New(store, time.Now)
	if err != nil {
		return err
	}
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	hc := httpapi.Config{
		App: a, Verifier: verifier, Logger: log, Metrics: registry,
		BodyLimit: cfg.BodyLimitBytes, ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.WriteTimeout,
	}
	if devIssuer != nil {
		hc.DevIssuer = devIssuer
	}
	srv, err := httpapi.New(hc)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("KITH_ADDR: %w", err)
	}
	log.Info(fmt.Sprintf("kith listening on http://%s in %s mode", ln.Addr(), cfg.Mode),
		"addr", ln.Addr().String(), "mode", string(cfg.Mode), "store", where,
		"schema_steps_applied", applied, "dev_issuer", devIssuer != nil)

	served := make(chan error, 1)
	go func() { served <- srv.Listener(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	if err := srv.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		return fmt.Errorf("requests still running after KITH_SHUTDOWN_TIMEOUT=%s: %w", cfg.ShutdownTimeout, err)
	}
	<-served
	log.Info("stopped")
	return nil
}

// identityFor builds the token verifier: the development issuer's keys in development.
// External identity providers arrive with the identity work; until then a production
// server accepts no patient tokens.
func identityFor(cfg config.Config) (httpapi.TokenVerifier, *auth.DevIssuer, error) {
	if !cfg.DevIssuerOn() {
		return auth.NewVerifier(jwk.NewSet(), "", cfg.TokenAudience, time.Now), nil, nil
	}
	dev, err := auth.LoadDevIssuer(cfg.DataDir, devIssuerID, cfg.TokenAudience, time.Now)
	if err != nil {
		return nil, nil, fmt.Errorf("KITH_DEV_ISSUER: %w", err)
	}
	return auth.NewVerifier(dev.Keys(), devIssuerID, cfg.TokenAudience, time.Now), dev, nil
}

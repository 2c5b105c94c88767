package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/spf13/cobra"

	"github.com/kith-health/kith/adapters/logging"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/compose"
	"github.com/kith-health/kith/app/config"
	"github.com/kith-health/kith/migrations"
)

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

// abortGrace is how long shutdown waits for requests it told to stop.
const abortGrace = 5 * time.Second

// serve opens and migrates the store, has compose wire everything on it, and runs
// the HTTP server until ctx ends.
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

	srv, err := compose.Build(ctx, cfg, store, log)
	if err != nil {
		return err
	}
	if slices.Contains(applied, migrations.SummaryFromEntries) {
		// A development store from before summaries were read from the entries.
		if err := srv.App.RebuildSummaries(ctx, "", func(app.RebuildReport) error { return nil }); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("KITH_ADDR: %w", err)
	}
	log.Info(fmt.Sprintf("kith listening on http://%s in %s mode", ln.Addr(), cfg.Mode),
		"addr", ln.Addr().String(), "mode", string(cfg.Mode), "store", where,
		"schema_steps_applied", applied, "dev_issuer", srv.DevIssuer)

	if cfg.PprofAddr != "" {
		if err := servePprof(ctx, cfg.PprofAddr, log); err != nil {
			return fmt.Errorf("KITH_PPROF_ADDR: %w", err)
		}
	}
	served := make(chan error, 1)
	go func() { served <- srv.HTTP.Listener(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	if err := srv.HTTP.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		// What still runs is told to stop at its next clean point (an upload between
		// two entries), so the store is closed under no write.
		stopped := srv.InFlight.Abort(abortGrace)
		return fmt.Errorf("requests still running after KITH_SHUTDOWN_TIMEOUT=%s (stopped cleanly: %v): %w", cfg.ShutdownTimeout, stopped, err)
	}
	<-served
	log.Info("stopped")
	return nil
}

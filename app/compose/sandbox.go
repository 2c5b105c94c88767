package compose

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kith-health/kith/adapters/sandbox"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/config"
	"github.com/kith-health/kith/domain/exchange"
)

// SandboxExchangeID is the id the development sandbox is registered under.
const SandboxExchangeID = "sandbox"

// startSandbox runs the sandbox exchange on its own loopback port (it needs plain
// net/http to drop connections and cut bodies short when faults are on), registers
// it, and links the demo patients, so a new developer sees a pull within seconds.
// Development only: config refuses it in production.
func startSandbox(ctx context.Context, cfg config.Config, a *app.App, log *slog.Logger) error {
	bundles, err := sandboxBundles(ctx, cfg, a)
	if err != nil {
		return err
	}
	f, err := config.ParseFaults(cfg.SandboxFaults)
	if err != nil {
		return err
	}
	sb, err := sandbox.New(sandbox.Config{Bundles: bundles, Prefix: "/fhir", Seed: 1, LoadedAt: sandboxLoadedAt, Faults: sandbox.Faults{
		Latency: f.Latency, Rate429: f.Rate429, Rate500: f.Rate500, RateTruncate: f.RateTruncate, RateDrop: f.RateDrop,
		GrowEvery: f.GrowEvery,
	}})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", sandboxAddr(cfg))
	if err != nil {
		return fmt.Errorf("listening (another kith serve on this data?): %w", err)
	}
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	keyFile, err := sandboxClientKey(cfg.DataDir)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String() + "/fhir"
	x, err := a.EnsureExchange(ctx, exchange.Registration{ID: SandboxExchangeID, Name: "Sandbox exchange (development)",
		BaseURL: base, Client: exchange.Client{ID: "kith-development", KeyFile: keyFile}})
	if err != nil {
		return err
	}
	if err := a.LinkDemoPatients(ctx, x.ID); err != nil {
		return err
	}
	log.InfoContext(ctx, "sandbox exchange serving", "url", base, "patients", len(sb.Patients()))
	return nil
}

// sandboxAddr is KITH_SANDBOX_ADDR, else the port after Kith's own on loopback
// (a random one when Kith's is): a fixed port keeps the sandbox's next links
// valid across restarts, and a second kith serve on the same settings stops here
// rather than pointing the registered sandbox at itself.
func sandboxAddr(cfg config.Config) string {
	if cfg.SandboxAddr != "" {
		return cfg.SandboxAddr
	}
	_, port, err := net.SplitHostPort(cfg.Addr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n == 0 || n >= 65535 {
		return "127.0.0.1:0"
	}
	return "127.0.0.1:" + strconv.Itoa(n+1)
}

// sandboxLoadedAt stamps fixtures that carry no meta.lastUpdated, the same on
// every start, so a restarted kith serve pulls nothing it has already.
var sandboxLoadedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// sandboxBundles is KITH_SANDBOX_FIXTURES's bundles, or the demo patients' records.
func sandboxBundles(ctx context.Context, cfg config.Config, a *app.App) ([][]byte, error) {
	if cfg.SandboxFixtures != "" {
		return sandbox.LoadDir(cfg.SandboxFixtures)
	}
	accounts, err := a.DemoAccounts(ctx)
	if err != nil {
		return nil, err
	}
	var bundles [][]byte
	for _, d := range accounts {
		b, err := demoRecord(d.DemoPrincipal, d.Account.CreatedAt)
		if err != nil {
			return nil, err
		}
		bundles = append(bundles, b)
	}
	return bundles, nil
}

// sandboxClientKey is the ES384 key Kith signs its client assertions to the
// sandbox with, made once in the data directory. The sandbox accepts any key, as a
// sandbox should; a real exchange holds the public half of a key an operator made.
func sandboxClientKey(dir string) (string, error) {
	path := filepath.Join(dir, "sandbox-client.jwk")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := sandbox.WriteClientKey(path, "kith-sandbox-"+app.NewID()[:8]); err != nil {
		return "", err
	}
	return path, nil
}

// Package config reads Kith's settings from KITH_* environment variables into one
// struct, with defaults that make `kith serve` work with nothing installed and a
// Validate that names the variable at fault.
package config

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// Mode is development (the embedded default, with conveniences) or production.
type Mode string

const (
	Development Mode = "development"
	Production  Mode = "production"
)

// Store kinds.
const (
	StoreSQLite  = "sqlite"
	StoreMongoDB = "mongodb"
)

// Config is every setting. Each field's env tag names its variable; README.md has
// the table.
type Config struct {
	Addr string `env:"KITH_ADDR, default=127.0.0.1:8080"`
	// PprofAddr, when set, serves Go's profiler on its own listener, apart from
	// the API, and only on a loopback address.
	PprofAddr string `env:"KITH_PPROF_ADDR"`
	DataDir   string `env:"KITH_DATA_DIR, default=./data"`
	Mode      Mode   `env:"KITH_MODE, default=development"`
	// Store is empty when not set: development then uses SQLite, production refuses.
	Store           string `env:"KITH_STORE"`
	MongoDBURI      Secret `env:"KITH_MONGODB_URI"`
	MongoDBDatabase string `env:"KITH_MONGODB_DATABASE, default=kith"`
	// DevIssuer and DevPushInbox are nil when not set: on in development, off in production.
	DevIssuer    *bool `env:"KITH_DEV_ISSUER, noinit"`
	DevPushInbox *bool `env:"KITH_DEV_PUSH_INBOX, noinit"`
	DemoData     *bool `env:"KITH_DEMO_DATA, noinit"`
	// PublicURL is where clients reach Kith; it is the iss of Kith's own tokens and
	// the base of the token endpoint URL that client assertions must name as aud.
	PublicURL string `env:"KITH_PUBLIC_URL"`
	// Patients' identity provider (NHS login in England).
	OIDCIssuer   string `env:"KITH_OIDC_ISSUER"`
	OIDCJWKSURL  string `env:"KITH_OIDC_JWKS_URL"`
	OIDCClientID string `env:"KITH_OIDC_CLIENT_ID, default=kith"`
	// Operators' identity provider, and which of its subjects are operators.
	OperatorIssuer   string   `env:"KITH_OPERATOR_ISSUER"`
	OperatorJWKSURL  string   `env:"KITH_OPERATOR_JWKS_URL"`
	OperatorClientID string   `env:"KITH_OPERATOR_CLIENT_ID, default=kith-admin"`
	OperatorSubjects []string `env:"KITH_OPERATOR_SUBJECTS"`
	// Kith's own tokens for organisations.
	OrgTokenTTL time.Duration `env:"KITH_ORG_TOKEN_TTL, default=5m"`
	// OrgLookupRequiresBirthDate makes organisations give a patient's date of
	// birth with the NHS number they look the patient up by.
	OrgLookupRequiresBirthDate bool          `env:"KITH_ORG_LOOKUP_REQUIRES_BIRTH_DATE, default=false"`
	SigningKeyRotation         time.Duration `env:"KITH_SIGNING_KEY_ROTATION, default=720h"`
	// ShareCodeKey keys the hash of every share code (base64, at least 32 bytes).
	// Development makes one in the data directory when it is not set.
	ShareCodeKey       Secret        `env:"KITH_SHARE_CODE_KEY"`
	ShareAttemptLimit  int           `env:"KITH_SHARE_ATTEMPT_LIMIT, default=10"`
	ShareAttemptWindow time.Duration `env:"KITH_SHARE_ATTEMPT_WINDOW, default=1m"`
	// Push alerts through Firebase Cloud Messaging.
	FCMCredentialsFile string        `env:"KITH_FCM_CREDENTIALS_FILE"`
	FCMProjectID       string        `env:"KITH_FCM_PROJECT_ID"`
	FCMEndpoint        string        `env:"KITH_FCM_ENDPOINT"`
	AlertWindow        time.Duration `env:"KITH_ALERT_WINDOW, default=10m"`
	AlertPoll          time.Duration `env:"KITH_ALERT_POLL_INTERVAL, default=250ms"`
	TokenCacheSize     int           `env:"KITH_TOKEN_CACHE_SIZE, default=10000"`
	// Pulls from regional exchanges: whether this node runs the scheduler, how
	// often each link is pulled, and how many pulls it runs at once.
	Sync         bool          `env:"KITH_SYNC, default=true"`
	SyncInterval time.Duration `env:"KITH_SYNC_INTERVAL, default=6h"`
	SyncWorkers  int           `env:"KITH_SYNC_WORKERS, default=4"`
	SyncPoll     time.Duration `env:"KITH_SYNC_POLL_INTERVAL, default=2s"`
	// SyncLease is how long a node that died mid-pull keeps others off its links.
	SyncLease time.Duration `env:"KITH_SYNC_LEASE, default=2m"`
	// Sandbox runs a sandbox exchange in-process (development only, on by
	// default there) over the demo data or KITH_SANDBOX_FIXTURES, with
	// KITH_SANDBOX_FAULTS (e.g. "500=0.1,429=0.05,truncate=0.02,drop=0.01,latency=20ms").
	Sandbox         *bool         `env:"KITH_SANDBOX, noinit"`
	SandboxFixtures string        `env:"KITH_SANDBOX_FIXTURES"`
	SandboxAddr     string        `env:"KITH_SANDBOX_ADDR"`
	SandboxFaults   string        `env:"KITH_SANDBOX_FAULTS"`
	LogLevel        string        `env:"KITH_LOG_LEVEL, default=info"`
	LogFormat       string        `env:"KITH_LOG_FORMAT"`
	ShutdownTimeout time.Duration `env:"KITH_SHUTDOWN_TIMEOUT, default=20s"`
	StartupTimeout  time.Duration `env:"KITH_STARTUP_TIMEOUT, default=10s"`
	BodyLimitBytes  int           `env:"KITH_BODY_LIMIT_BYTES, default=8388608"`
	ReadTimeout     time.Duration `env:"KITH_HTTP_READ_TIMEOUT, default=30s"`
	WriteTimeout    time.Duration `env:"KITH_HTTP_WRITE_TIMEOUT, default=30s"`
}

// Secret is a setting that must never be printed (a URI with a password in it).
type Secret string

func (Secret) String() string       { return "(secret)" }
func (Secret) LogValue() slog.Value { return slog.StringValue("(secret)") }

// Value returns the secret itself, for the one place that needs it.
func (s Secret) Value() string { return string(s) }

// Load reads the configuration through lookup (envconfig.OsLookuper() in the binary,
// a map in tests), applies mode defaults and validates it.
func Load(ctx context.Context, lookup envconfig.Lookuper) (Config, error) {
	var c Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: lookup}); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// BaseURL is KITH_PUBLIC_URL, or in development the listening address.
func (c Config) BaseURL() string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	return "http://" + c.Addr
}

// StoreKind is the store to use once defaults are applied.
func (c Config) StoreKind() string {
	if c.Store == "" && c.Mode == Development {
		return StoreSQLite
	}
	return c.Store
}

// DevIssuerOn says whether the development token issuer runs.
func (c Config) DevIssuerOn() bool { return orModeDefault(c.DevIssuer, c.Mode) }

// DevPushInboxOn says whether pushes go to the developer inbox instead of FCM.
func (c Config) DevPushInboxOn() bool { return orModeDefault(c.DevPushInbox, c.Mode) }

// DemoDataOn says whether the demo patients get synthetic records on first start.
func (c Config) DemoDataOn() bool { return orModeDefault(c.DemoData, c.Mode) }

// SandboxOn says whether the in-process sandbox exchange runs.
func (c Config) SandboxOn() bool { return orModeDefault(c.Sandbox, c.Mode) }

// JSONLogs says whether logs are JSON (production's default) or text.
func (c Config) JSONLogs() bool {
	if c.LogFormat == "" {
		return c.Mode == Production
	}
	return c.LogFormat == "json"
}

// SlogLevel is the parsed KITH_LOG_LEVEL.
func (c Config) SlogLevel() slog.Level {
	var l slog.Level
	_ = l.UnmarshalText([]byte(c.LogLevel))
	return l
}

func orModeDefault(b *bool, m Mode) bool {
	if b != nil {
		return *b
	}
	return m == Development
}

// Validate reports every setting at fault, each message naming its variable.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch c.Mode {
	case Development, Production:
	default:
		bad("KITH_MODE=%q: must be development or production", c.Mode)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("KITH_ADDR=%q: must be host:port, e.g. 127.0.0.1:8080", c.Addr)
	}
	if c.PprofAddr != "" {
		if host, _, err := net.SplitHostPort(c.PprofAddr); err != nil || !net.ParseIP(host).IsLoopback() {
			bad("KITH_PPROF_ADDR=%q: must be a loopback host:port, e.g. 127.0.0.1:6060", c.PprofAddr)
		}
	}
	switch c.Store {
	case "", StoreSQLite, StoreMongoDB:
	default:
		bad("KITH_STORE=%q: must be sqlite or mongodb", c.Store)
	}
	if c.Mode == Production && c.Store == "" {
		bad("KITH_STORE: production needs an explicit store (sqlite or mongodb)")
	}
	if c.StoreKind() == StoreMongoDB {
		uri := c.MongoDBURI.Value()
		if !strings.HasPrefix(uri, "mongodb://") && !strings.HasPrefix(uri, "mongodb+srv://") {
			bad("KITH_MONGODB_URI: must be set to a mongodb:// or mongodb+srv:// URI when KITH_STORE=mongodb")
		}
		if c.MongoDBDatabase == "" {
			bad("KITH_MONGODB_DATABASE: must not be empty")
		}
	}
	if c.StoreKind() == StoreSQLite && c.DataDir == "" {
		bad("KITH_DATA_DIR: must not be empty")
	}
	if c.Mode == Production && c.DevIssuerOn() {
		bad("KITH_DEV_ISSUER: the development token issuer is refused in production")
	}
	if c.Mode == Production && c.DemoDataOn() {
		bad("KITH_DEMO_DATA: demo records are refused in production")
	}
	if c.Mode == Production && c.DevPushInboxOn() {
		bad("KITH_DEV_PUSH_INBOX: the development push inbox is refused in production")
	}
	if c.OIDCClientID == "" {
		bad("KITH_OIDC_CLIENT_ID: must not be empty")
	}
	if c.Mode == Production && c.OIDCIssuer == "" {
		bad("KITH_OIDC_ISSUER: production needs the patients' identity provider (e.g. NHS login's issuer URL)")
	}
	if c.Mode == Production && !strings.HasPrefix(c.PublicURL, "https://") {
		bad("KITH_PUBLIC_URL: production needs Kith's public https:// URL")
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://") {
		bad("KITH_PUBLIC_URL=%q: must be an http(s) URL", c.PublicURL)
	}
	if (c.OperatorIssuer == "") != (len(c.OperatorSubjects) == 0) && c.Mode == Production {
		bad("KITH_OPERATOR_ISSUER, KITH_OPERATOR_SUBJECTS: set both, or neither")
	}
	if c.OrgTokenTTL < time.Minute || c.OrgTokenTTL > time.Hour {
		bad("KITH_ORG_TOKEN_TTL=%s: must be between 1m and 1h", c.OrgTokenTTL)
	}
	if key := c.ShareCodeKey.Value(); key != "" {
		if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) < 32 {
			bad("KITH_SHARE_CODE_KEY: must be at least 32 bytes, base64-encoded (openssl rand -base64 32)")
		}
	} else if c.Mode == Production {
		bad("KITH_SHARE_CODE_KEY: production needs the share code key (openssl rand -base64 32), the same on every node")
	}
	if c.Mode == Production && c.FCMCredentialsFile == "" {
		bad("KITH_FCM_CREDENTIALS_FILE: production needs a Firebase service account to push alerts")
	}
	if c.AlertWindow < 0 || c.AlertWindow > 24*time.Hour {
		bad("KITH_ALERT_WINDOW=%s: must be between 0 and 24h", c.AlertWindow)
	}
	if c.AlertPoll < 10*time.Millisecond || c.AlertPoll > time.Minute {
		bad("KITH_ALERT_POLL_INTERVAL=%s: must be between 10ms and 1m", c.AlertPoll)
	}
	if c.ShareAttemptLimit < 1 {
		bad("KITH_SHARE_ATTEMPT_LIMIT=%d: must be at least 1", c.ShareAttemptLimit)
	}
	if c.ShareAttemptWindow < time.Second || c.ShareAttemptWindow > 24*time.Hour {
		bad("KITH_SHARE_ATTEMPT_WINDOW=%s: must be between 1s and 24h", c.ShareAttemptWindow)
	}
	if c.SigningKeyRotation < time.Hour {
		bad("KITH_SIGNING_KEY_ROTATION=%s: must be at least 1h", c.SigningKeyRotation)
	}
	if c.TokenCacheSize < 0 {
		bad("KITH_TOKEN_CACHE_SIZE=%d: must not be negative", c.TokenCacheSize)
	}
	if c.Mode == Production && (c.SandboxOn() || c.SandboxFixtures != "" || c.SandboxFaults != "") {
		bad("KITH_SANDBOX, KITH_SANDBOX_FIXTURES, KITH_SANDBOX_FAULTS: the sandbox exchange is refused in production")
	}
	if h, _, err := net.SplitHostPort(c.SandboxAddr); c.SandboxAddr != "" && (err != nil || (h != "127.0.0.1" && h != "localhost" && h != "::1")) {
		bad("KITH_SANDBOX_ADDR=%q: must be a loopback host:port, e.g. 127.0.0.1:8081", c.SandboxAddr)
	}
	if _, err := ParseFaults(c.SandboxFaults); err != nil {
		bad("KITH_SANDBOX_FAULTS=%q: %v", c.SandboxFaults, err)
	}
	if c.SyncInterval < time.Minute {
		bad("KITH_SYNC_INTERVAL=%s: must be at least 1m", c.SyncInterval)
	}
	if c.SyncLease < time.Second || c.SyncLease > time.Hour {
		bad("KITH_SYNC_LEASE=%s: must be between 1s and 1h", c.SyncLease)
	}
	if c.SyncWorkers < 1 || c.SyncWorkers > 64 {
		bad("KITH_SYNC_WORKERS=%d: must be between 1 and 64", c.SyncWorkers)
	}
	if c.SyncPoll < 10*time.Millisecond || c.SyncPoll > 10*time.Minute {
		bad("KITH_SYNC_POLL_INTERVAL=%s: must be between 10ms and 10m", c.SyncPoll)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		bad("KITH_LOG_LEVEL=%q: must be debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "", "json", "text":
	default:
		bad("KITH_LOG_FORMAT=%q: must be json or text", c.LogFormat)
	}
	if c.ShutdownTimeout <= 0 {
		bad("KITH_SHUTDOWN_TIMEOUT=%s: must be positive", c.ShutdownTimeout)
	}
	if c.StartupTimeout <= 0 {
		bad("KITH_STARTUP_TIMEOUT=%s: must be positive", c.StartupTimeout)
	}
	if c.BodyLimitBytes < 1024 {
		bad("KITH_BODY_LIMIT_BYTES=%d: must be at least 1024", c.BodyLimitBytes)
	}
	if c.ReadTimeout <= 0 || c.WriteTimeout <= 0 {
		bad("KITH_HTTP_READ_TIMEOUT, KITH_HTTP_WRITE_TIMEOUT: must be positive")
	}
	return errors.Join(errs...)
}

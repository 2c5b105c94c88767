package config_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/kith-health/kith/app/config"
)

func load(env map[string]string) (config.Config, error) {
	return config.Load(context.Background(), envconfig.MapLookuper(env))
}

func TestDefaultsServeTheEmbeddedStore(t *testing.T) {
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.Mode != config.Development {
		t.Fatalf("defaults: %+v", c)
	}
	if c.StoreKind() != config.StoreSQLite || !c.DevIssuerOn() || !c.DevPushInboxOn() || c.JSONLogs() {
		t.Fatalf("development defaults: store %s, issuer %v, inbox %v, json %v",
			c.StoreKind(), c.DevIssuerOn(), c.DevPushInboxOn(), c.JSONLogs())
	}
}

func TestValidateNamesTheVariable(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unknown mode", map[string]string{"KITH_MODE": "staging"}, "KITH_MODE"},
		{"address without port", map[string]string{"KITH_ADDR": "localhost"}, "KITH_ADDR"},
		{"the profiler on every interface", map[string]string{"KITH_PPROF_ADDR": "0.0.0.0:6060"}, "KITH_PPROF_ADDR"},
		{"the profiler on a host name", map[string]string{"KITH_PPROF_ADDR": "kith.example:6060"}, "KITH_PPROF_ADDR"},
		{"unknown store", map[string]string{"KITH_STORE": "postgres"}, "KITH_STORE"},
		{"production without a store", map[string]string{"KITH_MODE": "production", "KITH_DEV_ISSUER": "false", "KITH_DEV_PUSH_INBOX": "false"}, "KITH_STORE"},
		{"production keeps the dev issuer off by default",
			map[string]string{"KITH_MODE": "production", "KITH_STORE": "sqlite", "KITH_DEV_ISSUER": "true"}, "KITH_DEV_ISSUER"},
		{"production refuses demo data",
			map[string]string{"KITH_MODE": "production", "KITH_STORE": "sqlite", "KITH_DEMO_DATA": "true"}, "KITH_DEMO_DATA"},
		{"production refuses the push inbox",
			map[string]string{"KITH_MODE": "production", "KITH_STORE": "sqlite", "KITH_DEV_PUSH_INBOX": "true"}, "KITH_DEV_PUSH_INBOX"},
		{"production refuses the sandbox exchange",
			map[string]string{"KITH_MODE": "production", "KITH_STORE": "sqlite", "KITH_SANDBOX": "true"}, "KITH_SANDBOX"},
		{"production refuses sandbox faults",
			map[string]string{"KITH_MODE": "production", "KITH_STORE": "sqlite", "KITH_SANDBOX_FAULTS": "500=0.1"}, "KITH_SANDBOX_FAULTS"},
		{"an unknown sandbox fault", map[string]string{"KITH_SANDBOX_FAULTS": "500=0.1,slow=1"}, "KITH_SANDBOX_FAULTS"},
		{"a fault rate above one", map[string]string{"KITH_SANDBOX_FAULTS": "429=2"}, "KITH_SANDBOX_FAULTS"},
		{"a sync interval under a minute", map[string]string{"KITH_SYNC_INTERVAL": "10s"}, "KITH_SYNC_INTERVAL"},
		{"no sync workers", map[string]string{"KITH_SYNC_WORKERS": "0"}, "KITH_SYNC_WORKERS"},
		{"mongodb without a URI", map[string]string{"KITH_STORE": "mongodb"}, "KITH_MONGODB_URI"},
		{"bad log level", map[string]string{"KITH_LOG_LEVEL": "loud"}, "KITH_LOG_LEVEL"},
		{"production without an identity provider", map[string]string{"KITH_MODE": "production", "KITH_STORE": "sqlite"}, "KITH_OIDC_ISSUER"},
		{"production without a share code key", map[string]string{"KITH_MODE": "production", "KITH_STORE": "sqlite"}, "KITH_SHARE_CODE_KEY"},
		{"a share code key too short", map[string]string{"KITH_SHARE_CODE_KEY": "c2hvcnQ="}, "KITH_SHARE_CODE_KEY: must be at least 32 bytes"},
		{"production without a public https URL", map[string]string{"KITH_MODE": "production", "KITH_STORE": "sqlite", "KITH_PUBLIC_URL": "http://kith.example"}, "KITH_PUBLIC_URL"},
		{"operators half configured", map[string]string{"KITH_MODE": "production", "KITH_STORE": "sqlite", "KITH_OPERATOR_ISSUER": "https://ops.example"}, "KITH_OPERATOR_SUBJECTS"},
		{"organisation tokens living a day", map[string]string{"KITH_ORG_TOKEN_TTL": "24h"}, "KITH_ORG_TOKEN_TTL"},
		{"zero shutdown timeout", map[string]string{"KITH_SHUTDOWN_TIMEOUT": "0s"}, "KITH_SHUTDOWN_TIMEOUT"},
		{"tiny body limit", map[string]string{"KITH_BODY_LIMIT_BYTES": "10"}, "KITH_BODY_LIMIT_BYTES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%v) = %v, want an error naming %s", tc.env, err, tc.want)
			}
		})
	}
}

func TestProductionWithAnExplicitStoreIsValid(t *testing.T) {
	c, err := load(map[string]string{"KITH_MODE": "production", "KITH_STORE": "mongodb",
		"KITH_MONGODB_URI": "mongodb://user:hunter2@db.internal:27017",
		"KITH_OIDC_ISSUER": "https://auth.login.nhs.uk", "KITH_PUBLIC_URL": "https://kith.example",
		"KITH_SHARE_CODE_KEY": "c2hhcmUtY29kZS1rZXktZm9yLXRlc3RzLW9ubHktMzJieXRlcw==", "KITH_FCM_CREDENTIALS_FILE": "/etc/kith/fcm.json"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DevIssuerOn() || c.DevPushInboxOn() || !c.JSONLogs() {
		t.Fatalf("production defaults: issuer %v, inbox %v, json %v", c.DevIssuerOn(), c.DevPushInboxOn(), c.JSONLogs())
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	c, err := load(map[string]string{"KITH_STORE": "mongodb", "KITH_MONGODB_URI": "mongodb://user:hunter2@db:27017"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{c.MongoDBURI.String(), fmt.Sprintf("%v %+v", c, c)} {
		if strings.Contains(s, "hunter2") {
			t.Fatalf("the MongoDB password was printed: %s", s)
		}
	}
}

func TestSandboxFaultsParse(t *testing.T) {
	f, err := config.ParseFaults("500=0.1, 429=0.05,truncate=0.02,drop=0.01,latency=20ms,grow=30s")
	if err != nil {
		t.Fatal(err)
	}
	if f.Rate500 != 0.1 || f.Rate429 != 0.05 || f.RateTruncate != 0.02 || f.RateDrop != 0.01 ||
		f.Latency.String() != "20ms" || f.GrowEvery.String() != "30s" {
		t.Fatalf("faults = %+v", f)
	}
	c, err := load(nil)
	if err != nil || !c.SandboxOn() || !c.Sync {
		t.Fatalf("development runs the sandbox and the scheduler by default: %v %v %v", c.SandboxOn(), c.Sync, err)
	}
}

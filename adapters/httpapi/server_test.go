package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/sethvargo/go-envconfig"

	"github.com/kith-health/kith/adapters/logging"
	"github.com/kith-health/kith/adapters/mongo"
	"github.com/kith-health/kith/adapters/mongo/mongotest"
	"github.com/kith-health/kith/adapters/sqlite"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/compose"
	"github.com/kith-health/kith/app/config"
)

// testServer is the real wiring (compose.Build) on a temporary SQLite store.
type testServer struct {
	t     *testing.T
	fiber *fiber.App
	store storeUnderTest
	logs  *syncBuffer
	dir   string
}

type option func(env map[string]string, logs *syncBuffer) *slog.Logger

// storeUnderTest is the store a test server runs on, migrated.
type storeUnderTest interface {
	app.Store
	Migrate(ctx context.Context) ([]int, error)
}

// onMongo runs the server on the MongoDB store (in-process FerretDB, or the real
// MongoDB at KITH_TEST_MONGODB_URI) instead of SQLite.
func onMongo(env map[string]string, _ *syncBuffer) *slog.Logger {
	env["KITH_STORE"] = "mongodb"
	return nil
}

// eachStore runs a test of the real wiring on both stores.
func eachStore(t *testing.T, test func(t *testing.T, opts ...option)) {
	t.Run("sqlite", func(t *testing.T) { test(t) })
	t.Run("mongodb", func(t *testing.T) { test(t, onMongo) })
}

// withEnv sets one variable.
func withEnv(name, value string) option {
	return func(env map[string]string, _ *syncBuffer) *slog.Logger {
		env[name] = value
		return nil
	}
}

// inProduction runs without the development issuer, as production does.
func inProduction(env map[string]string, _ *syncBuffer) *slog.Logger {
	env["KITH_DEV_ISSUER"] = "false"
	return nil
}

// withSmallBodies lowers the body limit to 64 KiB.
func withSmallBodies(env map[string]string, _ *syncBuffer) *slog.Logger {
	env["KITH_BODY_LIMIT_BYTES"] = "65536"
	return nil
}

// atInfo logs as production does by default, without debug lines.
func atInfo(env map[string]string, logs *syncBuffer) *slog.Logger {
	return logging.New(logs, true, slog.LevelInfo)
}

func newServer(t *testing.T, opts ...option) *testServer {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	env := map[string]string{"KITH_DATA_DIR": dir, "KITH_PUBLIC_URL": testBaseURL, "KITH_SANDBOX": "false"}
	logs := &syncBuffer{}
	log := logging.New(logs, true, slog.LevelDebug)
	for _, o := range opts {
		if l := o(env, logs); l != nil {
			log = l
		}
	}
	var store storeUnderTest
	var err error
	if env["KITH_STORE"] == "mongodb" {
		uri, _ := mongotest.URI(t)
		store, err = mongo.Open(ctx, uri, mongotest.Database(t))
		delete(env, "KITH_STORE")
	} else {
		store, err = sqlite.Open(ctx, dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(context.Background()) })
	cfg, err := config.Load(ctx, envconfig.MapLookuper(env))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := compose.Build(ctx, cfg, store, log)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, fiber: srv.HTTP, store: store, logs: logs, dir: dir}
}

// testBaseURL is the public URL the test server believes it has.
const testBaseURL = "https://kith.test"

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.body)
	}
	return m
}

// do sends a request; body is JSON-encoded unless it is a string.
func (s *testServer) do(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.fiber.Test(req, -1)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: raw}
}

// token signs in a patient of the test's making through the development issuer.
func (s *testServer) token(subject string, extra map[string]any) string {
	s.t.Helper()
	patient := map[string]any{"subject": subject, "nhsNumber": "9434765919", "dateOfBirth": "1987-06-05"}
	for k, v := range extra {
		patient[k] = v
	}
	return s.devToken(map[string]any{"patient": patient})
}

// tokenAs signs in as one of the demo cast (GET /dev/principals).
func (s *testServer) tokenAs(name string) string {
	s.t.Helper()
	return s.devToken(map[string]any{"as": name})
}

func (s *testServer) devToken(body map[string]any) string {
	s.t.Helper()
	res := s.do("POST", "/dev/tokens", "", body)
	if res.status != 200 {
		s.t.Fatalf("POST /dev/tokens = %d %s", res.status, res.body)
	}
	return res.json(s.t)["access_token"].(string)
}

// wantProblem checks a problem+json answer of the given status and type slug.
func wantProblem(t *testing.T, r response, status int, slug string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	p := r.json(t)
	if p["type"] != "urn:kith:problem:"+slug || int(p["status"].(float64)) != status || p["title"] == "" {
		t.Fatalf("problem %v, want type urn:kith:problem:%s", p, slug)
	}
	if p["requestId"] != r.header.Get("X-Request-ID") || p["requestId"] == "" {
		t.Fatalf("problem requestId %v does not match the header %q", p["requestId"], r.header.Get("X-Request-ID"))
	}
	return p
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listen serves the app on a real loopback socket and returns its base URL.
func (s *testServer) listen() string {
	s.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatal(err)
	}
	go s.fiber.Listener(ln)
	s.t.Cleanup(func() { s.fiber.Shutdown() })
	return "http://" + ln.Addr().String()
}

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
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kith-health/kith/adapters/auth"
	"github.com/kith-health/kith/adapters/httpapi"
	"github.com/kith-health/kith/adapters/logging"
	"github.com/kith-health/kith/adapters/sqlite"
	"github.com/kith-health/kith/app"
)

const devIssuerID = "urn:kith:development-issuer"

// testServer is the real wiring on a temporary SQLite store.
type testServer struct {
	t     *testing.T
	fiber *fiber.App
	store app.Store
	logs  *syncBuffer
	dev   *auth.DevIssuer
	dir   string
}

type option func(*httpapi.Config)

func withoutDevIssuer(c *httpapi.Config) { c.DevIssuer = nil }

// atInfo logs as production does by default, without debug lines.
func atInfo(logs io.Writer) option {
	return func(c *httpapi.Config) { c.Logger = logging.New(logs, true, slog.LevelInfo) }
}

func newServer(t *testing.T, opts ...option) *testServer {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(ctx) })
	return newServerOn(t, store, dir, opts...)
}

func newServerOn(t *testing.T, store app.Store, dir string, opts ...option) *testServer {
	t.Helper()
	dev, err := auth.LoadDevIssuer(dir, devIssuerID, "kith", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(store, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg := httpapi.Config{
		App: a, Verifier: auth.NewVerifier(dev.Keys(), devIssuerID, "kith", time.Now), DevIssuer: dev,
		Logger: logging.New(logs, true, -4), Metrics: prometheus.NewRegistry(),
		BodyLimit: 64 * 1024, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	f, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, fiber: f, store: store, logs: logs, dev: dev, dir: dir}
}

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

// token signs in a patient through the development issuer's route.
func (s *testServer) token(subject string, extra map[string]any) string {
	s.t.Helper()
	body := map[string]any{"subject": subject, "nhsNumber": "9434765919", "birthDate": "1987-06-05"}
	for k, v := range extra {
		body[k] = v
	}
	res := s.do("POST", "/dev/token", "", body)
	if res.status != 200 {
		s.t.Fatalf("POST /dev/token = %d %s", res.status, res.body)
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

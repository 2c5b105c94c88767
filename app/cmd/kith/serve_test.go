package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	_ "modernc.org/sqlite"
)

// kith runs the CLI in-process, as the binary would, and returns what it printed.
type kith struct {
	t      *testing.T
	env    map[string]string
	stdout syncBuffer
	stderr syncBuffer
}

func newKith(t *testing.T, env map[string]string) *kith {
	// The sandbox exchange is off unless a test turns it on: its pulls would move
	// the demo records under tests that count them.
	base := map[string]string{"KITH_DATA_DIR": t.TempDir(), "KITH_ADDR": "127.0.0.1:0", "KITH_LOG_FORMAT": "json", "KITH_SANDBOX": "false"}
	for k, v := range env {
		base[k] = v
	}
	return &kith{t: t, env: base}
}

func (k *kith) run(ctx context.Context, args ...string) error {
	root := newRootCommand(envconfig.MapLookuper(k.env), &k.stdout, &k.stderr)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// serve starts `kith serve` and waits for its listening line; it returns the base URL
// and a channel that yields serve's result.
func (k *kith) serve(ctx context.Context) (string, <-chan error) {
	k.t.Helper()
	done := make(chan error, 1)
	go func() { done <- k.run(ctx, "serve") }()
	listening := regexp.MustCompile(`kith listening on (http://127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(k.stderr.String()); m != nil {
			return m[1], done
		}
		select {
		case err := <-done:
			k.t.Fatalf("serve stopped before listening: %v\n%s", err, k.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	k.t.Fatalf("serve did not start:\n%s", k.stderr.String())
	return "", nil
}

func TestServeRunsOnTheEmbeddedDefaultAndStops(t *testing.T) {
	k := newKith(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	base, done := k.serve(ctx)

	lines := strings.Split(strings.TrimSpace(k.stderr.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "development mode") || !strings.Contains(lines[0], "SQLite in "+k.env["KITH_DATA_DIR"]) {
		t.Fatalf("start-up should log one line naming where it listens and the mode, got:\n%s", k.stderr.String())
	}
	if _, err := os.Stat(filepath.Join(k.env["KITH_DATA_DIR"], "kith.db")); err != nil {
		t.Fatalf("no database in the data directory: %v", err)
	}
	if status, _ := get(t, base+"/readyz", ""); status != 200 {
		t.Fatalf("/readyz = %d", status)
	}
	tok := devToken(t, base, "alice")
	status, body := get(t, base+"/v1/me", tok)
	if status != 200 || !strings.Contains(body, `"identityLevel":"P9"`) {
		t.Fatalf("/v1/me = %d %s", status, body)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if strings.Contains(k.stderr.String(), tok) || strings.Contains(k.stderr.String(), "9434765919") {
		t.Fatal("the log holds a token or an NHS number")
	}
}

func TestSIGTERMLetsASlowRequestFinish(t *testing.T) {
	k := newKith(t, map[string]string{"KITH_SHUTDOWN_TIMEOUT": "10s"})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	base, done := k.serve(ctx)
	tok := devToken(t, base, "slow")

	// Hold SQLite's write lock from outside, so the first /v1/me (which opens the
	// account) waits on it: a request genuinely in flight.
	lock, err := sql.Open("sqlite", filepath.Join(k.env["KITH_DATA_DIR"], "kith.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	conn, err := lock.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	answered := make(chan int, 1)
	go func() {
		status, _ := get(t, base+"/v1/me", tok)
		answered <- status
	}()
	time.Sleep(300 * time.Millisecond)
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case status := <-answered:
		t.Fatalf("the slow request finished before the lock was released: %d", status)
	case err := <-done:
		t.Fatalf("serve stopped with a request in flight: %v", err)
	default:
	}
	if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if status := <-answered; status != 200 {
		t.Fatalf("the in-flight request got %d, want 200", status)
	}
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if !strings.Contains(k.stderr.String(), "draining in-flight requests") {
		t.Fatalf("no shutdown line:\n%s", k.stderr.String())
	}
}

func TestServeRefusesDataItDidNotWrite(t *testing.T) {
	t.Run("a corrupt database file is left untouched", func(t *testing.T) {
		k := newKith(t, nil)
		path := filepath.Join(k.env["KITH_DATA_DIR"], "kith.db")
		garbage := bytes.Repeat([]byte("not a database "), 400)
		if err := os.WriteFile(path, garbage, 0o600); err != nil {
			t.Fatal(err)
		}
		err := k.run(context.Background(), "serve")
		if err == nil || !strings.Contains(err.Error(), "not a readable SQLite database") {
			t.Fatalf("serve = %v", err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, garbage) {
			t.Fatal("the corrupt file was changed")
		}
	})
	t.Run("another application's database is refused", func(t *testing.T) {
		k := newKith(t, nil)
		db, err := sql.Open("sqlite", filepath.Join(k.env["KITH_DATA_DIR"], "kith.db"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CREATE TABLE users (name TEXT)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := k.run(context.Background(), "serve"); err == nil || !strings.Contains(err.Error(), "did not create") {
			t.Fatalf("serve = %v", err)
		}
	})
	t.Run("a data directory that is a file is refused", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "data")
		os.WriteFile(file, []byte("x"), 0o600)
		k := newKith(t, map[string]string{"KITH_DATA_DIR": file})
		if err := k.run(context.Background(), "serve"); err == nil || !strings.Contains(err.Error(), "KITH_DATA_DIR") {
			t.Fatalf("serve = %v", err)
		}
	})
}

func TestMigrateIsRecordedAndNewerSchemasAreRefused(t *testing.T) {
	k := newKith(t, nil)
	ctx := context.Background()
	if err := k.run(ctx, "migrate"); err != nil || !strings.Contains(k.stdout.String(), "applied schema steps [1 2 3 4 5 6 7 8 9 10 11]") {
		t.Fatalf("first migrate: %v %q", err, k.stdout.String())
	}
	if err := k.run(ctx, "migrate"); err != nil || !strings.Contains(k.stdout.String(), "schema up to date") {
		t.Fatalf("second migrate: %v %q", err, k.stdout.String())
	}

	idp := newFakeIdP(t)
	prod := newKith(t, productionEnv(idp, map[string]string{"KITH_DATA_DIR": k.env["KITH_DATA_DIR"]}))
	pctx, cancel := context.WithCancel(ctx)
	base, done := prod.serve(pctx)
	// In production, patients come from the identity provider, and the development
	// issuer's routes do not exist.
	status, body := get(t, base+"/v1/me", idp.token(t, "nhs-login-subject-1", "kith"))
	if status != 200 || !strings.Contains(body, `"nhsNumber":"9990000042"`) || !strings.Contains(body, `"identityLevel":"P9"`) {
		t.Fatalf("production /v1/me with a provider token = %d %s", status, body)
	}
	if status, _ := get(t, base+"/dev/principals", ""); status != 404 {
		t.Fatalf("production /dev/principals = %d, want 404", status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("production serve on a migrated store: %v", err)
	}

	db, err := sql.Open("sqlite", filepath.Join(k.env["KITH_DATA_DIR"], "kith.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from_the_future', 0)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, cmd := range []string{"serve", "migrate"} {
		if err := k.run(ctx, cmd); err == nil || !strings.Contains(err.Error(), "run a newer kith") {
			t.Fatalf("%s on a newer schema = %v", cmd, err)
		}
	}
}

func TestProductionRefusesToStartUnmigrated(t *testing.T) {
	k := newKith(t, productionEnv(newFakeIdP(t), nil))
	if err := k.run(context.Background(), "serve"); err == nil || !strings.Contains(err.Error(), "run `kith migrate`") {
		t.Fatalf("serve = %v", err)
	}
}

func TestProductionRefusesDevelopmentConveniences(t *testing.T) {
	k := newKith(t, productionEnv(newFakeIdP(t), map[string]string{"KITH_DEV_ISSUER": "true"}))
	err := k.run(context.Background(), "serve")
	if err == nil || !strings.Contains(err.Error(), "KITH_DEV_ISSUER") {
		t.Fatalf("serve = %v", err)
	}
}

func TestProductionExitsWhenTheStoreIsUnreachable(t *testing.T) {
	k := newKith(t, productionEnv(newFakeIdP(t), map[string]string{
		"KITH_STORE": "mongodb", "KITH_STARTUP_TIMEOUT": "1s",
		"KITH_MONGODB_URI": "mongodb://127.0.0.1:1/?connectTimeoutMS=200",
	}))
	err := k.run(context.Background(), "serve")
	if err == nil || !strings.Contains(err.Error(), "did not answer within KITH_STARTUP_TIMEOUT=1s") {
		t.Fatalf("serve = %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("the error should be one line: %q", err)
	}
}

func TestVersion(t *testing.T) {
	k := newKith(t, nil)
	if err := k.run(context.Background(), "version"); err != nil || !strings.Contains(k.stdout.String(), "schema: sqlite 11, mongodb 10") {
		t.Fatalf("version: %v %q", err, k.stdout.String())
	}
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, ""
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func devToken(t *testing.T, base, subject string) string {
	t.Helper()
	return devPatientToken(t, base, map[string]string{"subject": subject, "nhsNumber": "9434765919"})
}

// devPatientToken signs in, through the development issuer, as the patient the
// claims describe (subject, nhsNumber, dateOfBirth...).
func devPatientToken(t *testing.T, base string, claims map[string]string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"patient": claims})
	res, err := http.Post(base+"/dev/tokens", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("POST /dev/tokens: %d %v", res.StatusCode, err)
	}
	return tok.AccessToken
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

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

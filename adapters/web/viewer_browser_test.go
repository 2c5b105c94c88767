package web_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	_ "modernc.org/sqlite"

	"github.com/kith-health/kith/adapters/sqlite"
	"github.com/kith-health/kith/app/compose"
	"github.com/kith-health/kith/app/config"
)

// browser finds Chromium and playwright-core, or says why the test cannot run:
// it skips on a bare machine and fails under CI, where .ci/run installs both.
func browser(t *testing.T) (chromium, script string) {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing, and CI=true needs the browser test to run (.ci/run installs it)", what)
		}
		t.Skipf("skipping the browser test: %s is missing (apt-get install chromium; npm ci --prefix adapters/web/browsertest)", what)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node")
	}
	for _, c := range []string{os.Getenv("KITH_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium"} {
		if c == "" {
			continue
		}
		if _, err := os.Stat(c); err == nil {
			chromium = c
			break
		}
	}
	if chromium == "" {
		missing("Chromium")
	}
	if _, err := os.Stat(filepath.Join("browsertest", "node_modules", "playwright-core")); err != nil {
		missing("playwright-core")
	}
	return chromium, filepath.Join("browsertest", "viewer_flow.mjs")
}

func TestTheViewerInARealBrowser(t *testing.T) {
	chromium, script := browser(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(context.Background())
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg, err := config.Load(ctx, envconfig.MapLookuper(map[string]string{"KITH_DATA_DIR": dir, "KITH_PUBLIC_URL": base}))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := compose.Build(ctx, cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	go srv.HTTP.Listener(ln)
	defer srv.HTTP.Shutdown()

	amelia := post(t, base+"/dev/tokens", "", `{"as":"amelia"}`)["access_token"].(string)
	code := post(t, base+"/v1/me/share-codes", amelia,
		`{"categories":["allergies","medications","conditions","results","immunizations"],"label":"For the A&E registrar"}`)["code"].(string)

	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), "BASE="+base, "CODE="+code, "CHROMIUM="+chromium)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		line := lines.Text()
		t.Log(line)
		if line == "EXPIRE" {
			expireSessions(t, dir)
			io.WriteString(stdin, "go\n")
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the browser journey failed: %v\n%s", err, stderr.String())
	}

	// The patient sees the clinician's visit in their access log.
	log := get(t, base+"/v1/me/access-log?limit=200", amelia)
	if !strings.Contains(log, `"action":"share-code.redeemed"`) || !strings.Contains(log, `Dr Sam Okafor (A\u0026E registrar)`) {
		t.Fatalf("the access log does not show the viewer: %.500s", log)
	}
}

// expireSessions moves every viewer session's end into the past, as fifteen
// minutes passing would.
func expireSessions(t *testing.T, dir string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "kith.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	past := time.Now().Add(-time.Minute).UnixMilli()
	if _, err := db.Exec(`UPDATE viewer_sessions SET doc = json_set(doc, '$.expiresAt', ?)`, past); err != nil {
		t.Fatal(err)
	}
}

func post(t *testing.T, url, token, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 || json.Unmarshal(raw, &m) != nil {
		t.Fatalf("POST %s = %d %s", url, res.StatusCode, raw)
	}
	return m
}

func get(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return string(raw)
}

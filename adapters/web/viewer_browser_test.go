package web_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	k := startKith(t)
	amelia := k.seedAmelia(t)
	code := post(t, k.base+"/v1/me/share-codes", amelia, sharedScope)["code"].(string)

	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), "BASE="+k.base, "CODE="+code, "CHROMIUM="+chromium)
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
			expireSessions(t, k.dir)
			io.WriteString(stdin, "go\n")
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the browser journey failed: %v\n%s", err, stderr.String())
	}

	// The patient sees the clinician's visit in their access log.
	log := get(t, k.base+"/v1/me/access-log?limit=200", amelia)
	if !strings.Contains(log, `"action":"share-code.redeemed"`) || !strings.Contains(log, `Dr Sam Okafor (A\u0026E registrar)`) {
		t.Fatalf("the access log does not show the viewer: %.500s", log)
	}
}

// kith is Kith running on a temporary SQLite with the demo data, as `kith serve` runs.
type kith struct{ base, dir string }

func startKith(t *testing.T) kith {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(context.Background()) })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg, err := config.Load(ctx, envconfig.MapLookuper(map[string]string{"KITH_DATA_DIR": dir, "KITH_PUBLIC_URL": base, "KITH_SANDBOX": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := compose.Build(ctx, cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	go srv.HTTP.Listener(ln)
	t.Cleanup(func() { srv.HTTP.Shutdown() })
	return kith{base: base, dir: dir}
}

// sharedScope is the share code the tests issue: what an A&E registrar needs,
// without vital signs, encounters, procedures, care plans or documents.
const sharedScope = `{"categories":["allergies","medications","conditions","results","immunizations"],"label":"For the A&E registrar"}`

// seedResults is how many laboratory results the tests add to the demo
// patient's, so the results section pages past its first page.
const seedResults = 60

// seedAmelia signs in as the demo patient Amelia and uploads, beside her demo
// record, a peanut allergy of high criticality, a latex allergy that has
// resolved, and seedResults sodium results (the newest high). It returns her token.
func (k kith) seedAmelia(t *testing.T) string {
	t.Helper()
	token := post(t, k.base+"/dev/tokens", "", `{"as":"amelia"}`)["access_token"].(string)
	entries := []any{
		map[string]any{"resource": map[string]any{"resourceType": "AllergyIntolerance", "id": "seed-peanut",
			"clinicalStatus":     concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
			"verificationStatus": concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"),
			"criticality":        "high", "code": map[string]any{"text": "Peanut"}, "onsetDateTime": "2004",
			"reaction": []any{map[string]any{"manifestation": []any{map[string]any{"text": "Anaphylaxis"}}, "severity": "severe"}}}},
		map[string]any{"resource": map[string]any{"resourceType": "AllergyIntolerance", "id": "seed-latex",
			"clinicalStatus": concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "resolved"),
			"criticality":    "low", "code": map[string]any{"text": "Latex"}, "onsetDateTime": "2010-03"}},
	}
	day := time.Date(2019, 1, 1, 9, 30, 0, 0, time.UTC)
	for i := range seedResults {
		obs := map[string]any{"resourceType": "Observation", "id": fmt.Sprintf("seed-sodium-%d", i), "status": "final",
			"category":          []any{concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")},
			"code":              map[string]any{"text": "Serum sodium"},
			"effectiveDateTime": day.AddDate(0, 0, i).Format(time.RFC3339),
			"valueQuantity":     map[string]any{"value": 140, "unit": "mmol/L"},
			"referenceRange":    []any{map[string]any{"low": map[string]any{"value": 133, "unit": "mmol/L"}, "high": map[string]any{"value": 146, "unit": "mmol/L"}}}}
		if i == seedResults-1 {
			obs["valueQuantity"] = map[string]any{"value": 151, "unit": "mmol/L"}
			obs["interpretation"] = []any{concept("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "H")}
		}
		entries = append(entries, map[string]any{"resource": obs})
	}
	bundle, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "collection", "entry": entries})
	if err != nil {
		t.Fatal(err)
	}
	if got := post(t, k.base+"/v1/me/record/uploads", token, string(bundle)); got["received"] != float64(len(entries)) {
		t.Fatalf("the upload took %v of %d resources", got["received"], len(entries))
	}
	return token
}

func concept(system, code string) map[string]any {
	return map[string]any{"coding": []any{map[string]any{"system": system, "code": code}}}
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

// ownResults is how many current results the patient's own summary counts: the
// demo record's results are dated back from today, so their number moves with
// the calendar and the tests take it from the API rather than a constant.
func ownResults(t *testing.T, base, token string) int {
	t.Helper()
	var summary struct {
		Sections []struct {
			Section string `json:"section"`
			Current int    `json:"current"`
		} `json:"sections"`
	}
	if err := json.Unmarshal([]byte(get(t, base+"/v1/me/record/summary", token)), &summary); err != nil {
		t.Fatal(err)
	}
	for _, s := range summary.Sections {
		if s.Section == "results" {
			return s.Current
		}
	}
	t.Fatal("the summary has no results section")
	return 0
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

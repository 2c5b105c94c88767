package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/sandbox"
	"github.com/kith-health/kith/adapters/sqlite"
	"github.com/kith-health/kith/adapters/synthetic"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// watchedSandbox is a sandbox exchange on loopback that counts what it is asked:
// the first page of each patient's search of each type, by whom (the bearer
// token, one per Kith process), and every page.
type watchedSandbox struct {
	*sandbox.Sandbox
	url        string
	mu         sync.Mutex
	firstPages map[string]int // "patient|Type"
	tokens     map[string]bool
	pages      int
	// inFlight and maxInFlight count data requests being answered at once.
	inFlight, maxInFlight int
}

func newWatchedSandbox(t *testing.T, patients int, latency time.Duration) *watchedSandbox {
	t.Helper()
	var bundles [][]byte
	for i := range patients {
		nhs := validNHSNumber(990000100 + 10*i)
		b, err := synthetic.Record(synthetic.Person{NHSNumber: nhs, GivenName: "Pull", FamilyName: fmt.Sprintf("Patient%d", i),
			BirthDate: "1980-01-0" + fmt.Sprint(1+i%9), Gender: "female"},
			synthetic.Options{Seed: int64(i), Scale: 4, Now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		bundles = append(bundles, b)
	}
	sb, err := sandbox.New(sandbox.Config{Bundles: bundles, Prefix: "/fhir", Seed: 3, Faults: sandbox.Faults{Latency: latency}})
	if err != nil {
		t.Fatal(err)
	}
	w := &watchedSandbox{Sandbox: sb, firstPages: map[string]int{}, tokens: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") && r.URL.Query().Get("patient") != "" {
			w.firstPages[r.URL.Query().Get("patient")+"|"+strings.TrimPrefix(r.URL.Path, "/fhir/")]++
			w.tokens[r.Header.Get("Authorization")] = true
		}
		data := r.Method == "GET" && !strings.HasSuffix(r.URL.Path, "/metadata") && !strings.Contains(r.URL.Path, "/.well-known/")
		if data {
			w.pages++
			w.inFlight++
			w.maxInFlight = max(w.maxInFlight, w.inFlight)
		}
		w.mu.Unlock()
		sb.Handler().ServeHTTP(rw, r)
		if data {
			w.mu.Lock()
			w.inFlight--
			w.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL + "/fhir"
	return w
}

func (w *watchedSandbox) servedPages() int { w.mu.Lock(); defer w.mu.Unlock(); return w.pages }

// validNHSNumber appends the modulus 11 check digit to nine digits (skipping the
// few nine-digit stems that have none).
func validNHSNumber(stem int) string {
	for ; ; stem++ {
		s := fmt.Sprintf("%09d", stem)
		sum := 0
		for i, c := range s {
			sum += int(c-'0') * (10 - i)
		}
		check := 11 - sum%11
		if check == 11 {
			check = 0
		}
		if check != 10 {
			return s + fmt.Sprint(check)
		}
	}
}

// exchangeKey writes an ES384 key for Kith's client assertions to the sandbox.
func exchangeKey(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "exchange.jwk")
	if err := sandbox.WriteClientKey(path, "pull-test"); err != nil {
		t.Fatal(err)
	}
	return path
}

// linkEveryone registers the sandbox through the operator API and links each of
// its patients through their own token; it returns the tokens.
func (k *kithClient) linkEveryone(t *testing.T, sb *watchedSandbox, pageSize, concurrency int) map[string]string {
	t.Helper()
	op := devAs(t, k.base, "operator")
	reg, _ := json.Marshal(map[string]any{"id": "sandbox", "name": "Sandbox Care Record", "baseUrl": sb.url,
		"clientId": "kith-test", "keyFile": exchangeKey(t), "pageSize": pageSize, "ratePerSecond": 1000,
		"concurrency": concurrency})
	if status, body := k.doJSON(t, "POST", "/v1/admin/exchanges", op, reg); status != 201 {
		t.Fatalf("register the sandbox = %d %s", status, body)
	}
	tokens := map[string]string{}
	for _, p := range sb.Patients() {
		tok := k.token(t, "pull-"+p.ID, p.NHSNumber, p.BirthDate)
		if status, body := k.doJSON(t, "POST", "/v1/me/exchange-links", tok, []byte(`{"exchange":"sandbox"}`)); status != 201 {
			t.Fatalf("link %s = %d %s", p.ID, status, body)
		}
		tokens[p.ID] = tok
	}
	return tokens
}

func (k *kithClient) doJSON(t *testing.T, method, path, token string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, k.base+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out json.RawMessage
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func devAs(t *testing.T, base, who string) string {
	t.Helper()
	res, err := http.Post(base+"/dev/tokens", "application/json", strings.NewReader(`{"as":"`+who+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("dev token as %s: %d %v", who, res.StatusCode, err)
	}
	return tok.AccessToken
}

type linkState struct {
	Status            string `json:"status"`
	LastError         string `json:"lastError"`
	ResourcesLastPull int    `json:"resourcesLastPull"`
}

// waitUpToDate polls every patient's link until all are up to date.
func (k *kithClient) waitUpToDate(t *testing.T, tokens map[string]string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		done := 0
		var last linkState
		for _, tok := range tokens {
			status, body := k.doJSON(t, "GET", "/v1/me/exchange-links", tok, nil)
			var list struct {
				Links []linkState `json:"links"`
			}
			if status != 200 || json.Unmarshal(body, &list) != nil || len(list.Links) != 1 {
				t.Fatalf("links = %d %s", status, body)
			}
			if last = list.Links[0]; last.Status == "up-to-date" {
				done++
			}
		}
		if done == len(tokens) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d links up to date after three minutes; one is %+v", done, len(tokens), last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkPulledOnce opens the store kith left and checks that each patient's
// record holds every resource the sandbox serves for them exactly once, that no
// cursor is left mid-sweep, and (through the API) that the summary is the entries.
func checkPulledOnce(t *testing.T, dataDir string, sb *watchedSandbox) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(ctx)
	for _, sp := range sb.Patients() {
		found := map[string]int{}
		var patientID string
		ids, err := store.PatientsByNHSNumber(ctx, patient.NHSNumber(sp.NHSNumber))
		if err != nil || len(ids) != 1 {
			t.Fatalf("accounts for %s: %v %v", sp.ID, ids, err)
		}
		patientID = ids[0].ID
		if err := store.EachEntryForDisclosure(ctx, patientID, func(e record.Entry) error {
			for _, pv := range e.Provenances {
				found[pv.SourceID]++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for id, n := range found {
			if n != 1 {
				t.Errorf("%s: %s stored %d times", sp.ID, id, n)
			}
		}
		if len(found) != sp.Resources {
			t.Errorf("%s: %d of the sandbox's %d resources stored", sp.ID, len(found), sp.Resources)
		}
		links, err := store.Links(ctx, patientID)
		if err != nil || len(links) != 1 {
			t.Fatalf("links of %s: %v %v", sp.ID, links, err)
		}
		for _, c := range links[0].Cursors {
			if c.Next != "" || c.Since.IsZero() {
				t.Errorf("%s: cursor left mid-sweep: %+v", sp.ID, c)
			}
		}
	}
}

// A Kith killed mid-pull and started again finishes every pull with nothing lost
// or doubled, its cursors whole and each summary what the entries say.
func TestAPullKilledMidwayFinishesAfterARestart(t *testing.T) {
	sb := newWatchedSandbox(t, 4, 3*time.Millisecond)
	dataDir := t.TempDir()
	env := []string{"KITH_SYNC_POLL_INTERVAL=50ms", "KITH_SYNC_LEASE=2s", "KITH_SYNC_WORKERS=2"}
	first := startKith(t, dataDir, env...)
	tokens := first.linkEveryone(t, sb, 10, 4)
	for sb.servedPages() < 40 {
		time.Sleep(time.Millisecond)
	}
	first.kill9(t)
	if stored := storedEntries(t, dataDir); stored == 0 {
		t.Fatal("killed before anything was stored: the test cut nothing")
	}

	second := startKith(t, dataDir, env...)
	second.waitUpToDate(t, tokens)
	for _, tok := range tokens {
		second.checkSummaryIsTheEntries(t, tok)
	}
	second.kill9(t)
	checkPulledOnce(t, dataDir, sb)
}

// Two Kith processes on one store share the pulls: both pull, no link is pulled
// twice (each patient's search of each type starts exactly once), and the
// exchange's ceiling of two pulls at once holds across both.
func TestTwoProcessesShareThePullsWithoutPullingALinkTwice(t *testing.T) {
	sb := newWatchedSandbox(t, 8, 2*time.Millisecond)
	dataDir := t.TempDir()
	env := []string{"KITH_SYNC_POLL_INTERVAL=20ms", "KITH_SYNC_WORKERS=2"}
	a := startKith(t, dataDir, env...)
	b := startKith(t, dataDir, env...)
	tokens := a.linkEveryone(t, sb, 25, 2)
	b.waitUpToDate(t, tokens)
	a.kill9(t)
	b.kill9(t)
	sb.mu.Lock()
	defer sb.mu.Unlock()
	for key, n := range sb.firstPages {
		if n != 1 {
			t.Errorf("%s: the search started %d times", key, n)
		}
	}
	if sb.maxInFlight > 2 {
		t.Errorf("%d requests at once to an exchange whose ceiling is 2 pulls at once", sb.maxInFlight)
	}
	if len(sb.tokens) < 2 {
		t.Errorf("only %d process pulled", len(sb.tokens))
	}
	checkPulledOnce(t, dataDir, sb)
}

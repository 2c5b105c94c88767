package sandbox_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/adapters/sandbox"
)

// clock is an injected clock that moves only when a test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sleeper records the latency the sandbox asked for instead of waiting.
type sleeper struct {
	mu    sync.Mutex
	slept []time.Duration
}

func (s *sleeper) Sleep(d time.Duration) {
	s.mu.Lock()
	s.slept = append(s.slept, d)
	s.mu.Unlock()
}

// testRecord describes a small bundle built in the test.
type testRecord struct {
	patientID    string // "" leaves the Patient without an id, named only by its fullUrl
	nhsNumber    string // "" leaves it without one
	birthDate    string
	observations int
	conditions   int
	documents    int
}

// bundle builds a transaction bundle the way Synthea does: urn:uuid fullUrls and
// references, request entries, no meta.
func (r testRecord) bundle() []byte {
	// Ids are distinct between records and the same each time one is built.
	h := fnv.New32a()
	_, _ = h.Write([]byte(r.patientID + "|" + r.nhsNumber + "|" + r.birthDate))
	n := 0
	uuid := func() string {
		n++
		return fmt.Sprintf("%08x-0000-4000-8000-%012d", h.Sum32(), n)
	}
	patientUUID := uuid()
	pat := map[string]any{"resourceType": "Patient", "birthDate": r.birthDate,
		"name": []any{map[string]any{"family": "Test", "given": []any{"Pat"}}}}
	if r.patientID != "" {
		pat["id"] = r.patientID
		patientUUID = r.patientID
	}
	if r.nhsNumber != "" {
		pat["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": r.nhsNumber}}
	}
	entries := []any{entry(patientUUID, pat)}
	add := func(typ string, k int, body func(i int) map[string]any) {
		for i := range k {
			id := uuid()
			res := body(i)
			res["resourceType"] = typ
			res["id"] = id
			entries = append(entries, entry(id, res))
		}
	}
	subject := map[string]any{"reference": "urn:uuid:" + patientUUID}
	practitioner := uuid()
	entries = append(entries, entry(practitioner, map[string]any{"resourceType": "Practitioner", "id": practitioner,
		"name": []any{map[string]any{"family": "Doctor"}}}))
	add("Observation", r.observations, func(i int) map[string]any {
		return map[string]any{"status": "final", "subject": subject,
			"performer": []any{map[string]any{"reference": "urn:uuid:" + practitioner}},
			"code":      map[string]any{"text": "Heart rate"}, "valueQuantity": map[string]any{"value": 60 + i%30, "unit": "/min"}}
	})
	add("Condition", r.conditions, func(int) map[string]any {
		return map[string]any{"subject": subject, "code": map[string]any{"text": "Asthma"}}
	})
	add("DocumentReference", r.documents, func(int) map[string]any {
		return map[string]any{"status": "current", "subject": subject}
	})
	b, _ := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries})
	return b
}

func entry(id string, res map[string]any) map[string]any {
	return map[string]any{"fullUrl": "urn:uuid:" + id, "resource": res,
		"request": map[string]any{"method": "POST", "url": res["resourceType"]}}
}

// clientKey is a SMART client's ES384 signing key.
type clientKey struct {
	priv jwk.Key
	jwks []byte // the public half, as the exchange registers it
}

func newClientKey(t *testing.T) clientKey {
	t.Helper()
	raw, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	_ = priv.Set(jwk.KeyIDKey, "client-key-1")
	_ = priv.Set(jwk.AlgorithmKey, jwa.ES384())
	pub, err := jwk.PublicKeyOf(priv)
	if err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	jwks, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return clientKey{priv: priv, jwks: jwks}
}

const testClient = "kith-test-client"

var jtiCounter struct {
	sync.Mutex
	n int
}

// assertion signs a client assertion; edit changes the claims before signing.
func (k clientKey) assertion(t *testing.T, aud string, now time.Time, edit func(*jwt.Builder)) string {
	t.Helper()
	jtiCounter.Lock()
	jtiCounter.n++
	jti := fmt.Sprintf("jti-%d", jtiCounter.n)
	jtiCounter.Unlock()
	b := jwt.NewBuilder().Issuer(testClient).Subject(testClient).Audience([]string{aud}).
		Expiration(now.Add(4 * time.Minute)).JwtID(jti)
	if edit != nil {
		edit(b)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES384(), k.priv))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// exchange is a running sandbox with a client that holds a token.
type exchange struct {
	t      *testing.T
	sb     *sandbox.Sandbox
	srv    *httptest.Server
	clock  *clock
	sleep  *sleeper
	key    clientKey
	token  string
	prefix string // "" is the default, /fhir
}

func (x *exchange) base() string {
	if x.prefix == "" {
		return x.srv.URL + "/fhir"
	}
	return x.srv.URL + x.prefix
}

func newServer(t *testing.T, sb *sandbox.Sandbox) *httptest.Server {
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// start runs a sandbox over the bundles with the test clock, sleeper and key, and
// fetches a token.
func start(t *testing.T, cfg sandbox.Config) *exchange {
	t.Helper()
	x := &exchange{t: t, clock: newClock(), sleep: &sleeper{}, key: newClientKey(t), prefix: cfg.Prefix}
	cfg.Now, cfg.Sleep = x.clock.Now, x.sleep.Sleep
	if cfg.ClientID == "" {
		cfg.ClientID = testClient
	}
	if cfg.ClientKeys == nil {
		cfg.ClientKeys = x.key.jwks
	}
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x.sb = sb
	x.srv = newServer(t, sb)
	x.token = x.fetchToken("system/*.read")
	return x
}

func (x *exchange) fetchToken(scope string) string {
	x.t.Helper()
	status, body := x.postToken(url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {x.key.assertion(x.t, x.base()+"/token", x.clock.Now(), nil)},
		"scope":                 {scope},
	})
	if status != http.StatusOK {
		x.t.Fatalf("token: %d %s", status, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		x.t.Fatalf("token answer %s", body)
	}
	return tok.AccessToken
}

func (x *exchange) postToken(form url.Values) (int, []byte) {
	x.t.Helper()
	resp, err := http.Post(x.base()+"/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		x.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		x.t.Fatal(err)
	}
	return resp.StatusCode, body
}

// get fetches a path under the base (or an absolute URL) with the token.
func (x *exchange) get(path string) (*http.Response, []byte) {
	x.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = x.base() + path
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		x.t.Fatal(err)
	}
	if x.token != "" {
		req.Header.Set("Authorization", "Bearer "+x.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		x.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		x.t.Fatal(err)
	}
	return resp, body
}

// bundle is the part of a Bundle the tests read.
type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Total        int    `json:"total"`
	Meta         struct {
		LastUpdated string `json:"lastUpdated"`
	} `json:"meta"`
	Link []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
		Search   struct {
			Mode string `json:"mode"`
		} `json:"search"`
		Request struct {
			Method string `json:"method"`
			URL    string `json:"url"`
		} `json:"request"`
	} `json:"entry"`
}

func (b bundle) next() string {
	for _, l := range b.Link {
		if l.Relation == "next" {
			return l.URL
		}
	}
	return ""
}

// ids lists the entries' resources as Type/id.
func (b bundle) ids() []string {
	var out []string
	for _, e := range b.Entry {
		var r struct{ ResourceType, ID string }
		_ = json.Unmarshal(e.Resource, &r)
		out = append(out, r.ResourceType+"/"+r.ID)
	}
	return out
}

// search fetches one page, failing the test unless it is a 200 Bundle.
func (x *exchange) search(path string) bundle {
	x.t.Helper()
	resp, body := x.get(path)
	if resp.StatusCode != http.StatusOK {
		x.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var b bundle
	if err := json.Unmarshal(body, &b); err != nil || b.ResourceType != "Bundle" {
		x.t.Fatalf("GET %s: not a Bundle: %s", path, body)
	}
	return b
}

// searchAll follows next links to the end, returning every page.
func (x *exchange) searchAll(path string) []bundle {
	x.t.Helper()
	var pages []bundle
	for u := path; u != ""; {
		b := x.search(u)
		pages = append(pages, b)
		u = b.next()
		if len(pages) > 10000 {
			x.t.Fatal("paging does not end")
		}
	}
	return pages
}

// wantOutcome checks an error answer: the status and an OperationOutcome body.
func wantOutcome(t *testing.T, resp *http.Response, body []byte, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Diagnostics string `json:"diagnostics"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(body, &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 || oo.Issue[0].Diagnostics == "" {
		t.Fatalf("not an OperationOutcome with a message: %s", body)
	}
}

package fhirclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/adapters/fhirclient"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

// t0 is the injected clock's start; no test reads the wall clock.
var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sleeps records each wait and returns at once.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// keyFile is a private key written where Client.KeyFile points, with the public
// half the fake exchange checks assertions against.
type keyFile struct {
	path string
	pub  jwk.Key
	alg  jwa.SignatureAlgorithm
	kid  string // what the assertion's header must carry
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// writeKey writes a key of kind es384|rs384|es256 as jwk|pem.
func writeKey(t *testing.T, kind, format string) keyFile {
	t.Helper()
	var raw any
	var alg jwa.SignatureAlgorithm
	switch kind {
	case "es384", "es256":
		curve := elliptic.P384()
		if kind == "es256" {
			curve = elliptic.P256()
		}
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		raw, alg = k, jwa.ES384()
	case "rs384":
		rsaOnce.Do(func() {
			var err error
			if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				panic(err)
			}
		})
		raw, alg = rsaKey, jwa.RS384()
	}
	priv, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.PublicKeyOf(priv)
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	var kid string
	switch format {
	case "jwk":
		kid = "kith-" + kind + "-1"
		if err := priv.Set(jwk.KeyIDKey, kid); err != nil {
			t.Fatal(err)
		}
		if data, err = json.Marshal(priv); err != nil {
			t.Fatal(err)
		}
	case "pem":
		der, err := x509.MarshalPKCS8PrivateKey(raw)
		if err != nil {
			t.Fatal(err)
		}
		data = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		// A PEM file carries no kid: the client names the key by its thumbprint.
		thumb, err := jwk.PublicKeyOf(priv)
		if err != nil {
			t.Fatal(err)
		}
		if err := jwk.AssignKeyID(thumb); err != nil {
			t.Fatal(err)
		}
		kid, _ = thumb.KeyID()
	}
	path := filepath.Join(t.TempDir(), kind+"."+format)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile{path: path, pub: pub, alg: alg, kid: kid}
}

// hit is one request the fake exchange saw outside its token endpoint.
type hit struct {
	path, rawQuery, auth string
}

// fake is a small FHIR exchange with a SMART Backend Services token endpoint. Its
// FHIR paths answer through handler once the bearer token checks out.
type fake struct {
	t        *testing.T
	srv      *httptest.Server
	clock    *clock
	key      keyFile
	clientID string
	handler  http.HandlerFunc

	mu sync.Mutex
	// tokenForms and assertions are what each token request sent.
	tokenForms []url.Values
	assertions []jwt.Token
	headers    []jws.Headers
	issued     []string
	revoked    map[string]bool
	// refuseTokens answers every token request 400 invalid_client.
	refuseTokens bool
	// refuseAllBearers answers every FHIR request 401, fresh token or not.
	refuseAllBearers bool
	// publicMetadata serves /metadata without a token.
	publicMetadata bool
	expiresIn      int
	hits           []hit
}

func newFake(t *testing.T, key keyFile, handler http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{t: t, clock: &clock{t: t0}, key: key, clientID: "kith-client", handler: handler,
		revoked: map[string]bool{}, publicMetadata: true, expiresIn: 300}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) tokenURL() string { return f.srv.URL + "/token" }
func (f *fake) baseURL() string  { return f.srv.URL + "/r4/tenant" }

func (f *fake) exchange() exchange.Exchange {
	return exchange.Exchange{
		ID: "test-exchange", Name: "Test Care Record", BaseURL: f.baseURL(),
		Client: exchange.Client{ID: f.clientID, TokenURL: f.tokenURL(), KeyFile: f.key.path,
			Scopes: []string{"system/Patient.rs", "system/Observation.rs"}},
		PageSize: 100, RatePerSecond: 20, Concurrency: 4, Status: exchange.Active,
	}
}

// client is a Client on the fake's clock whose waits go to s.
func (f *fake) client(s *sleeps, edit ...func(*fhirclient.Options)) *fhirclient.Client {
	o := fhirclient.Options{HTTP: f.srv.Client(), Now: f.clock.Now, Sleep: s.Sleep}
	for _, e := range edit {
		e(&o)
	}
	return fhirclient.New(o)
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		f.serveToken(w, r)
		return
	}
	f.mu.Lock()
	f.hits = append(f.hits, hit{path: r.URL.Path, rawQuery: r.URL.RawQuery, auth: r.Header.Get("Authorization")})
	public := strings.HasSuffix(r.URL.Path, "/.well-known/smart-configuration") ||
		(f.publicMetadata && strings.HasSuffix(r.URL.Path, "/metadata"))
	ok := f.bearerOK(r.Header.Get("Authorization"))
	f.mu.Unlock()
	if !public && !ok {
		writeJSON(w, http.StatusUnauthorized, outcome("Bearer token invalid or expired"))
		return
	}
	f.handler(w, r)
}

// bearerOK: the token is one the fake issued and has not revoked. f.mu is held.
func (f *fake) bearerOK(header string) bool {
	tok, found := strings.CutPrefix(header, "Bearer ")
	if !found || f.refuseAllBearers || f.revoked[tok] {
		return false
	}
	for _, t := range f.issued {
		if t == tok {
			return true
		}
	}
	return false
}

// serveToken checks the request the way a SMART Backend Services server does:
// form fields, then the assertion's signature against the registered public key.
func (f *fake) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		f.t.Errorf("token request: %s %q", r.Method, r.Header.Get("Content-Type"))
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request"}`)
		return
	}
	raw := r.PostForm.Get("client_assertion")
	tok, err := jwt.Parse([]byte(raw), jwt.WithKey(f.key.alg, f.key.pub),
		jwt.WithClock(jwt.ClockFunc(f.clock.Now)), jwt.WithAudience(f.tokenURL()), jwt.WithIssuer(f.clientID))
	if err != nil {
		f.t.Errorf("client assertion does not verify: %v", err)
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client"}`)
		return
	}
	msg, err := jws.Parse([]byte(raw))
	if err != nil {
		f.t.Errorf("client assertion is not a JWS: %v", err)
		writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client"}`)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenForms = append(f.tokenForms, r.PostForm)
	f.assertions = append(f.assertions, tok)
	f.headers = append(f.headers, msg.Signatures()[0].ProtectedHeaders())
	if f.refuseTokens {
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_client","error_description":"client kith-client is not registered"}`)
		return
	}
	access := fmt.Sprintf("access-%d", len(f.issued)+1)
	f.issued = append(f.issued, access)
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":%d,"scope":%q}`,
		access, f.expiresIn, r.PostForm.Get("scope")))
}

func (f *fake) fhirHits() []hit {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]hit(nil), f.hits...)
}

func (f *fake) tokenRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tokenForms)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func outcome(diagnostics string) string {
	d, _ := json.Marshal(diagnostics)
	return `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":` + string(d) + `}]}`
}

// searchset is a Bundle of the given entries (JSON objects, written out).
func searchset(entries ...string) string {
	return `{"resourceType":"Bundle","type":"searchset","meta":{"lastUpdated":"2025-03-01T09:59:58.123Z"},"entry":[` +
		strings.Join(entries, ",") + `]}`
}

func patientEntry(id string) string {
	return fmt.Sprintf(`{"fullUrl":"https://ex.test/Patient/%s","resource":{"resourceType":"Patient","id":%q},"search":{"mode":"match"}}`, id, id)
}

// asFault fails the test unless err is an *app.ExchangeFault with reason.
func asFault(t *testing.T, err error, reason string) *app.ExchangeFault {
	t.Helper()
	var f *app.ExchangeFault
	if !errors.As(err, &f) {
		t.Fatalf("want a fault %s, got %v", reason, err)
	}
	if f.Reason != reason {
		t.Fatalf("want reason %s, got %s (%v)", reason, f.Reason, err)
	}
	return f
}

func ok(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, searchset()) }

package sandbox_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/adapters/sandbox"
)

func oneRecord() [][]byte {
	return [][]byte{testRecord{patientID: "p1", nhsNumber: "9990000018", birthDate: "1987-06-05", observations: 3, conditions: 1}.bundle()}
}

func TestFHIRRequestsNeedATokenTheSandboxIssued(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: oneRecord()})
	good := x.token

	x.token = ""
	resp, body := x.get("/Observation?patient=p1")
	wantOutcome(t, resp, body, http.StatusUnauthorized)
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("a 401 without WWW-Authenticate")
	}
	x.token = "made-up"
	resp, body = x.get("/Observation?patient=p1")
	wantOutcome(t, resp, body, http.StatusUnauthorized)

	// Discovery is open: a client reads it before it has a token.
	x.token = ""
	if resp, body := x.get("/metadata"); resp.StatusCode != http.StatusOK {
		t.Fatalf("metadata without a token: %d %s", resp.StatusCode, body)
	}

	x.token = good
	if b := x.search("/Observation?patient=p1"); b.Total != 3 {
		t.Errorf("total %d, want 3", b.Total)
	}
	if got := x.sb.Stats().Tokens; got != 1 {
		t.Errorf("Stats().Tokens = %d, want 1", got)
	}

	// The token lives five minutes on the injected clock.
	x.clock.Advance(299 * time.Second)
	if resp, _ := x.get("/Observation?patient=p1"); resp.StatusCode != http.StatusOK {
		t.Errorf("after 299 s: %d, want 200", resp.StatusCode)
	}
	x.clock.Advance(time.Second)
	resp, body = x.get("/Observation?patient=p1")
	wantOutcome(t, resp, body, http.StatusUnauthorized)
}

func TestTokenAnswerFollowsSMARTBackendServices(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: oneRecord()})
	status, body := x.postToken(url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {x.key.assertion(t, x.base()+"/token", x.clock.Now(), nil)},
		"scope":                 {"system/Observation.read system/Patient.rs"},
	})
	if status != http.StatusOK {
		t.Fatalf("%d %s", status, body)
	}
	var tok map[string]any
	_ = json.Unmarshal(body, &tok)
	if tok["token_type"] != "bearer" || tok["expires_in"] != float64(300) || tok["scope"] != "system/Observation.read system/Patient.rs" || tok["access_token"] == "" {
		t.Errorf("token answer %s", body)
	}

	// The scopes bound what the token reads.
	x.token = tok["access_token"].(string)
	x.search("/Observation?patient=p1")
	resp, body := x.get("/Condition?patient=p1")
	wantOutcome(t, resp, body, http.StatusForbidden)
}

func TestTokenEndpointRefusesBadAssertions(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: oneRecord()})
	aud := x.base() + "/token"
	other := newClientKey(t)
	rsaRaw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, _ := jwk.Import(rsaRaw)
	_ = rsaKey.Set(jwk.KeyIDKey, "client-key-1")
	rs256, _ := jwt.Sign(must(jwt.NewBuilder().Issuer(testClient).Subject(testClient).Audience([]string{aud}).
		Expiration(x.clock.Now().Add(time.Minute)).JwtID("rs256").Build()), jwt.WithKey(jwa.RS256(), rsaKey))
	replayed := x.key.assertion(t, aud, x.clock.Now(), nil)
	x.postToken(form(replayed, "system/*.read"))

	cases := []struct {
		name      string
		form      url.Values
		status    int
		errorCode string
	}{
		{"signed by a key the exchange does not know", form(other.assertion(t, aud, x.clock.Now(), nil), "system/*.read"), 401, "invalid_client"},
		{"for another token endpoint", form(x.key.assertion(t, "https://elsewhere.example/token", x.clock.Now(), nil), "system/*.read"), 401, "invalid_client"},
		{"from another client", form(x.key.assertion(t, aud, x.clock.Now(), func(b *jwt.Builder) { b.Issuer("someone-else").Subject("someone-else") }), "system/*.read"), 401, "invalid_client"},
		{"sub differing from iss", form(x.key.assertion(t, aud, x.clock.Now(), func(b *jwt.Builder) { b.Subject("other") }), "system/*.read"), 401, "invalid_client"},
		{"expiring more than five minutes ahead", form(x.key.assertion(t, aud, x.clock.Now(), func(b *jwt.Builder) { b.Expiration(x.clock.Now().Add(time.Hour)) }), "system/*.read"), 401, "invalid_client"},
		{"expired", form(x.key.assertion(t, aud, x.clock.Now(), func(b *jwt.Builder) { b.Expiration(x.clock.Now().Add(-time.Second)) }), "system/*.read"), 401, "invalid_client"},
		{"signed RS256", form(string(rs256), "system/*.read"), 401, "invalid_client"},
		{"a jti used before", form(replayed, "system/*.read"), 401, "invalid_client"},
		{"not a JWT", form("not.a.jwt", "system/*.read"), 401, "invalid_client"},
		{"a patient scope", form(x.key.assertion(t, aud, x.clock.Now(), nil), "patient/*.read"), 400, "invalid_scope"},
		{"no scope", form(x.key.assertion(t, aud, x.clock.Now(), nil), ""), 400, "invalid_scope"},
		{"another grant type", func() url.Values {
			f := form(x.key.assertion(t, aud, x.clock.Now(), nil), "system/*.read")
			f.Set("grant_type", "authorization_code")
			return f
		}(), 400, "unsupported_grant_type"},
		{"a client secret instead of an assertion", url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {"x"}, "scope": {"system/*.read"}}, 400, "invalid_client"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := x.postToken(c.form)
			var e struct {
				Error string `json:"error"`
			}
			_ = json.Unmarshal(body, &e)
			if status != c.status || e.Error != c.errorCode {
				t.Errorf("%d %s, want %d %s", status, body, c.status, c.errorCode)
			}
		})
	}
	if got := x.sb.Stats().Tokens; got != 2 { // start's and the replayed one's first use
		t.Errorf("Stats().Tokens = %d, want 2", got)
	}
}

func TestWithoutClientKeysAnyWellFormedAssertionIsAccepted(t *testing.T) {
	clk := newClock()
	sb, err := sandbox.New(sandbox.Config{Bundles: oneRecord(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	x := &exchange{t: t, sb: sb, clock: clk, key: newClientKey(t)}
	x.srv = newServer(t, sb)
	// Any client id, any key: the sandbox cannot check what it was not given.
	x.token = x.fetchToken("system/*.read")
	x.search("/Patient")
}

func form(assertion, scope string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
		"scope":                 {scope},
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestSMARTConfigurationNamesTheTokenEndpoint(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: oneRecord(), Prefix: "/r4/tenant"})
	x.token = ""
	resp, body := x.get(x.srv.URL + "/r4/tenant/.well-known/smart-configuration")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var cfg struct {
		TokenEndpoint string   `json:"token_endpoint"`
		Grants        []string `json:"grant_types_supported"`
		Methods       []string `json:"token_endpoint_auth_methods_supported"`
		Algs          []string `json:"token_endpoint_auth_signing_alg_values_supported"`
		Scopes        []string `json:"scopes_supported"`
	}
	_ = json.Unmarshal(body, &cfg)
	if cfg.TokenEndpoint != x.srv.URL+"/r4/tenant/token" || strings.Join(cfg.Grants, ",") != "client_credentials" ||
		strings.Join(cfg.Methods, ",") != "private_key_jwt" || strings.Join(cfg.Algs, ",") != "RS384,ES384" || len(cfg.Scopes) == 0 {
		t.Errorf("smart-configuration %s", body)
	}
}

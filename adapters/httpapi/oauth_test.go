package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

const tokenURL = testBaseURL + "/v1/oauth/token"

// orgClient is an organisation's backend service: its key and how it signs assertions.
type orgClient struct {
	ods string
	key jwk.Key
	alg jwa.SignatureAlgorithm
}

func newOrgClient(t *testing.T, ods string) *orgClient {
	t.Helper()
	raw, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	key.Set(jwk.KeyIDKey, ods+"-key-1")
	key.Set(jwk.AlgorithmKey, jwa.ES384())
	return &orgClient{ods: ods, key: key, alg: jwa.ES384()}
}

func (o *orgClient) publicJWKS(t *testing.T) map[string]any {
	t.Helper()
	pub, err := jwk.PublicKeyOf(o.key)
	if err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	set.AddKey(pub)
	raw, _ := json.Marshal(set)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

// assertion builds a client assertion; change alters its claims before signing.
func (o *orgClient) assertion(t *testing.T, change func(*jwt.Builder) *jwt.Builder) string {
	t.Helper()
	now := time.Now()
	b := jwt.NewBuilder().Issuer(o.ods).Subject(o.ods).Audience([]string{tokenURL}).
		IssuedAt(now).Expiration(now.Add(4*time.Minute)).JwtID(uuid.NewString()).
		Claim("practitioner", map[string]string{"id": "GMC-1234567", "name": "Dr Rosa Diaz", "role": "Consultant"})
	if change != nil {
		b = change(b)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(o.alg, o.key))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func tokenRequest(assertion string) string {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
		"scope":                 {"system/*.read"},
	}.Encode()
}

func (s *testServer) exchange(assertion string) response {
	s.t.Helper()
	return s.do("POST", "/v1/oauth/token", "", tokenRequest(assertion), "Content-Type", "application/x-www-form-urlencoded")
}

func (s *testServer) register(t *testing.T, body map[string]any) {
	t.Helper()
	if res := s.do("POST", "/v1/admin/organisations", s.tokenAs("operator"), body); res.status != 201 {
		t.Fatalf("register %v = %d %s", body["odsCode"], res.status, res.body)
	}
}

func TestOrganisationsGetKithTokensBySMARTBackendServices(t *testing.T) {
	s := newServer(t)
	org := newOrgClient(t, "RXX")
	s.register(t, map[string]any{"odsCode": "RXX", "name": "Royal Example Trust", "jwks": org.publicJWKS(t)})

	assertion := org.assertion(t, nil)
	res := s.exchange(assertion)
	if res.status != 200 {
		t.Fatalf("token endpoint = %d %s", res.status, res.body)
	}
	body := res.json(t)
	token, _ := body["access_token"].(string)
	if body["token_type"] != "Bearer" || body["expires_in"].(float64) != 300 || token == "" {
		t.Fatalf("token response %v", body)
	}

	// The token verifies against Kith's published keys and names the practitioner.
	set, err := jwk.Parse(s.do("GET", "/.well-known/jwks.json", "", nil).body)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Parse([]byte(token), jwt.WithKeySet(set), jwt.WithIssuer(testBaseURL), jwt.WithAudience(testBaseURL))
	if err != nil {
		t.Fatalf("Kith's token does not verify against /.well-known/jwks.json: %v", err)
	}
	var practitioner map[string]any
	if sub, _ := tok.Subject(); sub != "RXX" || tok.Get("practitioner", &practitioner) != nil || practitioner["name"] != "Dr Rosa Diaz" {
		t.Fatalf("token claims: sub %v practitioner %v", sub, practitioner)
	}
	// Kith accepts it as the organisation: allowed in, but not to a patient's route.
	wantProblem(t, s.do("GET", "/v1/me", token, nil), 403, "forbidden")

	wantProblem(t, s.exchange(assertion), 401, "assertion-replayed")
}

func TestClientAssertionsAreCheckedStrictly(t *testing.T) {
	s := newServer(t)
	org := newOrgClient(t, "RXX")
	s.register(t, map[string]any{"odsCode": "RXX", "name": "Royal Example Trust", "jwks": org.publicJWKS(t)})
	impostor := newOrgClient(t, "RXX") // same ODS code and kid, another key
	stranger := newOrgClient(t, "RZZ") // never registered
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaJWK, _ := jwk.Import(rsaKey)
	rsaJWK.Set(jwk.KeyIDKey, "RXX-key-1")
	weakAlg := &orgClient{ods: "RXX", key: rsaJWK, alg: jwa.RS256()}

	cases := []struct {
		name, assertion, reason string
	}{
		{"for another audience", org.assertion(t, func(b *jwt.Builder) *jwt.Builder { return b.Audience([]string{"https://other.example/token"}) }), "token-wrong-audience"},
		{"living longer than five minutes", org.assertion(t, func(b *jwt.Builder) *jwt.Builder { return b.Expiration(time.Now().Add(10 * time.Minute)) }), "assertion-lives-too-long"},
		{"expired", org.assertion(t, func(b *jwt.Builder) *jwt.Builder { return b.Expiration(time.Now().Add(-5 * time.Minute)) }), "token-expired"},
		{"without exp", org.assertion(t, func(*jwt.Builder) *jwt.Builder {
			return jwt.NewBuilder().Issuer("RXX").Subject("RXX").Audience([]string{tokenURL}).JwtID(uuid.NewString()).
				Claim("practitioner", map[string]string{"id": "1", "name": "A", "role": "B"})
		}), "token-claims-invalid"},
		{"without a jti", org.assertion(t, func(b *jwt.Builder) *jwt.Builder { return b.JwtID("") }), "token-claims-invalid"},
		{"with sub not iss", org.assertion(t, func(b *jwt.Builder) *jwt.Builder { return b.Subject("RR8") }), "token-claims-invalid"},
		{"without a practitioner", org.assertion(t, func(b *jwt.Builder) *jwt.Builder {
			return b.Claim("practitioner", map[string]string{"id": "1"})
		}), "token-claims-invalid"},
		{"signed by another key", impostor.assertion(t, nil), "token-bad-signature"},
		{"from an unregistered organisation", stranger.assertion(t, nil), "client-unknown"},
		{"with an algorithm outside RS384 and ES384", weakAlg.assertion(t, nil), "token-algorithm-refused"},
		{"not a JWT", "not.a.jwt", "token-malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, s.exchange(tc.assertion), 401, tc.reason)
		})
	}

	t.Run("a suspended organisation gets no token", func(t *testing.T) {
		s.do("PUT", "/v1/admin/organisations/RXX", s.tokenAs("operator"), map[string]any{
			"name": "Royal Example Trust", "status": "suspended", "jwks": org.publicJWKS(t)})
		wantProblem(t, s.exchange(org.assertion(t, nil)), 401, "client-suspended")
	})

	t.Run("wrong grant type names the field", func(t *testing.T) {
		res := s.do("POST", "/v1/oauth/token", "", "grant_type=password&client_assertion=x", "Content-Type", "application/x-www-form-urlencoded")
		p := wantProblem(t, res, 422, "invalid-input")
		if len(p["errors"].([]any)) != 2 {
			t.Fatalf("errors %v", p["errors"])
		}
	})
}

func TestOneAssertionGetsOneTokenUnderConcurrentUse(t *testing.T) {
	s := newServer(t)
	org := newOrgClient(t, "RXX")
	s.register(t, map[string]any{"odsCode": "RXX", "name": "Royal Example Trust", "jwks": org.publicJWKS(t)})
	assertion := org.assertion(t, nil)
	statuses := make(chan int, 10)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- s.exchange(assertion).status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if count[200] != 1 || count[401] != 9 {
		t.Fatalf("statuses %v, want one 200 and nine 401", count)
	}
}

func TestOrganisationKeysFromAJWKSURL(t *testing.T) {
	org := newOrgClient(t, "RWW")
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(org.publicJWKS(t))
	}))
	defer keys.Close()
	s := newServer(t)
	// Only loopback may be plain http, so a test can serve keys.
	s.register(t, map[string]any{"odsCode": "RWW", "name": "Web Keys Trust", "jwksUrl": keys.URL + "/jwks"})
	if res := s.exchange(org.assertion(t, nil)); res.status != 200 {
		t.Fatalf("token endpoint = %d %s", res.status, res.body)
	}
}

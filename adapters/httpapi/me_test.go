package httpapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/kith-health/kith/adapters/auth"
	"github.com/kith-health/kith/domain/patient"
)

func TestFirstCallOpensTheAccountAndLaterCallsFindIt(t *testing.T) {
	s := newServer(t)
	tok := s.token("alice", nil)

	first := s.do("GET", "/v1/me", tok, nil)
	if first.status != 200 {
		t.Fatalf("GET /v1/me = %d %s", first.status, first.body)
	}
	me := first.json(t)
	if me["nhsNumber"] != "9434765919" || me["dateOfBirth"] != "1987-06-05" || me["identityLevel"] != "P9" || me["id"] == "" {
		t.Fatalf("profile %v", me)
	}
	again := s.do("GET", "/v1/me", tok, nil).json(t)
	if again["id"] != me["id"] {
		t.Fatalf("second call saw account %v, first %v", again["id"], me["id"])
	}
	other := s.do("GET", "/v1/me", s.token("bob", map[string]any{"nhsNumber": "4000000020"}), nil).json(t)
	if other["id"] == me["id"] || other["nhsNumber"] != "4000000020" {
		t.Fatalf("bob sees %v", other)
	}
}

func TestConcurrentFirstCallsOpenOneAccount(t *testing.T) {
	s := newServer(t)
	tok := s.token("eager", nil)
	ids := make(chan any, 10)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids <- s.do("GET", "/v1/me", tok, nil).json(t)["id"]
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[any]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) != 1 {
		t.Fatalf("10 concurrent first calls opened %d accounts", len(seen))
	}
}

func TestAProofingUpgradeReachesTheProfile(t *testing.T) {
	s := newServer(t)
	p5 := s.do("GET", "/v1/me", s.token("upgrader", map[string]any{"identityLevel": "P5"}), nil).json(t)
	p9 := s.do("GET", "/v1/me", s.token("upgrader", map[string]any{"identityLevel": "P9"}), nil).json(t)
	if p5["identityLevel"] != "P5" || p9["identityLevel"] != "P9" || p5["id"] != p9["id"] {
		t.Fatalf("before %v, after %v", p5, p9)
	}
}

func TestTokensKithDidNotIssueAreRefusedSayingWhy(t *testing.T) {
	s := newServer(t)
	claims := patient.Claims{Subject: "mallory", Proofing: patient.ProofingP9}
	issue := func(i *auth.DevIssuer) string {
		tok, err := i.PatientToken(claims, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	stranger, err := auth.LoadDevIssuer(t.TempDir(), "kith", nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	valid := s.token("mallory", nil)
	payload := strings.Split(valid, ".")[1]
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + "."

	cases := []struct{ name, token, reason string }{
		{"no token", "", "unauthenticated"},
		{"not a JWT", "not-a-token", "token-malformed"},
		{"signed by a key Kith does not know", issue(stranger), "token-unknown-key"},
		{"for another audience", issue(sameKey(t, s, "someone-else", time.Now)), "token-wrong-audience"},
		{"expired", issue(sameKey(t, s, "kith", func() time.Time { return time.Now().Add(-2 * time.Hour) })), "token-expired"},
		{"not valid yet", issue(sameKey(t, s, "kith", func() time.Time { return time.Now().Add(time.Hour) })), "token-not-yet-valid"},
		{"payload swapped", tamper(valid, s.token("victim", nil)), "token-bad-signature"},
		{"alg none", unsigned, "token-algorithm-refused"},
		{"HS256 keyed with Kith's public key", hs256WithPublicKey(t, s, payload), "token-algorithm-refused"},
		{"from an issuer Kith does not trust", foreignIssuer(t), "token-wrong-issuer"},
		{"oversized", valid + strings.Repeat("A", 9000), "token-too-large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do("GET", "/v1/me", tc.token, nil)
			wantProblem(t, res, 401, tc.reason)
			if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate %q", res.header.Get("WWW-Authenticate"))
			}
			if len(tc.token) > 20 && strings.Contains(string(res.body), tc.token[:20]) {
				t.Fatalf("the problem echoes the token: %s", res.body)
			}
		})
	}
	if res := s.do("GET", "/v1/me", valid, nil); res.status != 200 {
		t.Fatalf("the untampered token was refused: %d", res.status)
	}
}

// sameKey signs with the server's own development key but other settings.
func sameKey(t *testing.T, s *testServer, audience string, now func() time.Time) *auth.DevIssuer {
	t.Helper()
	dir := t.TempDir()
	copyKey(t, s, dir)
	d, err := auth.LoadDevIssuer(dir, audience, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// foreignIssuer is a well-formed token claiming an issuer Kith has not configured.
func foreignIssuer(t *testing.T) string {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"ES256","kid":"x"}`)) + "." + enc([]byte(`{"iss":"https://evil.example","sub":"x"}`)) + "." + enc([]byte("sig"))
}

// tamper keeps a token's header and signature but swaps in another token's claims.
func tamper(signed, claimsFrom string) string {
	a, b := strings.Split(signed, "."), strings.Split(claimsFrom, ".")
	return a[0] + "." + b[1] + "." + a[2]
}

func copyKey(t *testing.T, s *testServer, dir string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(s.dir, auth.DevIssuerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, auth.DevIssuerKeyFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// hs256WithPublicKey is the classic key-confusion forgery: an HMAC token whose secret
// is the verifier's public key, naming that key's kid.
func hs256WithPublicKey(t *testing.T, s *testServer, payload string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(s.dir, auth.DevIssuerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	private, err := jwk.ParseKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	public, _ := jwk.PublicKeyOf(private)
	kid, _ := public.KeyID()
	secret, _ := json.Marshal(public)
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"` + kid + `"}`))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(header + "." + payload))
	return header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

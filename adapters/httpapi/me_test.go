package httpapi_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
	if me["nhsNumber"] != "9434765919" || me["birthDate"] != "1987-06-05" || me["identityProofingLevel"] != "P9" || me["id"] == "" {
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
	p5 := s.do("GET", "/v1/me", s.token("upgrader", map[string]any{"identityProofingLevel": "P5"}), nil).json(t)
	p9 := s.do("GET", "/v1/me", s.token("upgrader", map[string]any{"identityProofingLevel": "P9"}), nil).json(t)
	if p5["identityProofingLevel"] != "P5" || p9["identityProofingLevel"] != "P9" || p5["id"] != p9["id"] {
		t.Fatalf("before %v, after %v", p5, p9)
	}
}

func TestTokensKithDidNotIssueAreRefused(t *testing.T) {
	s := newServer(t)
	claims := patient.Claims{Subject: "mallory", Proofing: patient.ProofingP9}

	stranger, err := auth.LoadDevIssuer(t.TempDir(), devIssuerID, "kith", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	foreignKey, _ := stranger.Issue(claims, time.Hour)
	otherAudience, _ := mustIssuer(t, s, "someone-else", time.Now).Issue(claims, time.Hour)
	expired, _ := mustIssuer(t, s, "kith", func() time.Time { return time.Now().Add(-2 * time.Hour) }).Issue(claims, time.Hour)
	notYet, _ := mustIssuer(t, s, "kith", func() time.Time { return time.Now().Add(time.Hour) }).Issue(claims, time.Hour)
	valid := s.token("mallory", nil)
	tampered := tamper(valid, s.token("victim", nil))

	cases := map[string]string{
		"no token":              "",
		"not a JWT":             "not-a-token",
		"signed by another key": foreignKey,
		"for another audience":  otherAudience,
		"expired":               expired,
		"not valid yet":         notYet,
		"payload altered":       tampered,
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			res := s.do("GET", "/v1/me", tok, nil)
			wantProblem(t, res, 401, "unauthenticated")
			if !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate %q", res.header.Get("WWW-Authenticate"))
			}
		})
	}
	if res := s.do("GET", "/v1/me", valid, nil); res.status != 200 {
		t.Fatalf("the untampered token was refused: %d", res.status)
	}
}

// mustIssuer signs with the server's own development key but other settings.
func mustIssuer(t *testing.T, s *testServer, audience string, now func() time.Time) *auth.DevIssuer {
	t.Helper()
	dir := t.TempDir()
	copyKey(t, s, dir)
	d, err := auth.LoadDevIssuer(dir, devIssuerID, audience, now)
	if err != nil {
		t.Fatal(err)
	}
	return d
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

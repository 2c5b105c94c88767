package fhirclient_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

var observations = app.SearchQuery{ResourceType: "Observation", PatientParam: "patient", Patient: "p-1", Count: 50}

func TestTokenRequestIsASignedClientAssertion(t *testing.T) {
	for _, tc := range []struct{ kind, format string }{
		{"es384", "jwk"}, {"es384", "pem"}, {"rs384", "jwk"}, {"rs384", "pem"},
	} {
		t.Run(tc.kind+" "+tc.format, func(t *testing.T) {
			key := writeKey(t, tc.kind, tc.format)
			f := newFake(t, key, ok)
			if _, err := f.client(&sleeps{}).Search(context.Background(), f.exchange(), observations); err != nil {
				t.Fatal(err)
			}
			if f.tokenRequests() != 1 {
				t.Fatalf("token requests: %d", f.tokenRequests())
			}
			form := f.tokenForms[0]
			for field, want := range map[string]string{
				"grant_type":            "client_credentials",
				"scope":                 "system/Patient.rs system/Observation.rs",
				"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
			} {
				if got := form.Get(field); got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			// The fake verified the signature with the public key; now the claims.
			tok, hdr := f.assertions[0], f.headers[0]
			if alg, _ := hdr.Algorithm(); alg.String() != key.alg.String() {
				t.Errorf("alg %s, want %s", alg, key.alg)
			}
			if kid, _ := hdr.KeyID(); kid != key.kid || kid == "" {
				t.Errorf("kid %q, want %q", kid, key.kid)
			}
			iss, _ := tok.Issuer()
			sub, _ := tok.Subject()
			aud, _ := tok.Audience()
			jti, _ := tok.JwtID()
			iat, _ := tok.IssuedAt()
			exp, _ := tok.Expiration()
			if iss != "kith-client" || sub != "kith-client" {
				t.Errorf("iss %q sub %q", iss, sub)
			}
			if len(aud) != 1 || aud[0] != f.tokenURL() {
				t.Errorf("aud %v", aud)
			}
			if len(jti) < 16 {
				t.Errorf("jti %q is not a random id", jti)
			}
			if !iat.Equal(t0) || !exp.Equal(t0.Add(5*time.Minute)) {
				t.Errorf("iat %v exp %v", iat, exp)
			}
			if h := f.fhirHits(); h[0].auth != "Bearer access-1" {
				t.Errorf("search sent %q", h[0].auth)
			}
		})
	}
}

func TestScopeDefaultsToSystemRead(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	x := f.exchange()
	x.Client.Scopes = nil
	if _, err := f.client(&sleeps{}).Search(context.Background(), x, observations); err != nil {
		t.Fatal(err)
	}
	if got := f.tokenForms[0].Get("scope"); got != "system/*.read" {
		t.Errorf("scope %q", got)
	}
}

func TestEachTokenRequestHasItsOwnJTI(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	c := f.client(&sleeps{})
	for range 2 {
		if _, err := c.Search(context.Background(), f.exchange(), observations); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(10 * time.Minute) // past the token's life
	}
	a, _ := f.assertions[0].JwtID()
	b, _ := f.assertions[1].JwtID()
	if a == b {
		t.Errorf("two assertions share jti %q", a)
	}
}

func TestTokenIsCachedUntilShortlyBeforeItExpires(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	c := f.client(&sleeps{})
	search := func() {
		t.Helper()
		if _, err := c.Search(context.Background(), f.exchange(), observations); err != nil {
			t.Fatal(err)
		}
	}
	search()
	f.clock.Advance(3 * time.Minute)
	search()
	if n := f.tokenRequests(); n != 1 {
		t.Fatalf("a five-minute token was asked for %d times in three minutes", n)
	}
	// 300s token, renewed 60s early: at 4m30s it is no longer used.
	f.clock.Advance(90 * time.Second)
	search()
	if n := f.tokenRequests(); n != 2 {
		t.Fatalf("token requests %d, want a fresh one near expiry", n)
	}
	if h := f.fhirHits(); h[2].auth != "Bearer access-2" {
		t.Errorf("third search sent %q", h[2].auth)
	}
}

func TestA401DropsTheTokenAndRetriesOnceWithAFreshOne(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	c := f.client(&sleeps{})
	if _, err := c.Search(context.Background(), f.exchange(), observations); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.revoked["access-1"] = true // the exchange forgot it early (a restart, a rotation)
	f.mu.Unlock()
	if _, err := c.Search(context.Background(), f.exchange(), observations); err != nil {
		t.Fatal(err)
	}
	hits := f.fhirHits()
	if f.tokenRequests() != 2 || len(hits) != 3 || hits[1].auth != "Bearer access-1" || hits[2].auth != "Bearer access-2" {
		t.Fatalf("token requests %d, hits %+v", f.tokenRequests(), hits)
	}
}

func TestA401WithAFreshTokenIsAnAuthFault(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	f.refuseAllBearers = true
	_, err := f.client(&sleeps{}).Search(context.Background(), f.exchange(), observations)
	fault := asFault(t, err, exchange.ReasonAuth)
	if fault.Status != http.StatusUnauthorized || fault.Message != "The exchange did not accept Kith's credentials" {
		t.Errorf("fault %+v", fault)
	}
	if f.tokenRequests() != 2 || len(f.fhirHits()) != 2 {
		t.Errorf("token requests %d, searches %d: want one retry only", f.tokenRequests(), len(f.fhirHits()))
	}
}

func TestARefusedTokenRequestIsAnAuthFault(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	f.refuseTokens = true
	_, err := f.client(&sleeps{}).Search(context.Background(), f.exchange(), observations)
	fault := asFault(t, err, exchange.ReasonAuth)
	if fault.Message != "The exchange did not accept Kith's credentials" || fault.Status != http.StatusBadRequest {
		t.Errorf("fault %+v", fault)
	}
	if len(f.fhirHits()) != 0 {
		t.Error("searched without a token")
	}
	assertion := f.tokenForms[0].Get("client_assertion")
	if strings.Contains(err.Error(), assertion) || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("error %q", err)
	}
}

func TestKeysOtherThanP384OrRSAAreRefused(t *testing.T) {
	f := newFake(t, writeKey(t, "es256", "jwk"), ok)
	_, err := f.client(&sleeps{}).Search(context.Background(), f.exchange(), observations)
	fault := asFault(t, err, exchange.ReasonAuth)
	if !strings.Contains(fault.Err.Error(), "P-384") {
		t.Errorf("error does not say which keys work: %v", fault.Err)
	}
	if f.tokenRequests() != 0 {
		t.Error("asked for a token with an unusable key")
	}
}

func TestAMissingKeyFileIsAnAuthFault(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	x := f.exchange()
	x.Client.KeyFile = t.TempDir() + "/absent.jwk"
	_, err := f.client(&sleeps{}).Search(context.Background(), x, observations)
	asFault(t, err, exchange.ReasonAuth)
}

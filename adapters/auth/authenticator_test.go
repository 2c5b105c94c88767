package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/adapters/auth"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
)

func TestAuthenticatorRoutesByIssuerAndAdmitsOnlyListedOperators(t *testing.T) {
	raw, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := jwk.Import(raw)
	key.Set(jwk.KeyIDKey, "ops-1")
	key.Set(jwk.AlgorithmKey, jwa.ES256())
	set := jwk.NewSet()
	set.AddKey(key)
	keys, err := auth.NewStaticKeys(set)
	if err != nil {
		t.Fatal(err)
	}
	const opsIssuer = "https://ops-idp.example"
	v, err := auth.NewStrictVerifier(auth.StrictConfig{Issuer: opsIssuer, Audience: "kith-admin", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	cache, _ := auth.NewTokenCache[identity.Principal](10)
	a := auth.NewAuthenticator(cache, time.Now).WithOperators(opsIssuer, v, []string{"ops-alice"})

	sign := func(iss, sub string) string {
		tok, _ := jwt.NewBuilder().Issuer(iss).Subject(sub).Audience([]string{"kith-admin"}).
			IssuedAt(time.Now()).Expiration(time.Now().Add(time.Hour)).Build()
		signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256(), key))
		if err != nil {
			t.Fatal(err)
		}
		return string(signed)
	}

	alice := sign(opsIssuer, "ops-alice")
	for range 2 { // the second answer comes from the cache
		p, err := a.Verify(context.Background(), alice)
		if err != nil || p.Kind != identity.KindOperator || p.Operator != "ops-alice" {
			t.Fatalf("listed operator: %+v, %v", p, err)
		}
	}
	if cache.Len() != 1 {
		t.Fatalf("cache holds %d entries, want 1", cache.Len())
	}
	if _, err := a.Verify(context.Background(), sign(opsIssuer, "ops-mallory")); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("unlisted subject: %v, want ErrForbidden", err)
	}
	var ae *fault.AuthError
	if _, err := a.Verify(context.Background(), sign("https://elsewhere.example", "ops-alice")); !errors.As(err, &ae) || ae.Reason != "token-wrong-issuer" {
		t.Fatalf("unknown issuer: %v", err)
	}
}

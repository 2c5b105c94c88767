package main

import (
	"os"
	"path/filepath"

	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"github.com/kith-health/kith/adapters/fcm/fcmtest"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// fakeIdP is a stand-in for NHS login at the edge of the world: a discovery document
// and a JWKS on loopback, and a way to sign tokens as the provider would.
type fakeIdP struct {
	issuer string
	key    jwk.Key
	// fcmCredentials is a service account file, as production needs one to push.
	fcmCredentials string
}

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	key.Set(jwk.KeyIDKey, "idp-key-1")
	key.Set(jwk.AlgorithmKey, jwa.RS256())
	pub, _ := jwk.PublicKeyOf(key)
	set := jwk.NewSet()
	set.AddKey(pub)

	idp := &fakeIdP{key: key, fcmCredentials: filepath.Join(t.TempDir(), "fcm.json")}
	if err := os.WriteFile(idp.fcmCredentials, fcmtest.ServiceAccount(t, "http://127.0.0.1:1/token"), 0o600); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": idp.issuer, "jwks_uri": idp.issuer + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) { json.NewEncoder(w).Encode(set) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	idp.issuer = srv.URL
	return idp
}

// token signs a patient token as NHS login would: vot carries the proofing level.
func (idp *fakeIdP) token(t *testing.T, subject, audience string) string {
	t.Helper()
	tok, err := jwt.NewBuilder().Issuer(idp.issuer).Subject(subject).Audience([]string{audience}).
		IssuedAt(time.Now()).Expiration(time.Now().Add(time.Hour)).
		Claim("vot", "P9.Cp.Cd").Claim("nhs_number", "9990000042").Claim("birthdate", "1990-01-01").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), idp.key))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// productionEnv is a valid production configuration on SQLite with idp as the
// patients' identity provider.
func productionEnv(idp *fakeIdP, extra map[string]string) map[string]string {
	env := map[string]string{
		"KITH_MODE": "production", "KITH_STORE": "sqlite",
		"KITH_OIDC_ISSUER": idp.issuer, "KITH_PUBLIC_URL": "https://kith.test",
		"KITH_SHARE_CODE_KEY": "c2hhcmUtY29kZS1rZXktZm9yLXRlc3RzLW9ubHktMzJieXRlcw==", "KITH_FCM_CREDENTIALS_FILE": idp.fcmCredentials,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

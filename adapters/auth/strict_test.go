package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // registers SHA-256 for crypto.Hash.New
	_ "crypto/sha512" // and SHA-384, SHA-512
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/adapters/auth"
	"github.com/kith-health/kith/domain/fault"
)

const (
	testIssuer   = "https://auth.login.nhs.uk"
	testAudience = "kith"
)

// testNow is the verifiers' clock: fixed, so skew tests are exact.
var testNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// testKey is a private key with the kid and alg its public JWK advertises. alg ""
// publishes the key without an alg member.
type testKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

// Keys are made once: RSA generation is slow and every test can share them.
var (
	keysOnce                                       sync.Once
	rsaKey, psKey, ecKey, ecNoAlg, rsaNoAlg, ec384 testKey
	rsaRotated                                     testKey
	rsaForger, ecForger                            crypto.Signer
)

func keys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		r1 := mustRSA()
		rsaKey = testKey{"rsa-1", "RS256", r1}
		psKey = testKey{"ps-1", "PS256", mustRSA()}
		rsaNoAlg = testKey{"rsa-noalg", "", r1}
		rsaRotated = testKey{"rsa-2", "RS256", mustRSA()}
		ecKey = testKey{"ec-1", "ES256", mustEC(elliptic.P256())}
		ecNoAlg = testKey{"ec-noalg", "", mustEC(elliptic.P256())}
		ec384 = testKey{"ec-384", "ES384", mustEC(elliptic.P384())}
		rsaForger = mustRSA()
		ecForger = mustEC(elliptic.P256())
	})
}

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func mustEC(c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// publicJWK is the key as a provider would publish it.
func publicJWK(t testing.TB, k testKey) jwk.Key {
	t.Helper()
	pub, err := jwk.Import(k.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Set(jwk.KeyIDKey, k.kid); err != nil {
		t.Fatal(err)
	}
	if k.alg != "" {
		if err := pub.Set(jwk.AlgorithmKey, k.alg); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Set(jwk.KeyUsageKey, "sig"); err != nil {
		t.Fatal(err)
	}
	return pub
}

func keySet(t testing.TB, ks ...testKey) jwk.Set {
	t.Helper()
	set := jwk.NewSet()
	for _, k := range ks {
		if err := set.AddKey(publicJWK(t, k)); err != nil {
			t.Fatal(err)
		}
	}
	return set
}

func allKeys(t testing.TB) jwk.Set {
	keys(t)
	return keySet(t, rsaKey, psKey, ecKey, ecNoAlg, rsaNoAlg, ec384)
}

// claims are the registered claims of a good token at testNow.
func claims() map[string]any {
	return map[string]any{
		"iss":                     testIssuer,
		"aud":                     testAudience,
		"sub":                     "patient-123",
		"iat":                     testNow.Unix(),
		"nbf":                     testNow.Unix(),
		"exp":                     testNow.Add(10 * time.Minute).Unix(),
		"identity_proofing_level": "P9",
	}
}

var enc = base64.RawURLEncoding

// forge builds a compact JWS by hand, so tests can write headers no well-behaved
// library would (a mismatched alg, an HMAC over a public key) and sign with any key.
// signer is a crypto.Signer for RS*, PS* and ES*, or []byte for HS*.
func forge(t testing.TB, header map[string]any, claims map[string]any, signer any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	alg, _ := header["alg"].(string)
	sig := signWith(t, alg, signer, []byte(input))
	return input + "." + enc.EncodeToString(sig)
}

func signWith(t testing.TB, alg string, signer any, input []byte) []byte {
	t.Helper()
	if len(alg) != 5 {
		return nil // "none" and other names with no signature to make
	}
	var h crypto.Hash
	switch alg[2:] {
	case "256":
		h = crypto.SHA256
	case "384":
		h = crypto.SHA384
	case "512":
		h = crypto.SHA512
	default:
		t.Fatalf("alg %q", alg)
	}
	if alg[:2] == "HS" {
		mac := hmac.New(h.New, signer.([]byte))
		mac.Write(input)
		return mac.Sum(nil)
	}
	d := h.New()
	d.Write(input)
	digest := d.Sum(nil)
	switch k := signer.(type) {
	case *rsa.PrivateKey:
		if alg[:2] == "PS" {
			sig, err := rsa.SignPSS(rand.Reader, k, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, h, digest)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			t.Fatal(err)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		sig := make([]byte, 2*size)
		r.FillBytes(sig[:size])
		s.FillBytes(sig[size:])
		return sig
	}
	t.Fatalf("signer %T", signer)
	return nil
}

// signed is a good token from k, with claims changed by edit (a nil value deletes).
func signed(t testing.TB, k testKey, edit map[string]any) string {
	t.Helper()
	c := claims()
	for name, v := range edit {
		if v == nil {
			delete(c, name)
		} else {
			c[name] = v
		}
	}
	return forge(t, map[string]any{"alg": k.alg, "kid": k.kid, "typ": "JWT"}, c, k.priv)
}

func staticVerifier(t testing.TB, set jwk.Set, algs ...jwa.SignatureAlgorithm) *auth.StrictVerifier {
	t.Helper()
	src, err := auth.NewStaticKeys(set)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewStrictVerifier(auth.StrictConfig{
		Issuer: testIssuer, Audience: testAudience, Keys: src, Algorithms: algs,
		Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// wantReason asserts err is a fault.AuthError with reason, that it is also
// fault.ErrUnauthenticated, and that its text quotes no part of the token.
func wantReason(t *testing.T, raw string, err error, reason string) {
	t.Helper()
	var ae *fault.AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v; want an AuthError %s", err, reason)
	}
	if ae.Reason != reason {
		t.Fatalf("reason = %s (%v); want %s", ae.Reason, err, reason)
	}
	if !errors.Is(err, fault.ErrUnauthenticated) {
		t.Fatalf("%v is not ErrUnauthenticated", err)
	}
	msg := err.Error()
	for _, part := range strings.Split(raw, ".") {
		if len(part) >= 8 && strings.Contains(msg, part) {
			t.Fatalf("error text %q quotes the token", msg)
		}
	}
	for _, value := range []string{"patient-123", "evil.example"} {
		if strings.Contains(msg, value) {
			t.Fatalf("error text %q quotes the claim %q", msg, value)
		}
	}
}

func TestStrictAcceptsGoodTokens(t *testing.T) {
	set := allKeys(t)
	v := staticVerifier(t, set)
	for _, k := range []testKey{rsaKey, psKey, ecKey} {
		t.Run(k.alg, func(t *testing.T) {
			tok, err := v.Verify(context.Background(), signed(t, k, nil))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if sub, _ := tok.Subject(); sub != "patient-123" {
				t.Fatalf("sub = %q", sub)
			}
			var level string
			if err := tok.Get("identity_proofing_level", &level); err != nil || level != "P9" {
				t.Fatalf("private claim = %q, %v", level, err)
			}
		})
	}
	t.Run("key without alg, RS256 and PS256 both fit", func(t *testing.T) {
		for _, alg := range []string{"RS256", "PS256"} {
			k := rsaNoAlg
			k.alg = alg
			if _, err := v.Verify(context.Background(), signed(t, k, nil)); err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
		}
	})
	t.Run("signed by jwx", func(t *testing.T) {
		priv, err := jwk.Import(ecKey.priv)
		if err != nil {
			t.Fatal(err)
		}
		_ = priv.Set(jwk.KeyIDKey, ecKey.kid)
		b := jwt.NewBuilder().Issuer(testIssuer).Audience([]string{"other", testAudience}).
			Subject("patient-123").IssuedAt(testNow).Expiration(testNow.Add(time.Hour))
		tok, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256(), priv))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), string(raw)); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})
}

func TestStrictRefusals(t *testing.T) {
	set := allKeys(t)
	v := staticVerifier(t, set)
	// wide allows the algorithms the mismatch cases claim, so that they are refused
	// by the key check and not merely by the allow-list.
	wide := staticVerifier(t, set, jwa.RS256(), jwa.RS512(), jwa.PS256(), jwa.ES256(), jwa.ES384(), jwa.ES512())

	rsaPub := rsaKey.priv.Public()
	der, err := x509.MarshalPKIXPublicKey(rsaPub)
	if err != nil {
		t.Fatal(err)
	}
	pemSecret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	jwkSecret, err := json.Marshal(publicJWK(t, rsaKey))
	if err != nil {
		t.Fatal(err)
	}
	good := signed(t, ecKey, nil)
	goodParts := strings.Split(good, ".")
	hdr := func(alg, kid string) map[string]any { return map[string]any{"alg": alg, "kid": kid} }

	cases := []struct {
		name     string
		verifier *auth.StrictVerifier
		raw      string
		reason   string
	}{
		{"forged: other key, same kid", v, forge(t, hdr("ES256", "ec-1"), claims(), ecForger), auth.ReasonBadSignature},
		{"forged RSA: other key, same kid", v, forge(t, hdr("RS256", "rsa-1"), claims(), rsaForger), auth.ReasonBadSignature},
		{"claims swapped under a good signature", v, goodParts[0] + "." + strings.Split(signed(t, ecKey, map[string]any{"sub": "someone-else"}), ".")[1] + "." + goodParts[2], auth.ReasonBadSignature},
		{"expired beyond skew", v, signed(t, ecKey, map[string]any{"exp": testNow.Add(-61 * time.Second).Unix()}), auth.ReasonExpired},
		{"not yet valid beyond skew", v, signed(t, ecKey, map[string]any{"nbf": testNow.Add(61 * time.Second).Unix()}), auth.ReasonNotYetValid},
		{"issued in the future", v, signed(t, ecKey, map[string]any{"iat": testNow.Add(61 * time.Second).Unix(), "nbf": nil}), auth.ReasonIssuedInFuture},
		{"wrong issuer", v, signed(t, ecKey, map[string]any{"iss": "https://evil.example"}), auth.ReasonWrongIssuer},
		{"issuer with trailing slash", v, signed(t, ecKey, map[string]any{"iss": testIssuer + "/"}), auth.ReasonWrongIssuer},
		{"no issuer", v, signed(t, ecKey, map[string]any{"iss": nil}), auth.ReasonWrongIssuer},
		{"wrong audience", v, signed(t, ecKey, map[string]any{"aud": []string{"someone-else", "evil.example"}}), auth.ReasonWrongAudience},
		{"no audience", v, signed(t, ecKey, map[string]any{"aud": nil}), auth.ReasonWrongAudience},
		{"missing exp", v, signed(t, ecKey, map[string]any{"exp": nil}), auth.ReasonClaimsInvalid},
		{"missing sub", v, signed(t, ecKey, map[string]any{"sub": nil}), auth.ReasonClaimsInvalid},
		{"empty sub", v, signed(t, ecKey, map[string]any{"sub": ""}), auth.ReasonClaimsInvalid},
		{"exp not a number", v, signed(t, ecKey, map[string]any{"exp": "tomorrow"}), auth.ReasonClaimsInvalid},
		{"claims not an object", v, forge(t, hdr("ES256", "ec-1"), nil, ecKey.priv), auth.ReasonClaimsInvalid},
		{"alg none, empty signature", v, forge(t, hdr("none", "ec-1"), claims(), nil), auth.ReasonAlgorithm},
		{"alg none, with a signature", v, enc.EncodeToString([]byte(`{"alg":"none","kid":"ec-1"}`)) + "." + goodParts[1] + "." + goodParts[2], auth.ReasonAlgorithm},
		{"alg None", v, forge(t, hdr("None", "ec-1"), claims(), nil), auth.ReasonAlgorithm},
		{"HS256 keyed with the RSA public key PEM", v, forge(t, hdr("HS256", "rsa-1"), claims(), pemSecret), auth.ReasonAlgorithm},
		{"HS256 keyed with the RSA public JWK", v, forge(t, hdr("HS256", "rsa-1"), claims(), jwkSecret), auth.ReasonAlgorithm},
		{"HS256 keyed with the RSA public key PEM, wide allow-list", wide, forge(t, hdr("HS256", "rsa-1"), claims(), pemSecret), auth.ReasonAlgorithm},
		{"ES384 header, P-256 key with alg ES256", wide, forge(t, hdr("ES384", "ec-1"), claims(), ecKey.priv), auth.ReasonAlgorithm},
		{"ES512 header, P-256 key with alg ES256", wide, forge(t, hdr("ES512", "ec-1"), claims(), ecKey.priv), auth.ReasonAlgorithm},
		{"ES384 header, P-256 key without alg", wide, forge(t, hdr("ES384", "ec-noalg"), claims(), ecNoAlg.priv), auth.ReasonAlgorithm},
		{"ES256 header, P-384 key with alg ES384", wide, forge(t, hdr("ES256", "ec-384"), claims(), ec384.priv), auth.ReasonAlgorithm},
		{"RS512 header, RSA key with alg RS256", wide, forge(t, hdr("RS512", "rsa-1"), claims(), rsaKey.priv), auth.ReasonAlgorithm},
		{"PS256 header, RSA key with alg RS256", wide, forge(t, hdr("PS256", "rsa-1"), claims(), rsaKey.priv), auth.ReasonAlgorithm},
		{"ES256 header, RSA key", wide, forge(t, hdr("ES256", "rsa-noalg"), claims(), ecKey.priv), auth.ReasonAlgorithm},
		{"RS256 header, EC key", wide, forge(t, hdr("RS256", "ec-noalg"), claims(), rsaKey.priv), auth.ReasonAlgorithm},
		{"RS512 not in the default allow-list", v, forge(t, hdr("RS512", "rsa-noalg"), claims(), rsaKey.priv), auth.ReasonAlgorithm},
		{"unknown kid", v, forge(t, hdr("ES256", "nobody"), claims(), ecKey.priv), auth.ReasonUnknownKey},
		{"no kid", v, forge(t, map[string]any{"alg": "ES256"}, claims(), ecKey.priv), auth.ReasonUnknownKey},
		{"kid not a string", v, forge(t, map[string]any{"alg": "ES256", "kid": 1}, claims(), ecKey.priv), auth.ReasonMalformed},
		{"alg under another case", v, forge(t, map[string]any{"ALG": "ES256", "kid": "ec-1"}, claims(), ecKey.priv), auth.ReasonMalformed},
		{"crit header", v, forge(t, map[string]any{"alg": "ES256", "kid": "ec-1", "crit": []string{"exp"}, "exp": 1}, claims(), ecKey.priv), auth.ReasonMalformed},
		{"b64 header", v, forge(t, map[string]any{"alg": "ES256", "kid": "ec-1", "b64": true}, claims(), ecKey.priv), auth.ReasonMalformed},
		{"oversized", v, signed(t, ecKey, map[string]any{"pad": strings.Repeat("x", 9000)}), auth.ReasonTooLarge},
		{"two parts", v, goodParts[0] + "." + goodParts[1], auth.ReasonMalformed},
		{"four parts", v, good + "." + goodParts[2], auth.ReasonMalformed},
		{"empty", v, "", auth.ReasonMalformed},
		{"dots only", v, "..", auth.ReasonMalformed},
		{"garbage base64", v, "!!!.@@@.###", auth.ReasonMalformed},
		{"header not base64", v, "e$J." + goodParts[1] + "." + goodParts[2], auth.ReasonMalformed},
		{"header not JSON", v, enc.EncodeToString([]byte("alg=ES256")) + "." + goodParts[1] + "." + goodParts[2], auth.ReasonMalformed},
		{"standard base64 alphabet", v, good[:len(good)-2] + "+/", auth.ReasonMalformed},
		{"padded", v, good + "==", auth.ReasonMalformed},
		{"newline in the signature", v, good[:len(good)-4] + "\n" + good[len(good)-4:], auth.ReasonMalformed},
		{"non-canonical last signature character", v, good[:len(good)-1] + string(nonCanonical(good[len(good)-1])), auth.ReasonMalformed},
		{"bearer prefix left on", v, "Bearer " + good, auth.ReasonMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := tc.verifier.Verify(context.Background(), tc.raw)
			if err == nil {
				t.Fatalf("accepted: %v", tok)
			}
			wantReason(t, tc.raw, err, tc.reason)
		})
	}
}

// nonCanonical returns another base64url character that decodes to the same bytes as
// c when c ends a 64-byte (ES256) signature: 64 bytes leave 4 padding bits in it.
func nonCanonical(c byte) byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return alphabet[i^1]
}

func TestStrictSkew(t *testing.T) {
	v := staticVerifier(t, allKeys(t))
	for name, edit := range map[string]map[string]any{
		"expired 59 s ago":     {"exp": testNow.Add(-59 * time.Second).Unix()},
		"nbf 59 s ahead":       {"nbf": testNow.Add(59 * time.Second).Unix()},
		"iat 59 s ahead":       {"iat": testNow.Add(59 * time.Second).Unix(), "nbf": nil},
		"no nbf, no iat":       {"nbf": nil, "iat": nil},
		"aud as a string":      {"aud": testAudience},
		"aud among others":     {"aud": []string{"a", testAudience, "b"}},
		"exp with a fraction":  {"exp": float64(testNow.Add(time.Minute).Unix()) + 0.5},
		"unknown extra claims": {"nhs_number": "9434765919", "vot": "P9.Cp.Cd"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := v.Verify(context.Background(), signed(t, ecKey, edit)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestStrictSizeLimitIsConfigurable(t *testing.T) {
	keys(t)
	src, err := auth.NewStaticKeys(allKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	raw := signed(t, ecKey, nil)
	v, err := auth.NewStrictVerifier(auth.StrictConfig{Issuer: testIssuer, Audience: testAudience, Keys: src,
		MaxTokenBytes: len(raw), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), raw); err != nil {
		t.Fatalf("token of exactly the limit: %v", err)
	}
	long := signed(t, ecKey, map[string]any{"pad": "xxxx"})
	_, err = v.Verify(context.Background(), long)
	wantReason(t, long, err, auth.ReasonTooLarge)
}

func TestNewStrictVerifierRefusesBadConfig(t *testing.T) {
	src, err := auth.NewStaticKeys(jwk.NewSet())
	if err != nil {
		t.Fatal(err)
	}
	good := auth.StrictConfig{Issuer: testIssuer, Audience: testAudience, Keys: src}
	for name, edit := range map[string]func(*auth.StrictConfig){
		"HS256 allowed":   func(c *auth.StrictConfig) { c.Algorithms = []jwa.SignatureAlgorithm{jwa.RS256(), jwa.HS256()} },
		"none allowed":    func(c *auth.StrictConfig) { c.Algorithms = []jwa.SignatureAlgorithm{jwa.NoSignature()} },
		"no issuer":       func(c *auth.StrictConfig) { c.Issuer = "" },
		"no audience":     func(c *auth.StrictConfig) { c.Audience = "" },
		"no keys":         func(c *auth.StrictConfig) { c.Keys = nil },
		"negative skew":   func(c *auth.StrictConfig) { c.MaxSkew = -time.Second },
		"negative length": func(c *auth.StrictConfig) { c.MaxTokenBytes = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			c := good
			edit(&c)
			if _, err := auth.NewStrictVerifier(c); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := auth.NewStrictVerifier(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
}

// jwksServer plays the provider: a JWKS it can swap, a discovery document, and a
// count of JWKS fetches.
type jwksServer struct {
	*httptest.Server
	jwks    atomic.Pointer[[]byte]
	fetches atomic.Int64
}

func newJWKSServer(t *testing.T, set jwk.Set) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.serve(t, set)
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		s.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(*s.jwks.Load())
	})
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": s.URL, "jwks_uri": s.URL + "/jwks.json"})
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/jwks.json", http.StatusFound)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// serve makes the server publish set from now on.
func (s *jwksServer) serve(t *testing.T, set jwk.Set) {
	t.Helper()
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s.jwks.Store(&b)
}

// fakeClock is the throttle's clock, moved by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func remoteVerifier(t *testing.T, src auth.KeySource) *auth.StrictVerifier {
	t.Helper()
	v, err := auth.NewStrictVerifier(auth.StrictConfig{
		Issuer: testIssuer, Audience: testAudience, Keys: src,
		Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func newRemote(t *testing.T, url string, clock *fakeClock) *auth.RemoteKeys {
	t.Helper()
	src, err := auth.NewRemoteKeys(context.Background(), url, auth.RemoteKeysConfig{Now: clock.Now, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := src.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return src
}

func TestRemoteKeysRotation(t *testing.T) {
	keys(t)
	srv := newJWKSServer(t, keySet(t, rsaKey))
	clock := &fakeClock{now: testNow}
	v := remoteVerifier(t, newRemote(t, srv.URL+"/jwks.json", clock))
	ctx := context.Background()

	if _, err := v.Verify(ctx, signed(t, rsaKey, nil)); err != nil {
		t.Fatalf("key 1 before rotation: %v", err)
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("fetches after start = %d; want 1", n)
	}

	srv.serve(t, keySet(t, rsaRotated))
	if _, err := v.Verify(ctx, signed(t, rsaRotated, nil)); err != nil {
		t.Fatalf("key 2 after rotation: %v", err)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("fetches after rotation = %d; want 2 (one forced refresh)", n)
	}
	// Key 1 is gone from the provider, so it is gone here: withdrawn keys are not
	// trusted on the strength of an old copy.
	raw := signed(t, rsaKey, nil)
	_, err := v.Verify(ctx, raw)
	wantReason(t, raw, err, auth.ReasonUnknownKey)
}

func TestRemoteKeysThrottleUnknownKids(t *testing.T) {
	keys(t)
	srv := newJWKSServer(t, keySet(t, ecKey))
	clock := &fakeClock{now: testNow}
	v := remoteVerifier(t, newRemote(t, srv.URL+"/jwks.json", clock))

	round := 0
	burst := func() {
		round++
		raws := make([]string, 50)
		for i := range raws {
			raws[i] = forge(t, map[string]any{"alg": "ES256", "kid": fmt.Sprintf("made-up-%d-%d", round, i)}, claims(), ecKey.priv)
		}
		var wg sync.WaitGroup
		for _, raw := range raws {
			wg.Go(func() {
				_, err := v.Verify(context.Background(), raw)
				var ae *fault.AuthError
				if !errors.As(err, &ae) || ae.Reason != auth.ReasonUnknownKey {
					t.Errorf("err = %v; want %s", err, auth.ReasonUnknownKey)
				}
			})
		}
		wg.Wait()
	}

	burst()
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("fetches after the first burst = %d; want 2 (start + one forced)", n)
	}
	clock.Add(29 * time.Second)
	burst()
	if n := srv.fetches.Load(); n != 2 {
		t.Fatalf("fetches 29 s later = %d; want still 2", n)
	}
	clock.Add(2 * time.Second)
	burst()
	if n := srv.fetches.Load(); n != 3 {
		t.Fatalf("fetches after the interval = %d; want 3", n)
	}
	// Known keys never wait for or cause a fetch.
	if _, err := v.Verify(context.Background(), signed(t, ecKey, nil)); err != nil {
		t.Fatalf("known key: %v", err)
	}
	if n := srv.fetches.Load(); n != 3 {
		t.Fatalf("fetches after a known kid = %d; want 3", n)
	}
}

func TestRemoteKeysDiscovery(t *testing.T) {
	keys(t)
	srv := newJWKSServer(t, keySet(t, ecKey, psKey))
	src, err := auth.DiscoverRemoteKeys(context.Background(), srv.URL, auth.RemoteKeysConfig{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close(context.Background()) })
	if src.URL() != srv.URL+"/jwks.json" {
		t.Fatalf("URL = %q", src.URL())
	}
	v, err := auth.NewStrictVerifier(auth.StrictConfig{Issuer: srv.URL, Audience: testAudience, Keys: src,
		Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []testKey{ecKey, psKey} {
		if _, err := v.Verify(context.Background(), signed(t, k, map[string]any{"iss": srv.URL})); err != nil {
			t.Fatalf("%s: %v", k.alg, err)
		}
	}

	t.Run("document for another issuer", func(t *testing.T) {
		// The document names srv.URL; asking with a trailing slash is a different
		// issuer, and OIDC discovery requires an exact match.
		if _, err := auth.DiscoverRemoteKeys(context.Background(), srv.URL+"/", auth.RemoteKeysConfig{}); err == nil {
			t.Fatal("accepted a document for another issuer")
		}
	})
}

func TestRemoteKeysFetchOnlyTheConfiguredURL(t *testing.T) {
	keys(t)
	srv := newJWKSServer(t, keySet(t, ecKey))
	ctx := context.Background()
	// Timeout is long so that passing quickly shows the first error ends the wait.
	_, err := auth.NewRemoteKeys(ctx, srv.URL+"/moved", auth.RemoteKeysConfig{Timeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "redirects are not followed") {
		t.Fatalf("err = %v; want the redirect refused", err)
	}
	if n := srv.fetches.Load(); n != 0 {
		t.Fatalf("fetched the redirect target %d times", n)
	}
	if _, err := auth.NewRemoteKeys(ctx, srv.URL+"/missing", auth.RemoteKeysConfig{Timeout: time.Minute}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v; want status 404", err)
	}
	for _, bad := range []string{"file:///etc/passwd", "ftp://example.com/jwks", "https://user:pw@example.com/jwks", "/jwks.json"} {
		if _, err := auth.NewRemoteKeys(ctx, bad, auth.RemoteKeysConfig{Timeout: time.Second}); err == nil {
			t.Fatalf("accepted %q", bad)
		}
	}
}

// cacheToken is a verified token's claims as the cache reads them; the raw string is
// only a key, so it need not be a real JWS here.
func cacheToken(t *testing.T, sub string, iat, exp time.Time) jwt.Token {
	t.Helper()
	b := jwt.NewBuilder().Subject(sub).Expiration(exp)
	if !iat.IsZero() {
		b = b.IssuedAt(iat)
	}
	tok, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenCacheHitAndExpiry(t *testing.T) {
	c, err := auth.NewTokenCache[string](10)
	if err != nil {
		t.Fatal(err)
	}
	exp := testNow.Add(5 * time.Minute)
	c.Put("raw-a", cacheToken(t, "alice", testNow, exp), "principal-a")
	if v, ok := c.Get("raw-a", testNow); !ok || v != "principal-a" {
		t.Fatalf("Get = %q, %v; want a hit", v, ok)
	}
	if _, ok := c.Get("raw-b", testNow); ok {
		t.Fatal("hit for a token never stored")
	}
	if _, ok := c.Get("raw-a", exp.Add(-time.Nanosecond)); !ok {
		t.Fatal("miss just before exp")
	}
	if _, ok := c.Get("raw-a", exp); ok {
		t.Fatal("hit at exp")
	}
	if c.Len() != 0 {
		t.Fatalf("Len = %d after the expired entry was seen; want 0", c.Len())
	}
}

func TestTokenCacheRevokeSubject(t *testing.T) {
	c, err := auth.NewTokenCache[string](10)
	if err != nil {
		t.Fatal(err)
	}
	exp := testNow.Add(time.Hour)
	before := cacheToken(t, "alice", testNow.Add(-10*time.Minute), exp)
	c.Put("alice-old", before, "old")
	c.Put("bob", cacheToken(t, "bob", testNow.Add(-10*time.Minute), exp), "bob")

	revokedAt := testNow.Add(-5 * time.Minute)
	c.RevokeSubject("alice", revokedAt)
	if _, ok := c.Get("alice-old", testNow); ok {
		t.Fatal("hit for a token issued before the revocation")
	}
	// Verified again later, the old token must not come back through Put.
	c.Put("alice-old", before, "old")
	if _, ok := c.Get("alice-old", testNow); ok {
		t.Fatal("Put stored a token issued before the revocation")
	}
	// An earlier revocation does not undo a later one.
	c.RevokeSubject("alice", revokedAt.Add(-time.Hour))
	c.Put("alice-old", before, "old")
	if _, ok := c.Get("alice-old", testNow); ok {
		t.Fatal("an earlier revocation replaced a later one")
	}

	c.Put("alice-new", cacheToken(t, "alice", revokedAt, exp), "new")
	if v, ok := c.Get("alice-new", testNow); !ok || v != "new" {
		t.Fatalf("token issued at the revocation: %q, %v; want a hit", v, ok)
	}
	if _, ok := c.Get("bob", testNow); !ok {
		t.Fatal("revoking alice evicted bob")
	}
}

func TestTokenCacheBoundedLRU(t *testing.T) {
	c, err := auth.NewTokenCache[int](2)
	if err != nil {
		t.Fatal(err)
	}
	exp := testNow.Add(time.Hour)
	c.Put("a", cacheToken(t, "a", testNow, exp), 1)
	c.Put("b", cacheToken(t, "b", testNow, exp), 2)
	if _, ok := c.Get("a", testNow); !ok { // a is now the most recently used
		t.Fatal("miss for a")
	}
	c.Put("c", cacheToken(t, "c", testNow, exp), 3)
	if c.Len() != 2 {
		t.Fatalf("Len = %d; want 2", c.Len())
	}
	if _, ok := c.Get("b", testNow); ok {
		t.Fatal("b, the least recently used, was not evicted")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.Get(k, testNow); !ok {
			t.Fatalf("%s was evicted", k)
		}
	}
}

func TestTokenCacheSkipsUnboundedTokens(t *testing.T) {
	c, err := auth.NewTokenCache[int](10)
	if err != nil {
		t.Fatal(err)
	}
	c.Put("no-iat", cacheToken(t, "a", time.Time{}, testNow.Add(time.Hour)), 1)
	c.Put("long", cacheToken(t, "a", testNow, testNow.Add(auth.TokenCacheMaxLifetime+time.Second)), 1)
	if c.Len() != 0 {
		t.Fatalf("Len = %d; want tokens without iat or living too long left out", c.Len())
	}
	if _, err := auth.NewTokenCache[int](0); err == nil {
		t.Fatal("size 0 accepted")
	}
}

func TestTokenCacheConcurrent(t *testing.T) {
	c, err := auth.NewTokenCache[int](16)
	if err != nil {
		t.Fatal(err)
	}
	toks := make([]jwt.Token, 8)
	for i := range toks {
		toks[i] = cacheToken(t, fmt.Sprint("s", i%3), testNow, testNow.Add(time.Hour))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				raw := fmt.Sprint("raw-", (g+i)%40)
				c.Put(raw, toks[i%len(toks)], i)
				c.Get(raw, testNow)
				if i%100 == 0 {
					c.RevokeSubject(fmt.Sprint("s", g%3), testNow.Add(-time.Minute))
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 16 {
		t.Fatalf("Len = %d; over the bound", c.Len())
	}
}

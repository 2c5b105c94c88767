package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/kith-health/kith/adapters/auth"
)

const (
	tokenLifetime = 300 * time.Second
	// maxAssertionLifetime is SMART Backend Services' limit on a client assertion's
	// exp, with a little leeway for a client clock a few seconds ahead.
	maxAssertionLifetime = 5*time.Minute + 10*time.Second
	assertionType        = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	maxFormBytes         = 64 << 10
)

// grant is what one access token allows, until when.
type grant struct {
	expires time.Time
	scopes  []scope
}

// tokens are the access tokens issued and the assertion ids seen, kept in memory:
// a restarted sandbox forgets them, as a test wants.
type tokens struct {
	mu     sync.Mutex
	issued map[string]grant
	jtis   map[string]time.Time // client + jti -> the assertion's exp
}

func newTokens() tokens {
	return tokens{issued: map[string]grant{}, jtis: map[string]time.Time{}}
}

// oauthError is an RFC 6749 error answer. The description names the rule broken,
// never the assertion or any key.
func oauthError(status int, code, description string) response {
	resp := jsonBody(status, "application/json", map[string]string{"error": code, "error_description": description})
	resp.header.Set("Cache-Control", "no-store")
	return resp
}

// token answers POST /token: SMART Backend Services' client_credentials grant with
// a private_key_jwt client assertion.
func (s *Sandbox) token(r *http.Request) response {
	r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return oauthError(http.StatusBadRequest, "invalid_request", "the body must be a form (application/x-www-form-urlencoded)")
	}
	form := r.PostForm
	if form.Get("grant_type") != "client_credentials" {
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
	}
	if form.Get("client_assertion_type") != assertionType {
		return oauthError(http.StatusBadRequest, "invalid_client", "client_assertion_type must be "+assertionType)
	}
	if form.Get("client_assertion") == "" {
		return oauthError(http.StatusBadRequest, "invalid_client", "client_assertion is required")
	}
	scopes, err := parseScopes(form.Get("scope"))
	if err != nil {
		return oauthError(http.StatusBadRequest, "invalid_scope", err.Error())
	}
	if err := s.checkAssertion(r, form.Get("client_assertion")); err != nil {
		return oauthError(http.StatusUnauthorized, "invalid_client", err.Error())
	}

	var b [32]byte
	_, _ = rand.Read(b[:])
	access := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	s.tokens.mu.Lock()
	for t, g := range s.tokens.issued {
		if !now.Before(g.expires) {
			delete(s.tokens.issued, t)
		}
	}
	s.tokens.issued[access] = grant{expires: now.Add(tokenLifetime), scopes: scopes}
	s.tokens.mu.Unlock()
	s.issued.Add(1)

	resp := jsonBody(http.StatusOK, "application/json", map[string]any{
		"access_token": access,
		"token_type":   "bearer",
		"expires_in":   int(tokenLifetime / time.Second),
		"scope":        form.Get("scope"),
	})
	resp.header.Set("Cache-Control", "no-store")
	resp.header.Set("Pragma", "no-cache")
	return resp
}

var allowedAlgs = []string{jwa.RS384().String(), jwa.ES384().String()}

// checkAssertion holds a client assertion to SMART Backend Services' rules: a
// compact JWS signed RS384 or ES384, iss = sub = the client id, aud = this token
// endpoint, exp in the next five minutes, a jti not used before. With ClientKeys
// the signature must verify against them; without, it is not checked.
func (s *Sandbox) checkAssertion(r *http.Request, raw string) error {
	if len(raw) > 16<<10 || strings.Count(raw, ".") != 2 {
		return errors.New("client_assertion is not a compact JWS")
	}
	msg, err := jws.ParseString(raw)
	if err != nil || len(msg.Signatures()) != 1 {
		return errors.New("client_assertion is not a compact JWS")
	}
	sig := msg.Signatures()[0]
	alg, ok := sig.ProtectedHeaders().Algorithm()
	if !ok || !slices.Contains(allowedAlgs, alg.String()) || len(sig.Signature()) == 0 {
		return errors.New("client_assertion must be signed with RS384 or ES384")
	}
	claims := jwt.New()
	if err := json.Unmarshal(msg.Payload(), claims); err != nil {
		return errors.New("client_assertion claims are not well-typed JWT claims")
	}
	iss, _ := claims.Issuer()
	sub, _ := claims.Subject()
	aud, _ := claims.Audience()
	exp, hasExp := claims.Expiration()
	jti, _ := claims.JwtID()
	tokenURL := s.base(r) + "/token"
	now := s.now()
	switch {
	case iss == "" || iss != sub:
		return errors.New("iss and sub must both be the client id")
	case s.clientID != "" && iss != s.clientID:
		return errors.New("unknown client id")
	case !slices.Contains(aud, tokenURL):
		return errors.New("aud must be the token endpoint, " + tokenURL)
	case !hasExp || !exp.After(now):
		return errors.New("exp is missing or has passed")
	case exp.After(now.Add(maxAssertionLifetime)):
		return errors.New("exp is more than five minutes ahead")
	case jti == "" || len(jti) > 256:
		return errors.New("jti is required")
	}
	if s.keys != nil {
		v, err := auth.NewStrictVerifier(auth.StrictConfig{
			Issuer: iss, Audience: tokenURL, Keys: s.keys, Now: s.now,
			Algorithms: []jwa.SignatureAlgorithm{jwa.RS384(), jwa.ES384()},
		})
		if err != nil {
			return errors.New("the sandbox cannot verify assertions")
		}
		if _, err := v.Verify(r.Context(), raw); err != nil {
			return errors.New("client_assertion signature does not verify against the registered keys")
		}
	}
	return s.tokens.useJTI(iss+"\x00"+jti, exp, now)
}

// useJTI records an assertion id, refusing one seen before while it could still
// be replayed.
func (t *tokens) useJTI(key string, exp, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, until := range t.jtis {
		if !now.Before(until) {
			delete(t.jtis, k)
		}
	}
	if _, seen := t.jtis[key]; seen {
		return errors.New("jti was used before")
	}
	t.jtis[key] = exp
	return nil
}

// authorize checks the bearer token of a FHIR request.
func (s *Sandbox) authorize(r *http.Request) (grant, *response) {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		resp := outcome(http.StatusUnauthorized, "login", "an access token from the token endpoint is required (Authorization: Bearer)")
		resp.header.Set("WWW-Authenticate", `Bearer realm="sandbox"`)
		return grant{}, &resp
	}
	s.tokens.mu.Lock()
	g, ok := s.tokens.issued[tok]
	s.tokens.mu.Unlock()
	if !ok || !s.now().Before(g.expires) {
		resp := outcome(http.StatusUnauthorized, "login", "the access token is unknown or has expired")
		resp.header.Set("WWW-Authenticate", `Bearer realm="sandbox", error="invalid_token"`)
		return grant{}, &resp
	}
	return g, nil
}
